// The CPU baseline as a JobRunner: reads the job's .h5ad inputs, aligns their genes, runs
// PredictIcl (icl_baseline.h) and writes the predictions .h5ad atomically. Used in-process by
// LocalIclBackend and served over gRPC by haystack-inference-worker. Artifacts are reached by
// URI through an ArtifactAccess (local paths and file:// by default; gs:// with
// GcsArtifactAccess).
//
// The output is create-only on every scheme. If the output artifact already exists (a
// re-executed job whose earlier attempt wrote it), the job reads it: when it holds this job's
// predictions (same cells, genes and uns["haystack_inference"], i.e. the same inputs' shapes,
// seed and options) it is reused and nothing is computed or written; otherwise the job fails
// with AlreadyExists (kind kStorage) naming the URI and the difference.
//
// Output file: X = predictions (query cells × genes, float32, dense), obs = the query file's
// obs (same cells, same order), var index = the genes, uns["haystack_inference"] = {backend,
// model_version, baseline: true, description, seed, prompt_cells, reference_cells,
// query_cells, genes}. JobSpec.parameters.extra accepts "effect_scale",
// "max_context_cells" and "max_cells_per_second" (see IclOptions).
#ifndef HAYSTACK_INFERENCE_ICL_JOB_RUNNER_H_
#define HAYSTACK_INFERENCE_ICL_JOB_RUNNER_H_

#include <memory>

#include "haystack/inference/icl_baseline.h"
#include "haystack/inference/job_runner.h"
#include "haystack/storage/artifact_access.h"

namespace haystack {

class IclJobRunner final : public JobRunner {
 public:
  // `defaults` apply where the job's parameters do not say otherwise (seed and extra).
  // `artifacts` null: LocalArtifactAccess (local paths and file:// only).
  explicit IclJobRunner(IclOptions defaults = {}, std::shared_ptr<ArtifactAccess> artifacts = {});

  absl::Status CheckSpec(const InferenceJobSpec& spec) const override;
  absl::StatusOr<JobOutcome> Run(const InferenceJobSpec& spec, const StopToken& stop,
                                 const JobProgressCallback& progress) override;

 private:
  IclOptions defaults_;
  std::shared_ptr<ArtifactAccess> artifacts_;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_ICL_JOB_RUNNER_H_
