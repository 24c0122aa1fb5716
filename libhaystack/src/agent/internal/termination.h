// When the run loop stops (docs/agent.md "The run loop"), as a pure function of the
// composite scores of the finished iterations, so that a resumed run decides exactly as an
// uninterrupted one would.
#ifndef HAYSTACK_AGENT_INTERNAL_TERMINATION_H_
#define HAYSTACK_AGENT_INTERNAL_TERMINATION_H_

#include <optional>
#include <vector>

#include "haystack/core/enums.h"
#include "haystack/core/run_config.h"

namespace haystack::agent_internal {

// After the iterations scored `scores` (composite per iteration, in order):
//   converged       the last score reached config.score_threshold;
//   plateau         more than plateau_window iterations ran and the best of the last
//                   plateau_window beats the best before them by less than min_improvement;
//   max_iterations  config.max_iterations iterations ran;
//   nullopt         keep iterating.
// Checked in that order, so a run that converges on its last allowed iteration says so.
std::optional<TerminationReason> TerminationAfter(const std::vector<int>& scores,
                                                  const RunConfig& config);

// The 1-based number of the best iteration: highest score, ties → the earlier one.
// nullopt for no iterations.
std::optional<int> BestIterationNumber(const std::vector<int>& scores);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_TERMINATION_H_
