// A candidate set of prompt cells (docs/agent.md "Prompt strategies").
#ifndef HAYSTACK_CORE_PROMPT_H_
#define HAYSTACK_CORE_PROMPT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/enums.h"

namespace haystack {

// Matched control cells for one prompt candidate (synthetic control).
struct PairedControlMetadata {
  std::string donor_id;
  std::string cell_type;
  std::string condition;
  std::string dataset;
  int64_t n_cells = 0;

  bool operator==(const PairedControlMetadata&) const = default;
};

struct PromptCandidate {
  PromptStrategyKind strategy = PromptStrategyKind::kDirect;
  // The metadata values that define the cell set (dataset, perturbation, cell type, donor,
  // tissue, disease, condition): its selection key.
  std::map<std::string, std::string> selection;
  std::vector<int64_t> prompt_cell_indices;  // rows of the atlas named by selection["atlas"]
  std::optional<std::vector<int64_t>> paired_control_indices;
  std::optional<PairedControlMetadata> paired_control_metadata;

  int64_t n_cells_available = 0;  // cells matching the selection before capping
  double relevance_score = 0;     // [0, 1], strategy-specific
  double diversity_score = 0;     // [0, 1], against already-selected candidates
  double quality_score = 0;       // [0, 1]
  double final_score = 0;         // weighted sum used for ranking
  std::optional<double> similarity_score;
  std::optional<double> mechanistic_score;
  std::optional<int> ontology_distance;
  std::string rationale;

  bool operator==(const PromptCandidate&) const = default;
};

absl::Status Validate(const PromptCandidate& candidate, std::string_view path = "prompt");

}  // namespace haystack

#endif  // HAYSTACK_CORE_PROMPT_H_
