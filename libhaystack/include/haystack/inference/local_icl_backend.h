// The embedded default backend: the CPU in-context baseline in-process (no worker, no GPU).
// Runs the request's jobs (two in parallel for synthetic control) with IclJobRunner. Its
// outputs name themselves "cpu-icl-baseline": a baseline, not STACK. Artifacts are reached
// through the given ArtifactAccess (GcsArtifactAccess for gs:// URIs).
#ifndef HAYSTACK_INFERENCE_LOCAL_ICL_BACKEND_H_
#define HAYSTACK_INFERENCE_LOCAL_ICL_BACKEND_H_

#include <memory>

#include "haystack/inference/icl_job_runner.h"
#include "haystack/inference/inference_backend.h"

namespace haystack {

class LocalIclBackend final : public InferenceBackend {
 public:
  // `artifacts` null: local paths and file:// only (LocalArtifactAccess).
  explicit LocalIclBackend(IclOptions options = {}, std::shared_ptr<ArtifactAccess> artifacts = {})
      : runner_(options, std::move(artifacts)) {}

  absl::StatusOr<InferenceResult> Run(const InferenceRequest& request, const StopToken& stop,
                                      const InferenceProgressCallback& progress) override;

 private:
  IclJobRunner runner_;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_LOCAL_ICL_BACKEND_H_
