// One finished iteration of the run loop: what was tried and how it scored.
#ifndef HAYSTACK_CORE_ITERATION_H_
#define HAYSTACK_CORE_ITERATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "haystack/core/enums.h"
#include "haystack/core/prompt.h"
#include "haystack/core/scores.h"

namespace haystack {

struct IterationRecord {
  int iteration_number = 1;                        // 1-based
  std::vector<PromptCandidate> prompt_candidates;  // ranked, as considered
  PromptCandidate selected_prompt;
  AnyGroundingScore grounding_score;
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;  // effective
  double duration_seconds = 0;
  std::map<std::string, double> phase_seconds;  // prompt_generation, inference, evaluation

  // Artifact URIs (docs/output.md "Artifacts").
  std::string prompt_path;
  std::string query_cells_path;
  std::string prediction_path;
  std::optional<std::string> control_prompt_path;
  std::optional<std::string> control_prediction_path;

  std::string inference_backend;  // as the backend reports it: "cpu-icl-baseline mean-shift-v2"
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;

  bool operator==(const IterationRecord&) const = default;
};

absl::Status Validate(const IterationRecord& record, std::string_view path = "iteration");

}  // namespace haystack

#endif  // HAYSTACK_CORE_ITERATION_H_
