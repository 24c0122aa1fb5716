// When the run loop stops (docs/agent.md "Termination"), as a pure function of the composite
// scores of the finished iterations, so that a resumed run decides exactly as an uninterrupted
// one would. Running out of prompt candidates is found by prompt generation, not here.
#ifndef HAYSTACK_AGENT_INTERNAL_TERMINATION_H_
#define HAYSTACK_AGENT_INTERNAL_TERMINATION_H_

#include <optional>
#include <vector>

#include "haystack/core/enums.h"
#include "haystack/core/run_config.h"

namespace haystack::agent_internal {

// The composite per finished iteration, in order; nullopt for an unscored iteration.
using IterationScores = std::vector<std::optional<int>>;

// After the iterations scored `scores`:
//   unscored        no iteration could be scored at all (every component lacked its evidence;
//                   another prompt cannot supply it, so the loop stops at once);
//   converged       the last score reached config.score_threshold;
//   plateau         more than plateau_window iterations ran and the best of the last
//                   plateau_window beats the best before them by less than min_improvement;
//   max_iterations  config.max_iterations iterations ran;
//   nullopt         keep iterating.
// Checked in that order, so a run that converges on its last allowed iteration says so. An
// unscored iteration after scored ones counts as below every score.
std::optional<TerminationReason> TerminationAfter(const IterationScores& scores,
                                                  const RunConfig& config);

// The 1-based number of the best iteration: highest score, ties → the earlier one; scored
// iterations before unscored ones (all unscored → 1). nullopt for no iterations.
std::optional<int> BestIterationNumber(const IterationScores& scores);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_TERMINATION_H_
