#include "scripted_runner.h"

#include <string_view>

#include "haystack/core/error.h"

namespace haystack::testing {
namespace {

int ExtraInt(const InferenceJobSpec& spec, const std::string& key, int fallback) {
  auto it = spec.parameters.extra.find(key);
  return it == spec.parameters.extra.end() ? fallback : std::stoi(it->second);
}

}  // namespace

absl::Status ScriptedRunner::CheckSpec(const InferenceJobSpec& spec) const {
  if (std::string_view(spec.prompt_uri).starts_with("bad:")) {
    return absl::InvalidArgumentError("prompt_uri " + spec.prompt_uri + " is malformed");
  }
  if (std::string_view(spec.prompt_uri).starts_with("missing:")) {
    return absl::FailedPreconditionError("prompt artifact " + spec.prompt_uri + " does not exist");
  }
  return absl::OkStatus();
}

absl::StatusOr<JobOutcome> ScriptedRunner::Run(const InferenceJobSpec& spec, const StopToken& stop,
                                               const JobProgressCallback& progress) {
  {
    std::lock_guard lock(mu_);
    ++runs_[spec.query_uri];
  }
  const int steps = ExtraInt(spec, "steps", 4);
  const int step_ms = ExtraInt(spec, "step_ms", 10);
  for (int i = 0; i < steps; ++i) {
    if (stop.WaitFor(absl::Milliseconds(step_ms))) {
      std::lock_guard lock(mu_);
      ++cancelled_;
      return stop.CheckNotStopped();
    }
    progress(JobProgress{i + 1, steps, "predicting"});
  }
  auto fail = spec.parameters.extra.find("fail");
  if (fail != spec.parameters.extra.end()) {
    if (fail->second == "invalid") {
      return InvalidInputError(ErrorKind::kInference, "the query cells contain NaN at row 3");
    }
    if (fail->second == "unavailable") return absl::UnavailableError("GPU lost");
    return absl::InternalError("the model crashed");
  }
  return JobOutcome{.output_uri = spec.output_uri,
                    .cells = steps,
                    .genes = 1,
                    .backend = "scripted",
                    .model_version = "1"};
}

int ScriptedRunner::runs(const std::string& query_uri) const {
  std::lock_guard lock(mu_);
  auto it = runs_.find(query_uri);
  return it == runs_.end() ? 0 : it->second;
}

int ScriptedRunner::cancelled_runs() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

}  // namespace haystack::testing
