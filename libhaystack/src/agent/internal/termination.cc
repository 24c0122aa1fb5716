#include "internal/termination.h"

#include <algorithm>

namespace haystack::agent_internal {
namespace {

// Below every composite (1-10), so that an unscored iteration never wins or improves.
constexpr int kUnscoredRank = 0;

int Rank(const std::optional<int>& score) { return score.value_or(kUnscoredRank); }

}  // namespace

std::optional<TerminationReason> TerminationAfter(const IterationScores& scores,
                                                  const RunConfig& config) {
  if (scores.empty()) return std::nullopt;
  if (std::none_of(scores.begin(), scores.end(), [](const auto& s) { return s.has_value(); })) {
    return TerminationReason::kUnscored;
  }
  if (Rank(scores.back()) >= config.score_threshold) return TerminationReason::kConverged;
  const size_t window = static_cast<size_t>(std::max(1, config.plateau_window));
  if (scores.size() > window) {
    const auto split = scores.end() - static_cast<std::ptrdiff_t>(window);
    int best_before = kUnscoredRank;
    int best_recent = kUnscoredRank;
    for (auto it = scores.begin(); it != split; ++it)
      best_before = std::max(best_before, Rank(*it));
    for (auto it = split; it != scores.end(); ++it) best_recent = std::max(best_recent, Rank(*it));
    if (best_recent - best_before < config.min_improvement) return TerminationReason::kPlateau;
  }
  if (static_cast<int>(scores.size()) >= config.max_iterations) {
    return TerminationReason::kMaxIterations;
  }
  return std::nullopt;
}

std::optional<int> BestIterationNumber(const IterationScores& scores) {
  if (scores.empty()) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (Rank(scores[i]) > Rank(scores[best])) best = i;  // strict: ties keep the earlier one
  }
  return static_cast<int>(best) + 1;
}

}  // namespace haystack::agent_internal
