// When the run loop stops: converged, plateau, max_iterations, unscored, and which iteration is
// best.
#include "internal/termination.h"

#include <catch2/catch.hpp>

namespace haystack::agent_internal {
namespace {

RunConfig Config(int max_iterations, int threshold, int window, int min_improvement) {
  RunConfig config;
  config.max_iterations = max_iterations;
  config.score_threshold = threshold;
  config.plateau_window = window;
  config.min_improvement = min_improvement;
  return config;
}

TEST_CASE("the loop converges as soon as the last score reaches the threshold", "[termination]") {
  const RunConfig config = Config(5, 7, 3, 1);
  CHECK(TerminationAfter({}, config) == std::nullopt);
  CHECK(TerminationAfter({6}, config) == std::nullopt);
  CHECK(TerminationAfter({6, 7}, config) == TerminationReason::kConverged);
  CHECK(TerminationAfter({9}, config) == TerminationReason::kConverged);
  // Converging on the last allowed iteration says converged, not max_iterations.
  CHECK(TerminationAfter({1, 2, 3, 4, 8}, config) == TerminationReason::kConverged);
}

TEST_CASE("a plateau is no gain of min_improvement over plateau_window iterations",
          "[termination]") {
  const RunConfig config = Config(10, 9, 3, 1);
  CHECK(TerminationAfter({5, 5, 5}, config) == std::nullopt);  // not enough history yet
  CHECK(TerminationAfter({5, 5, 5, 5}, config) == TerminationReason::kPlateau);
  CHECK(TerminationAfter({5, 4, 5, 6}, config) == std::nullopt);  // 6 beats the best before (5)
  CHECK(TerminationAfter({5, 6, 4, 4}, config) == std::nullopt);  // 6 is in the window
  CHECK(TerminationAfter({5, 6, 4, 4, 4}, config) == TerminationReason::kPlateau);
  // A larger min_improvement asks for more.
  CHECK(TerminationAfter({5, 4, 5, 6}, Config(10, 9, 3, 2)) == TerminationReason::kPlateau);
  // min_improvement 0 never plateaus on equal scores' gain of 0 ≥ 0.
  CHECK(TerminationAfter({5, 5, 5, 5}, Config(10, 9, 3, 0)) == std::nullopt);
  // Window 1: the last score against everything before it.
  CHECK(TerminationAfter({5, 5}, Config(10, 9, 1, 1)) == TerminationReason::kPlateau);
}

TEST_CASE("the loop ends after max_iterations", "[termination]") {
  CHECK(TerminationAfter({3}, Config(1, 7, 3, 1)) == TerminationReason::kMaxIterations);
  CHECK(TerminationAfter({3, 4}, Config(3, 7, 3, 1)) == std::nullopt);
  CHECK(TerminationAfter({3, 4, 5}, Config(3, 7, 3, 1)) == TerminationReason::kMaxIterations);
  // A plateau reached on the last iteration is reported as the plateau.
  CHECK(TerminationAfter({5, 5, 5, 5}, Config(4, 9, 3, 1)) == TerminationReason::kPlateau);
}

TEST_CASE("the best iteration is the highest score, ties going to the earlier one",
          "[termination]") {
  CHECK(BestIterationNumber({}) == std::nullopt);
  CHECK(BestIterationNumber({4}) == 1);
  CHECK(BestIterationNumber({4, 6, 5}) == 2);
  CHECK(BestIterationNumber({6, 4, 6}) == 1);
  // Scored iterations beat unscored ones; all unscored → the first.
  CHECK(BestIterationNumber({std::nullopt, 2}) == 2);
  CHECK(BestIterationNumber({std::nullopt, std::nullopt}) == 1);
}

TEST_CASE("a run nothing could score stops at once, and an unscored iteration counts as lowest",
          "[termination]") {
  const RunConfig config = Config(5, 7, 3, 1);
  CHECK(TerminationAfter({std::nullopt}, config) == TerminationReason::kUnscored);
  // After a scored iteration an unscored one is just the worst score.
  CHECK(TerminationAfter({4, std::nullopt}, config) == std::nullopt);
  CHECK(TerminationAfter({4, std::nullopt, std::nullopt, std::nullopt}, config) ==
        TerminationReason::kPlateau);
  CHECK(TerminationAfter({std::nullopt, 8}, config) == TerminationReason::kConverged);
}

}  // namespace
}  // namespace haystack::agent_internal
