// Chooses the inference backend from settings (docs/configuration.md):
//   inference_endpoint = "local" (default)  → LocalIclBackend (CPU baseline, in-process)
//                        "grpc://host:port" → GrpcInferenceBackend
// plus inference_threads, inference_call_timeout_seconds, inference_job_timeout_seconds,
// inference_ready_timeout_seconds and inference_reconnect_timeout_seconds.
#ifndef HAYSTACK_INFERENCE_OPEN_INFERENCE_BACKEND_H_
#define HAYSTACK_INFERENCE_OPEN_INFERENCE_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/core/settings.h"
#include "haystack/inference/inference_backend.h"

namespace haystack {

// ConfigurationError naming the key and where its value came from for an unknown endpoint or
// an invalid number.
//
// With `env`, the local backend also reads and writes gs:// artifacts (GcsArtifactAccess): GCS
// endpoint and credentials come from `env` exactly as OpenArtifactStore reads them
// (STORAGE_EMULATOR_HOST / CLOUD_STORAGE_EMULATOR_ENDPOINT, GOOGLE_APPLICATION_CREDENTIALS,
// the metadata server); scratch files go to the system temporary directory. The needed
// variables are copied, so `env` need not outlive the backend. Without `env`, the local
// backend handles local paths and file:// only. A gRPC backend passes URIs through to its
// worker, which has its own GCS access.
absl::StatusOr<std::unique_ptr<InferenceBackend>> OpenInferenceBackend(const Settings& settings,
                                                                       const Environment& env,
                                                                       Logger logger);
absl::StatusOr<std::unique_ptr<InferenceBackend>> OpenInferenceBackend(const Settings& settings,
                                                                       Logger logger);

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_OPEN_INFERENCE_BACKEND_H_
