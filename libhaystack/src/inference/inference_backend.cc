#include "haystack/inference/inference_backend.h"

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"

namespace haystack {
namespace {

absl::Status RequestError(std::string_view message) {
  return InvalidInputError(ErrorKind::kInference, fmt::format("inference request: {}", message));
}

}  // namespace

std::string_view InferenceRoleName(InferenceRole role) {
  return role == InferenceRole::kTreated ? "treated" : "control";
}

std::string InferenceClientKey(std::string_view run_id, int iteration, InferenceRole role) {
  const std::string iter = fmt::format("iter-{}", iteration);
  return BatchSafeId({"haystack", run_id, iter, InferenceRoleName(role)});
}

absl::StatusOr<std::vector<PlannedJob>> PlanInferenceJobs(const InferenceRequest& request) {
  if (request.run_id.empty()) return RequestError("run_id is empty");
  if (request.query_uri.empty()) return RequestError("query_uri is empty");
  if (request.prompt_uri.empty()) return RequestError("prompt_uri is empty");
  if (request.output_uri.empty()) return RequestError("output_uri is empty");
  if (request.control_prompt_uri.empty() != request.control_output_uri.empty()) {
    return RequestError(
        "control_prompt_uri and control_output_uri must be given together (synthetic control) "
        "or both left empty (query as control)");
  }
  std::vector<PlannedJob> jobs;
  PlannedJob treated;
  treated.role = InferenceRole::kTreated;
  treated.client_key = InferenceClientKey(request.run_id, request.iteration, treated.role);
  treated.spec = InferenceJobSpec{.prompt_uri = request.prompt_uri,
                                  .query_uri = request.query_uri,
                                  .reference_uri = request.control_prompt_uri,
                                  .output_uri = request.output_uri,
                                  .genes = request.genes,
                                  .parameters = request.parameters};
  jobs.push_back(std::move(treated));
  if (!request.control_prompt_uri.empty()) {
    PlannedJob control;
    control.role = InferenceRole::kControl;
    control.client_key = InferenceClientKey(request.run_id, request.iteration, control.role);
    control.spec = InferenceJobSpec{.prompt_uri = request.control_prompt_uri,
                                    .query_uri = request.query_uri,
                                    .reference_uri = request.control_prompt_uri,
                                    .output_uri = request.control_output_uri,
                                    .genes = request.genes,
                                    .parameters = request.parameters};
    jobs.push_back(std::move(control));
  }
  return jobs;
}

}  // namespace haystack
