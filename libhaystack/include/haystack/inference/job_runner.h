// Executing one inference job where the model runs: in the worker process
// (haystack-inference-worker) or in-process (LocalIclBackend). A JobRunner reads the job's
// input artifacts, computes, and writes the output artifact atomically.
#ifndef HAYSTACK_INFERENCE_JOB_RUNNER_H_
#define HAYSTACK_INFERENCE_JOB_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "haystack/core/stop_token.h"
#include "haystack/inference/inference_backend.h"

namespace haystack {

struct JobProgress {
  int64_t cells_done = 0;
  int64_t cells_total = 0;
  std::string stage;  // "reading inputs", "predicting", "writing output"
};
using JobProgressCallback = std::function<void(const JobProgress&)>;

struct JobOutcome {
  std::string output_uri;
  int64_t cells = 0;
  int64_t genes = 0;
  std::string backend;
  std::string model_version;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;

  // Cheap checks done before a job is accepted: the spec is complete, its URIs are
  // well-formed and supported, the inputs exist. InvalidArgument for a malformed spec,
  // FailedPrecondition for a missing input.
  virtual absl::Status CheckSpec(const InferenceJobSpec& spec) const = 0;

  // Runs the job. Returns CancelledError (kind kCancelled) promptly after a stop request;
  // errors in the inputs are InvalidArgument, with a message naming the input and the defect.
  virtual absl::StatusOr<JobOutcome> Run(const InferenceJobSpec& spec, const StopToken& stop,
                                         const JobProgressCallback& progress) = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_JOB_RUNNER_H_
