// CellAtlas: the cells prompt retrieval chooses from — metadata queries (which cells have this
// cell type, perturbation, donor, ...; how many per group) and expression gathers by cell
// index.
//
// The metadata fields follow the CELLxGENE schema plus HAYSTACK's perturbation columns; an
// AtlasColumnMapping lets an atlas use other column names. Cell indices are row positions in
// the atlas (0-based), stable for the life of the atlas file.
#ifndef HAYSTACK_ATLAS_CELL_ATLAS_H_
#define HAYSTACK_ATLAS_CELL_ATLAS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/matrix.h"

namespace haystack {

// The metadata fields retrieval queries. Each maps to one obs column.
enum class AtlasField {
  kCellType,          // cell_type_ontology_term_id (a CL id), required
  kCellTypeName,      // cell_type (label)
  kTissue,            // tissue_ontology_term_id (UBERON)
  kDisease,           // disease_ontology_term_id (MONDO, or PATO:0000461 "normal")
  kDonor,             // donor_id, required
  kDataset,           // dataset
  kPerturbation,      // perturbation (the control condition's name for control cells)
  kPerturbationType,  // perturbation_type: cytokine | drug | genetic | control
  kIsControl,         // is_control (bool); its values read "true" / "false"
  kCondition,         // condition or time point (e.g. "24h", "stimulated", "IFNG_10ng_24h")
  kTissueName,        // tissue (label)
  kDiseaseName,       // disease (label)
};
inline constexpr AtlasField kAllAtlasFields[] = {
    AtlasField::kCellType,     AtlasField::kCellTypeName,
    AtlasField::kTissue,       AtlasField::kDisease,
    AtlasField::kDonor,        AtlasField::kDataset,
    AtlasField::kPerturbation, AtlasField::kPerturbationType,
    AtlasField::kIsControl,    AtlasField::kCondition,
    AtlasField::kTissueName,   AtlasField::kDiseaseName};

// The CELLxGENE-style default column name of a field ("cell_type_ontology_term_id", ...).
std::string_view DefaultColumnName(AtlasField field);
std::optional<AtlasField> AtlasFieldFromName(std::string_view canonical_name);
// Fields an atlas must have (cell type and donor); the others are optional.
bool IsRequiredField(AtlasField field);
// The obs columns looked for, in order, when a mapping does not name a field's column: the
// default name first, then common alternatives ("treatment", "cytokine", "drug", "compound",
// "gene", "target_gene", "guide_target", "condition" for the perturbation; "time_point",
// "timepoint", "time" for the condition; "donor", "patient", "individual" for the donor; ...).
std::span<const std::string_view> ColumnCandidates(AtlasField field);

// Which obs column holds each field. Unlisted fields use their default names.
struct AtlasColumnMapping {
  std::map<AtlasField, std::string> columns;

  std::string ColumnFor(AtlasField field) const;
  // A JSON object from canonical names to the atlas's column names, e.g.
  // {"cell_type_ontology_term_id": "celltype_cl", "donor_id": "patient"}. Unknown canonical
  // names are an error (kConfiguration) naming the key and the file.
  static absl::StatusOr<AtlasColumnMapping> FromJson(std::string_view json, std::string_view what);
  static absl::StatusOr<AtlasColumnMapping> ReadFile(const std::string& path);
};

// How an opened atlas is laid out, as detected: which column holds each field, where the gene
// symbols come from and what X holds. Stated in `haystack-atlas info`, the run's provenance
// and docs/atlas.md ("Bring your own atlas").
struct AtlasLayout {
  std::map<AtlasField, std::string> columns;  // the fields present → their obs column
  std::vector<std::string> notes;             // "perturbation: column 'treatment' (detected)"
  // Where var's symbols come from: "var index (symbols)", or e.g. "var.feature_name (var
  // index holds Ensembl ids; 3 ids without a symbol kept as ids)".
  std::string gene_symbols;
  // What X holds: "log-normalised", or "counts (normalised to log1p(counts per 10k) on
  // gather)"; and whether raw/X is present.
  std::string expression;
  bool x_is_counts = false;
  bool has_raw = false;
};

// A conjunction of conditions: a cell matches when, for every listed field, its value is one
// of the accepted values.
struct CellFilter {
  std::map<AtlasField, std::vector<std::string>> any_of;

  CellFilter& Where(AtlasField field, std::vector<std::string> values) {
    any_of[field] = std::move(values);
    return *this;
  }
  CellFilter& Where(AtlasField field, std::string value) {
    any_of[field] = {std::move(value)};
    return *this;
  }
};

// One group of CountBy: the values of the grouped fields (in group_by order) and its size.
struct GroupCount {
  std::vector<std::string> values;
  int64_t cells = 0;
  bool operator==(const GroupCount&) const = default;
};

struct GatherOptions {
  // Extra uns entries of the gathered AnnData; the gather always adds
  // uns["haystack_source"] = {"atlas": <atlas name>, "cell_indices": [...]}.
  UnsValue::Dict uns;
};

class CellAtlas {
 public:
  virtual ~CellAtlas() = default;

  // A short name for messages and provenance (the file path for H5adAtlas).
  virtual const std::string& name() const = 0;
  virtual int64_t num_cells() const = 0;
  // The genes (var) of the atlas, in column order of X. The index holds gene symbols: where the
  // file's var index holds Ensembl ids, the symbols come from a symbol column (AtlasLayout).
  virtual const DataFrame& var() const = 0;
  virtual const AtlasLayout& layout() const = 0;
  virtual bool HasField(AtlasField field) const = 0;

  // The distinct values of `field` (sorted), with the number of cells holding each.
  virtual absl::StatusOr<std::vector<GroupCount>> Values(AtlasField field) const = 0;
  // The value of `field` for `cell` ("" when missing).
  virtual absl::StatusOr<std::string> ValueOf(AtlasField field, int64_t cell) const = 0;
  // Indices (ascending) of the cells matching `filter`. An empty filter matches every cell.
  virtual absl::StatusOr<std::vector<int64_t>> Select(const CellFilter& filter) const = 0;
  // Group sizes of the cells matching `filter`, grouped by `group_by`; groups are sorted by
  // their values; groups without cells are omitted.
  virtual absl::StatusOr<std::vector<GroupCount>> CountBy(std::span<const AtlasField> group_by,
                                                          const CellFilter& filter) const = 0;

  // Expression rows of `cells` (in the given order, repeats allowed) as float32: CSR when
  // the atlas stores CSR, dense otherwise.
  virtual absl::StatusOr<ExpressionMatrix> GatherRows(std::span<const int64_t> cells) const = 0;
  // The same rows as an AnnData: X, the cells' obs rows (all columns and obs names), the
  // atlas's var.
  virtual absl::StatusOr<AnnData> Gather(std::span<const int64_t> cells,
                                         const GatherOptions& options = {}) const = 0;
  // Gather() written to `path` (prompt and query files).
  virtual absl::Status WriteSubset(std::span<const int64_t> cells, const std::string& path,
                                   const GatherOptions& options = {},
                                   const H5adWriteOptions& write_options = {}) const = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_CELL_ATLAS_H_
