// The structured form of a natural-language query (docs/agent.md, "Query analysis").
#ifndef HAYSTACK_CORE_QUERY_H_
#define HAYSTACK_CORE_QUERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/enums.h"

namespace haystack {

// What the control resolver found for synthetic control.
struct ControlCellInfo {
  std::vector<std::string> donors;
  std::vector<std::string> conditions;
  int64_t n_cells = 0;

  bool operator==(const ControlCellInfo&) const = default;
};

// An atlas cell type that the query's cell type selects: the type itself, or a descendant
// (docs/agent.md, "Cell types: parents select their descendants").
struct CellTypeSelection {
  std::string id;        // the atlas's cell type value (a CL id in CELLxGENE atlases)
  std::string name;      // its label
  int distance = 0;      // from the query's cell type: 0 = itself, 1 = child, ...
  std::string relation;  // "self", "child", "grandchild", "descendant", "subtype by name"

  bool operator==(const CellTypeSelection&) const = default;
};

struct StructuredQuery {
  std::string raw_query;
  TaskType task_type = TaskType::kPerturbationNovelCellTypes;

  // Cell type.
  std::string cell_type_query;
  std::optional<std::string> cell_type_cl_id;  // "CL:0001054"
  std::optional<std::string> cell_type_name;   // canonical ontology label
  std::vector<std::string> cell_type_synonyms;
  // The atlas cell types whose cells serve the query (itself and descendants, nearest first).
  // Empty in records written before the atlas became the vocabulary: then cell_type_cl_id alone.
  std::vector<CellTypeSelection> cell_types_selected;

  // Perturbation (perturbational tasks).
  std::optional<std::string> perturbation_query;
  std::optional<PerturbationType> perturbation_type;
  // The atlas's perturbation value whose cells are the perturbed ones ("IFNG", "sgIRF1",
  // "IFNG+TNF"): what the atlas holds, whether or not the knowledge base knows it.
  std::optional<std::string> perturbation_resolved;
  // The parts in the knowledge base's names where it knows them (["IFNG", "TNF"] for a
  // combination, ["STAT1_KO"] for "STAT1 KO"), else as the atlas writes them.
  std::vector<std::string> perturbation_components;
  std::map<std::string, std::string> perturbation_external_ids;
  std::vector<std::string> expected_targets;   // gene symbols
  std::vector<std::string> expected_pathways;  // gene-set names or IDs

  // Observational context.
  std::optional<std::string> target_donor_id;
  std::optional<std::string> target_tissue;         // UBERON ID
  std::optional<std::string> target_disease_state;  // MONDO ID
  std::optional<std::string> target_condition;
  std::optional<std::string> reference_donor_id;
  std::optional<std::string> reference_dataset;

  // Biological context.
  std::vector<std::string> expected_marker_genes;
  std::vector<std::string> expected_tissue_genes;
  std::optional<std::string> literature_context;

  // Control strategy: requested, and what was found.
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;
  bool control_cells_available = false;
  std::optional<ControlCellInfo> control_cell_info;
  std::optional<ControlStrategy> control_strategy_fallback;

  // How the query was analysed ("rules", "llm:<model>") and any caveats worth reporting.
  std::string analyzer;
  std::vector<std::string> notes;

  bool operator==(const StructuredQuery&) const = default;
};

absl::Status Validate(const StructuredQuery& query, std::string_view path = "structured_query");

}  // namespace haystack

#endif  // HAYSTACK_CORE_QUERY_H_
