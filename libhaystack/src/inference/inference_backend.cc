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
  auto job = [&](InferenceRole role, const std::string& prompt, const std::string& output) {
    return PlannedJob{.role = role,
                      .client_key = InferenceClientKey(request.run_id, request.iteration, role),
                      .spec = InferenceJobSpec{.prompt_uri = prompt,
                                               .query_uri = request.query_uri,
                                               .reference_uri = request.control_prompt_uri,
                                               .output_uri = output,
                                               .genes = request.genes,
                                               .parameters = request.parameters}};
  };
  // The control job's reference is its own prompt (the control prompt): see the header.
  std::vector<PlannedJob> jobs{
      job(InferenceRole::kTreated, request.prompt_uri, request.output_uri)};
  if (!request.control_prompt_uri.empty()) {
    jobs.push_back(
        job(InferenceRole::kControl, request.control_prompt_uri, request.control_output_uri));
  }
  return jobs;
}

}  // namespace haystack
