#include "internal/proto_convert.h"

namespace haystack::inference_internal {

v1::JobSpec ToProto(const InferenceJobSpec& spec) {
  v1::JobSpec out;
  out.set_prompt_uri(spec.prompt_uri);
  out.set_query_uri(spec.query_uri);
  out.set_reference_uri(spec.reference_uri);
  out.set_output_uri(spec.output_uri);
  for (const auto& gene : spec.genes) out.add_genes(gene);
  auto* params = out.mutable_parameters();
  params->set_diffusion_steps(spec.parameters.diffusion_steps);
  params->set_batch_size(spec.parameters.batch_size);
  params->set_seed(spec.parameters.seed);
  for (const auto& [key, value] : spec.parameters.extra) (*params->mutable_extra())[key] = value;
  return out;
}

InferenceJobSpec FromProto(const v1::JobSpec& spec) {
  InferenceJobSpec out;
  out.prompt_uri = spec.prompt_uri();
  out.query_uri = spec.query_uri();
  out.reference_uri = spec.reference_uri();
  out.output_uri = spec.output_uri();
  out.genes.assign(spec.genes().begin(), spec.genes().end());
  out.parameters.diffusion_steps = spec.parameters().diffusion_steps();
  out.parameters.batch_size = spec.parameters().batch_size();
  out.parameters.seed = spec.parameters().seed();
  for (const auto& [key, value] : spec.parameters().extra()) out.parameters.extra[key] = value;
  return out;
}

std::string_view JobStateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED:
      return "queued";
    case v1::JOB_STATE_RUNNING:
      return "running";
    case v1::JOB_STATE_SUCCEEDED:
      return "succeeded";
    case v1::JOB_STATE_FAILED:
      return "failed";
    case v1::JOB_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unspecified";
  }
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

v1::JobError::Category CategoryOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
      return v1::JobError::CANCELLED;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kDataLoss:  // a truncated or corrupt input file
      return v1::JobError::INVALID_INPUT;
    case absl::StatusCode::kResourceExhausted:
      return v1::JobError::RESOURCE_EXHAUSTED;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return v1::JobError::UNAVAILABLE;
    default:
      return v1::JobError::INTERNAL;
  }
}

std::string_view CategoryName(v1::JobError::Category category) {
  switch (category) {
    case v1::JobError::INVALID_INPUT:
      return "invalid input";
    case v1::JobError::RESOURCE_EXHAUSTED:
      return "resource exhausted";
    case v1::JobError::UNAVAILABLE:
      return "unavailable";
    case v1::JobError::INTERNAL:
      return "internal error";
    case v1::JobError::CANCELLED:
      return "cancelled";
    default:
      return "unspecified";
  }
}

}  // namespace haystack::inference_internal
