#include "haystack/inference/open_inference_backend.h"

#include "absl/strings/match.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "haystack/inference/local_icl_backend.h"
#include "haystack/storage/gcs_artifact_access.h"

namespace haystack {

namespace {

// `env` null: no GCS access for the local backend.
absl::StatusOr<std::unique_ptr<InferenceBackend>> Open(const Settings& settings,
                                                       const Environment* env, Logger logger) {
  const std::string endpoint = settings.GetString("inference_endpoint", "local");
  if (endpoint == "local") {
    HAYSTACK_ASSIGN_OR_RETURN(const int64_t threads,
                              settings.GetInt("inference_threads", 0, 0, 1024));
    std::shared_ptr<ArtifactAccess> artifacts;
    if (env != nullptr) {
      artifacts = std::make_shared<GcsArtifactAccess>(
          *env, logger.With({{"component", "inference-artifacts"}}));
    }
    return std::make_unique<LocalIclBackend>(IclOptions{.threads = static_cast<int>(threads)},
                                             std::move(artifacts));
  }
  if (!absl::StartsWith(endpoint, "grpc://") || endpoint.size() <= 7) {
    return ConfigurationError(
        fmt::format("inference_endpoint {} (from {}) must be \"local\" or \"grpc://host:port\"",
                    QuoteForMessage(endpoint), settings.SourceOf("inference_endpoint")));
  }
  GrpcInferenceOptions options;
  options.target = endpoint;
  HAYSTACK_ASSIGN_OR_RETURN(
      options.call_timeout,
      settings.GetSeconds("inference_call_timeout_seconds", options.call_timeout));
  HAYSTACK_ASSIGN_OR_RETURN(
      options.job_timeout,
      settings.GetSeconds("inference_job_timeout_seconds", options.job_timeout));
  HAYSTACK_ASSIGN_OR_RETURN(
      options.ready_timeout,
      settings.GetSeconds("inference_ready_timeout_seconds", options.ready_timeout));
  HAYSTACK_ASSIGN_OR_RETURN(
      options.reconnect_timeout,
      settings.GetSeconds("inference_reconnect_timeout_seconds", options.reconnect_timeout));
  HAYSTACK_ASSIGN_OR_RETURN(auto backend, GrpcInferenceBackend::Create(options, std::move(logger)));
  return std::unique_ptr<InferenceBackend>(std::move(backend));
}

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceBackend>> OpenInferenceBackend(const Settings& settings,
                                                                       const Environment& env,
                                                                       Logger logger) {
  return Open(settings, &env, std::move(logger));
}

absl::StatusOr<std::unique_ptr<InferenceBackend>> OpenInferenceBackend(const Settings& settings,
                                                                       Logger logger) {
  return Open(settings, nullptr, std::move(logger));
}

}  // namespace haystack
