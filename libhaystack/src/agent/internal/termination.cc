#include "internal/termination.h"

#include <algorithm>

namespace haystack::agent_internal {

std::optional<TerminationReason> TerminationAfter(const std::vector<int>& scores,
                                                  const RunConfig& config) {
  if (scores.empty()) return std::nullopt;
  if (scores.back() >= config.score_threshold) return TerminationReason::kConverged;
  const size_t window = static_cast<size_t>(std::max(1, config.plateau_window));
  if (scores.size() > window) {
    const auto split = scores.end() - static_cast<std::ptrdiff_t>(window);
    const int best_before = *std::max_element(scores.begin(), split);
    const int best_recent = *std::max_element(split, scores.end());
    if (best_recent - best_before < config.min_improvement) return TerminationReason::kPlateau;
  }
  if (static_cast<int>(scores.size()) >= config.max_iterations) {
    return TerminationReason::kMaxIterations;
  }
  return std::nullopt;
}

std::optional<int> BestIterationNumber(const std::vector<int>& scores) {
  if (scores.empty()) return std::nullopt;
  // max_element returns the first of equal maxima: ties go to the earlier iteration.
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin()) + 1;
}

}  // namespace haystack::agent_internal
