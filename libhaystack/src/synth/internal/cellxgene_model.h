// The model behind the CELLxGENE-layout test atlas: its cell types, treatments, donors and
// genes, and the per-cell draws (metadata, then the expression row). Each cell's draws come
// from one stream keyed by (seed, cell index), and a cell's number of non-zeros is known from
// its metadata alone, so the rows can be drawn in any order, on any thread, and written to a
// file whose layout (indptr) was fixed before the first row was drawn.
#ifndef HAYSTACK_SRC_SYNTH_INTERNAL_CELLXGENE_MODEL_H_
#define HAYSTACK_SRC_SYNTH_INTERNAL_CELLXGENE_MODEL_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/random.h"
#include "haystack/knowledge/knowledge_base.h"
#include "haystack/synth/cellxgene_atlas.h"

namespace haystack::synth_internal {

// One value of the perturbation column.
struct Treatment {
  std::string name;
  bool control = false;
  std::vector<std::string> knocked_down;  // genes whose expression the treatment removes
};

struct TissueTerm {
  const char* id;
  const char* label;
  const char* dataset;
};

struct CellType {
  std::string id;
  std::string label;
  TissueTerm tissue;
  bool perturbed = false;  // blood types are the perturbation screen's
};

// Walker's alias table (Vose's construction): draws index i with probability weight[i] / sum
// in O(1) from one uniform number.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weights);
  int32_t Draw(SeededRandom& rng) const;

 private:
  std::vector<double> probability_;
  std::vector<int32_t> alias_;
};

struct Model {
  std::vector<CellType> types;
  std::vector<double> type_cumulative;
  std::vector<Treatment> treatments;
  std::vector<std::string> donors;
  std::vector<std::string> genes;
  AliasTable gene_propensity{{1.0}};             // background expression propensity
  std::vector<std::vector<int32_t>> markers;     // per cell type
  std::vector<std::vector<int32_t>> responsive;  // per treatment
  std::vector<std::vector<int32_t>> removed;     // per treatment (knockdowns)
};

absl::StatusOr<Model> BuildModel(const KnowledgeBase& knowledge,
                                 const synth::CellxgeneAtlasOptions& options);

// One cell's metadata: indices into the model's lists, and its number of non-zeros.
struct CellMeta {
  int32_t type = 0;
  int32_t donor = 0;
  int32_t treatment = 0;
  int32_t time = 0;
  int32_t nnz = 0;
};

inline constexpr const char* kTimePoints[] = {"6h", "24h", "72h"};

// The stream of cell `cell`'s draws.
SeededRandom CellStream(const synth::CellxgeneAtlasOptions& options, int64_t cell);
// Draws the cell's metadata from its stream (the stream's first draws).
CellMeta DrawMeta(const Model& model, const synth::CellxgeneAtlasOptions& options,
                  SeededRandom& rng);

// Draws expression rows; holds scratch space sized to the genes, so one per thread.
class RowDrawer {
 public:
  RowDrawer(const Model& model, const synth::CellxgeneAtlasOptions& options);
  // Appends the cell's meta.nnz non-zeros (columns increasing) to `indices` and `values`,
  // continuing `rng` after DrawMeta: 8 markers of its cell type (mean ×6) and 20 responsive
  // genes of its treatment (×4), then genes drawn by propensity; knocked-down genes never;
  // geometric counts, stored as counts or as log1p(counts per 10k).
  void Draw(const CellMeta& meta, SeededRandom& rng, std::vector<int32_t>& indices,
            std::vector<float>& values);

 private:
  const Model& model_;
  bool counts_;
  std::array<double, 4> log_keep_;  // log(1 - p) of the geometric count, per role
  std::vector<uint64_t> chosen_;    // one bit per gene
  std::vector<uint8_t> role_;       // per gene: kMarker | kResponsive, or kRemoved
};

}  // namespace haystack::synth_internal

#endif  // HAYSTACK_SRC_SYNTH_INTERNAL_CELLXGENE_MODEL_H_
