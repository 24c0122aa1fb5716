#include "haystack/inference/local_icl_backend.h"

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "internal/parallel_jobs.h"

namespace haystack {

absl::StatusOr<InferenceResult> LocalIclBackend::Run(const InferenceRequest& request,
                                                     const StopToken& stop,
                                                     const InferenceProgressCallback& progress) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::vector<PlannedJob> jobs, PlanInferenceJobs(request));
  return inference_internal::RunJobsInParallel(
      jobs, stop,
      [&](const PlannedJob& job, const StopToken& job_stop) -> absl::StatusOr<JobOutcome> {
        if (absl::Status check = runner_.CheckSpec(job.spec); !check.ok()) {
          return MakeError(
              ErrorKind::kInference, check.code(),
              fmt::format("inference job {}: {}", job.client_key, std::string(check.message())));
        }
        auto outcome = runner_.Run(job.spec, job_stop, [&](const JobProgress& p) {
          if (progress) {
            progress(InferenceProgress{.role = job.role,
                                       .state = "running",
                                       .cells_done = p.cells_done,
                                       .cells_total = p.cells_total});
          }
        });
        if (!outcome.ok() && GetErrorKind(outcome.status()) != ErrorKind::kCancelled) {
          // A transient storage error (the artifact disk full or failing) stays one: it is the
          // run's infrastructure, not the model, and the job treats it as transient.
          const bool infrastructure = GetErrorKind(outcome.status()) == ErrorKind::kStorage &&
                                      IsTransient(outcome.status());
          return MakeError(infrastructure ? ErrorKind::kStorage : ErrorKind::kInference,
                           outcome.status().code(),
                           fmt::format("inference job {}: {}", job.client_key,
                                       std::string(outcome.status().message())));
        }
        return outcome;
      });
}

}  // namespace haystack
