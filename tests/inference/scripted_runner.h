// A JobRunner for the protocol tests of the worker and the client: it computes nothing and
// writes no file, but behaves as told by the job's parameters.extra:
//   steps (default 4), step_ms (default 10): progress steps and the time each takes;
//   fail: "invalid" | "internal" | "unavailable": fail after the steps with that kind of error.
// CheckSpec refuses prompt URIs starting "bad:" (InvalidArgument) and "missing:"
// (FailedPrecondition). Counts the runs per query URI so tests can prove idempotency.
#ifndef HAYSTACK_TESTS_INFERENCE_SCRIPTED_RUNNER_H_
#define HAYSTACK_TESTS_INFERENCE_SCRIPTED_RUNNER_H_

#include <map>
#include <mutex>
#include <string>

#include "haystack/inference/job_runner.h"

namespace haystack::testing {

class ScriptedRunner final : public JobRunner {
 public:
  absl::Status CheckSpec(const InferenceJobSpec& spec) const override;
  absl::StatusOr<JobOutcome> Run(const InferenceJobSpec& spec, const StopToken& stop,
                                 const JobProgressCallback& progress) override;

  int runs(const std::string& query_uri) const;
  int cancelled_runs() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> runs_;
  int cancelled_ = 0;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_INFERENCE_SCRIPTED_RUNNER_H_
