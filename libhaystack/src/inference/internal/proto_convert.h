// Conversions between the inference module's structs and haystack.inference.v1 messages.
#ifndef HAYSTACK_SRC_INFERENCE_INTERNAL_PROTO_CONVERT_H_
#define HAYSTACK_SRC_INFERENCE_INTERNAL_PROTO_CONVERT_H_

#include <string_view>

#include "absl/status/status.h"
#include "haystack/inference/inference_backend.h"
#include "haystack/inference/v1/inference.pb.h"

namespace haystack::inference_internal {

namespace v1 = ::haystack::inference::v1;

v1::JobSpec ToProto(const InferenceJobSpec& spec);
InferenceJobSpec FromProto(const v1::JobSpec& spec);

// "queued", "running", "succeeded", "failed", "cancelled".
std::string_view JobStateName(v1::JobState state);
bool IsTerminal(v1::JobState state);

// The job error category a runner's failure belongs to, by canonical code.
v1::JobError::Category CategoryOf(const absl::Status& status);
std::string_view CategoryName(v1::JobError::Category category);

}  // namespace haystack::inference_internal

#endif  // HAYSTACK_SRC_INFERENCE_INTERNAL_PROTO_CONVERT_H_
