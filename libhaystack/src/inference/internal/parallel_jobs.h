// Runs the planned jobs of one InferenceRequest concurrently (synthetic control = two jobs),
// shared by the gRPC and the local backends.
#ifndef HAYSTACK_SRC_INFERENCE_INTERNAL_PARALLEL_JOBS_H_
#define HAYSTACK_SRC_INFERENCE_INTERNAL_PARALLEL_JOBS_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/stop_token.h"
#include "haystack/inference/inference_backend.h"
#include "haystack/inference/job_runner.h"

namespace haystack::inference_internal {

using RunOneJob =
    std::function<absl::StatusOr<JobOutcome>(const PlannedJob& job, const StopToken& stop)>;

// Runs `run_one` for every job on its own thread. The first failure stops the other jobs
// (their stop token fires) and is returned; a stop of `stop` stops them all. On success the
// result names each role's output.
absl::StatusOr<InferenceResult> RunJobsInParallel(const std::vector<PlannedJob>& jobs,
                                                  const StopToken& stop, const RunOneJob& run_one);

}  // namespace haystack::inference_internal

#endif  // HAYSTACK_SRC_INFERENCE_INTERNAL_PARALLEL_JOBS_H_
