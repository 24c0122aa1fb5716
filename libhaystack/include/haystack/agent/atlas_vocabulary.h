// The atlas is the vocabulary: every value of the atlas's mapped obs fields becomes an entity a
// query can name — cell types (ids and labels), perturbations (and their types, parts and gene
// targets), donors, tissues, diseases, datasets and conditions or time points. The knowledge
// base enriches them (synonyms, ontology ancestors, targets and pathways) but never decides
// what exists: a value the atlas holds is servable whether or not the knowledge base knows it.
//
// Built once when a run's agent is configured (one pass over each field's codes plus a few
// knowledge-base look-ups per distinct value); look-ups afterwards are hash-map probes by
// normalised text (NormalizeEntityText), so analysing a query does not scan the vocabulary.
// docs/agent.md ("The atlas is the vocabulary") documents the resolution order and scores.
#ifndef HAYSTACK_AGENT_ATLAS_VOCABULARY_H_
#define HAYSTACK_AGENT_ATLAS_VOCABULARY_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/query.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

struct AtlasCellType {
  std::string id;     // the cell type field's value (a CL id in CELLxGENE atlases)
  std::string label;  // the label field's value, else the knowledge base's name, else the id
  int64_t cells = 0;
  std::vector<std::string> synonyms;     // from the knowledge base
  std::map<std::string, int> ancestors;  // knowledge-base ancestors → distance (is_a/part_of)
};

// How a genetic perturbation removes its gene.
enum class GeneticModality { kNone, kKnockout, kKnockdown };

struct AtlasPerturbation {
  std::string value;  // as the atlas writes it: "IFNG", "sgIRF1", "IFNG+TNF", "IL-21 (50 ng/ml)"
  int64_t cells = 0;
  bool control = false;
  std::optional<PerturbationType> type;  // the atlas's perturbation_type, else inferred
  // The parts: one, or a combination's ("IFNG+TNF" → "IFNG", "TNF"), each as the knowledge
  // base names it when it knows it, else as written (dose and units stripped).
  std::vector<std::string> parts;
  std::vector<std::optional<Perturbation>> knowledge;  // per part, when the KB knows it
  std::string gene;  // the target of a genetic perturbation ("sgIRF1" → IRF1)
  GeneticModality modality = GeneticModality::kNone;
};

// A tissue or disease (id and label fields), a donor, dataset or condition value.
struct AtlasTerm {
  std::string id;     // the field's value
  std::string label;  // the label field's value, else the knowledge base's name, else the id
  int64_t cells = 0;
  std::vector<std::string> synonyms;  // from the knowledge base
  std::optional<double> hours;        // conditions: a time point, in hours ("72h" → 72)
};

enum class VocabularyKind { kCellType, kPerturbation, kTissue, kDisease, kDataset, kCondition };
inline constexpr size_t kVocabularyKinds = 6;

struct AtlasVocabularyOptions {
  // Control names, used when the atlas has neither is_control nor perturbation_type
  // (RunConfig::control_condition_names).
  std::vector<std::string> control_condition_names = {"PBS", "DMSO", "control", "vehicle",
                                                      "untreated"};
  int max_ancestor_distance = 8;  // how far up the ontology a parent may select descendants
};

class AtlasVocabulary {
 public:
  static absl::StatusOr<AtlasVocabulary> Build(const CellAtlas& atlas,
                                               const KnowledgeBase& knowledge,
                                               const AtlasVocabularyOptions& options = {});

  const std::vector<AtlasCellType>& cell_types() const { return cell_types_; }
  const std::vector<AtlasPerturbation>& perturbations() const { return perturbations_; }
  const std::vector<AtlasTerm>& tissues() const { return tissues_; }
  const std::vector<AtlasTerm>& diseases() const { return diseases_; }
  const std::vector<AtlasTerm>& donors() const { return donors_; }
  const std::vector<AtlasTerm>& datasets() const { return datasets_; }
  const std::vector<AtlasTerm>& conditions() const { return conditions_; }
  // The columns behind the fields ("treatment" for the perturbation...), for messages.
  std::string ColumnOf(AtlasField field) const;
  // How controls were found: "is_control", "perturbation_type", or "control_condition_names".
  const std::string& control_source() const { return control_source_; }

  // Every name of `kind`, normalised, with its entries (for typo matching).
  const std::unordered_map<std::string, std::vector<size_t>>& Names(VocabularyKind kind) const {
    return index_[static_cast<size_t>(kind)];
  }
  // Indices of the entries of `kind` one of whose names normalises to `normalized`.
  const std::vector<size_t>& Named(VocabularyKind kind, const std::string& normalized) const;
  // The non-control perturbations targeting `symbol` (any modality).
  std::vector<size_t> PerturbationsOfGene(std::string_view symbol) const;
  // The non-control perturbation whose parts are exactly `parts` (any order), if any.
  std::optional<size_t> Combination(const std::vector<std::string>& parts) const;

  // The atlas cell types a term selects: the term itself when the atlas holds it (distance
  // 0), its descendants by the knowledge base's ontology (their distance), and atlas types
  // named as subtypes of its label ("alveolar macrophage", "fibroblast of lung" under
  // "macrophage"/"fibroblast"; relation "subtype by name", distance 1) that the ontology does
  // not already place. Nearest first, then by id.
  std::vector<CellTypeSelection> Select(std::string_view term_id,
                                        std::string_view term_label) const;

  // Donor ids written loosely: "2", "02", "D2", "donor 2" all name "D02" when no other donor
  // has the number 2. Exact (case-insensitive) matches first.
  std::vector<size_t> DonorsMatching(std::string_view written) const;

 private:
  absl::Status AddCellTypes(const CellAtlas& atlas, const KnowledgeBase& knowledge,
                            const AtlasVocabularyOptions& options);
  absl::Status AddPerturbations(const CellAtlas& atlas, const KnowledgeBase& knowledge,
                                const AtlasVocabularyOptions& options);
  // Parts, knowledge-base entries, gene target and type of one perturbation value.
  static absl::Status DescribePerturbation(const KnowledgeBase& knowledge, bool gene_column,
                                           AtlasPerturbation& p);
  // Tissues and diseases: ids, labels and the knowledge base's names and synonyms.
  absl::Status AddOntologyTerms(const CellAtlas& atlas, const KnowledgeBase& knowledge);
  // Donors, datasets and conditions (time points): the values as the atlas writes them.
  absl::Status AddValues(const CellAtlas& atlas);
  void Index(VocabularyKind kind, std::string_view name, size_t entry);

  std::vector<AtlasCellType> cell_types_;
  std::vector<AtlasPerturbation> perturbations_;
  std::vector<AtlasTerm> tissues_, diseases_, donors_, datasets_, conditions_;
  std::map<AtlasField, std::string> columns_;
  std::string control_source_;
  std::array<std::unordered_map<std::string, std::vector<size_t>>, kVocabularyKinds> index_;
  std::unordered_map<std::string, std::vector<size_t>> by_gene_;
};

// Durations as atlases and people write them: "72h", "72 h", "72 hours", "3 days", "30 min",
// "T24h", "IFNG_10ng_24h" (the first number with a time unit) → hours.
std::optional<double> ParseDurationHours(std::string_view text);

// The control values of the atlas's perturbation (else condition) field: those whose cells are
// flagged by is_control, or typed "control" by perturbation_type, when the atlas has either
// column; otherwise those equal to one of `names` (case-insensitive). `source` (optional) is
// set to which rule applied.
absl::StatusOr<std::vector<std::string>> AtlasControlValues(const CellAtlas& atlas,
                                                            const std::vector<std::string>& names,
                                                            std::string* source = nullptr);

}  // namespace haystack

#endif  // HAYSTACK_AGENT_ATLAS_VOCABULARY_H_
