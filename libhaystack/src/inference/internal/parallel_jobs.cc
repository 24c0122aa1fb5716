#include "internal/parallel_jobs.h"

#include <mutex>
#include <optional>

#include "haystack/core/error.h"
#include "haystack/core/parallel.h"

namespace haystack::inference_internal {

absl::StatusOr<InferenceResult> RunJobsInParallel(const std::vector<PlannedJob>& jobs,
                                                  const StopToken& stop, const RunOneJob& run_one) {
  // The jobs' own stop source: fired by the caller's stop or by the first failure.
  StopSource jobs_stop;
  StopCallback forward = stop.OnStop([&jobs_stop, &stop] { jobs_stop.RequestStop(stop.reason()); });

  std::vector<std::optional<absl::StatusOr<JobOutcome>>> outcomes(jobs.size());
  std::mutex mu;
  std::optional<size_t> first_failure;
  auto run = [&](size_t i) {
    absl::StatusOr<JobOutcome> outcome = run_one(jobs[i], jobs_stop.token());
    std::lock_guard lock(mu);
    if (!outcome.ok() && !first_failure) {
      first_failure = i;
      jobs_stop.RequestStop(StopReason::kCancelRequested);
    }
    outcomes[i] = std::move(outcome);
  };
  // One thread per job: jobs mostly wait on the worker, so they all run at once.
  const auto count = static_cast<int64_t>(jobs.size());
  ParallelFor(count, static_cast<int>(count), [&](int64_t i, int) { run(static_cast<size_t>(i)); });

  // The caller's stop explains every failure that followed it.
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
  if (first_failure) return outcomes[*first_failure]->status();
  InferenceResult result;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const JobOutcome& outcome = **outcomes[i];
    if (jobs[i].role == InferenceRole::kTreated) {
      result.predictions_uri = outcome.output_uri;
      result.backend = outcome.backend;
      result.model_version = outcome.model_version;
    } else {
      result.control_predictions_uri = outcome.output_uri;
    }
  }
  return result;
}

}  // namespace haystack::inference_internal
