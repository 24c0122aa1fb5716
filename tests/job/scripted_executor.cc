#include "job/scripted_executor.h"

#include <stdexcept>

#include "haystack/core/error.h"
#include "support/model_fixtures.h"

namespace haystack::testing {

absl::StatusOr<RunOutcome> ScriptedExecutor::Execute(const RunContext& context) {
  ++calls_;
  last_strategy_ = context.control_strategy;
  const int done = static_cast<int>(context.run.iterations.size());
  HAYSTACK_RETURN_IF_ERROR(context.recorder.UpdateProgress({.phase = RunPhase::kQueryAnalysis}));

  const int target = script_.ending == Script::Ending::kWaitForStop && done == 0
                         ? script_.iterations_before_wait
                         : script_.iterations;
  for (int n = done + 1; n <= target; ++n) {
    HAYSTACK_RETURN_IF_ERROR(context.stop.CheckNotStopped());
    HAYSTACK_RETURN_IF_ERROR(
        context.recorder.UpdateProgress({.phase = RunPhase::kInference, .iteration = n}));
    HAYSTACK_RETURN_IF_ERROR(context.recorder.RecordIteration(SampleIteration(n, 4 + n)));
    recorded_.push_back(n);
  }

  switch (script_.ending) {
    case Script::Ending::kComplete:
      break;
    case Script::Ending::kFail:
      return script_.error;
    case Script::Ending::kThrow:
      throw std::runtime_error("scripted explosion");
    case Script::Ending::kWaitForStop:
      if (done == 0) {
        context.stop.WaitFor(absl::Seconds(60));
        HAYSTACK_RETURN_IF_ERROR(context.stop.CheckNotStopped());
      }
      break;
  }
  const int best = std::max(done, target);
  return RunOutcome{.reason = TerminationReason::kConverged,
                    .final_score = 4 + best,
                    .best_iteration = best,
                    .output_report_path = "runs/" + context.run.run_id + "/report.md"};
}

}  // namespace haystack::testing
