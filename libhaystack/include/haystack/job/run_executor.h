// The seam between the job lifecycle (claiming, leases, cancellation, terminal state,
// notification) and the science (the agent of the run loop): the lifecycle owns the run
// record and hands the executor a narrow, lease-fenced way to checkpoint progress.
#ifndef HAYSTACK_JOB_RUN_EXECUTOR_H_
#define HAYSTACK_JOB_RUN_EXECUTOR_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/core/run.h"
#include "haystack/core/run_config.h"
#include "haystack/core/stop_token.h"
#include "haystack/store/run_store.h"

namespace haystack {

// Checkpoints for one claimed run. Every write is fenced on the lease: if another execution
// took the run over, writes fail with kAborted and the executor should return that error.
class RunRecorder {
 public:
  RunRecorder(RunStore& store, const Lease& lease, const Clock& clock = SystemClock())
      : store_(store), lease_(lease), clock_(clock) {}

  absl::Status UpdateProgress(const RunProgress& progress);
  absl::Status RecordIteration(const IterationRecord& record);
  // Adds a line to the run's event history (warnings, fallbacks, timings).
  absl::Status Note(std::string_view kind, std::string_view message,
                    std::optional<RunPhase> phase = std::nullopt,
                    std::optional<int> iteration = std::nullopt);
  // The stored record as it is now (e.g. to resume from its finished iterations).
  absl::StatusOr<Run> Reload();

  int attempt() const { return lease_.attempt; }

 private:
  RunStore& store_;
  const Lease& lease_;
  const Clock& clock_;
};

struct RunContext {
  // The record as claimed: on a re-execution it holds the finished steps to resume from.
  const Run& run;
  const RunConfig& config;  // parsed and validated, CONTROL_STRATEGY applied
  ControlStrategy control_strategy;
  RunRecorder& recorder;
  // Stops on cancellation (finish as cancelled) or shutdown (checkpoint and exit 75). Check it
  // between steps and pass it to anything that blocks; return token.CheckNotStopped() when set.
  StopToken stop;
  const Logger& logger;
};

// What a successful run produced; the lifecycle writes it as the terminal state.
struct RunOutcome {
  TerminationReason reason = TerminationReason::kConverged;
  std::optional<int> final_score;
  std::optional<int> best_iteration;
  std::optional<std::string> output_anndata_path;
  std::optional<std::string> output_report_path;
  std::optional<std::string> output_log_path;
};

class RunExecutor {
 public:
  virtual ~RunExecutor() = default;
  // Runs the science to an outcome. Errors carry their ErrorKind (a kind kCancelled error
  // means the stop token fired); the lifecycle records them with the run's phase and
  // iteration. Exceptions are caught and recorded as internal errors.
  virtual absl::StatusOr<RunOutcome> Execute(const RunContext& context) = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_JOB_RUN_EXECUTOR_H_
