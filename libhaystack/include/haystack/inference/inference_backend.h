// Running the model: the InferenceBackend interface the orchestrator calls once per iteration.
//
// A request names its inputs and outputs as artifact URIs (.h5ad files: prompt cells, query
// cells, optionally a matched control prompt) — matrices never travel through this interface.
// A backend expands a request into jobs (InferenceJobSpec), one per role:
//   - query-as-control: one job, the treated prompt → predictions;
//   - synthetic control: two jobs run in parallel, treated prompt → predictions and control
//     prompt → control predictions, both over the same query cells.
// Implementations: GrpcInferenceBackend (a worker over gRPC, e.g. STACK on a GPU) and
// LocalIclBackend (the in-process CPU baseline). See docs/inference.md.
#ifndef HAYSTACK_INFERENCE_INFERENCE_BACKEND_H_
#define HAYSTACK_INFERENCE_INFERENCE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/stop_token.h"

namespace haystack {

// Model parameters; zero means "the backend's default" (documented per backend).
struct InferenceParameters {
  int diffusion_steps = 0;                   // STACK's mask-diffusion steps T (worker default 5)
  int batch_size = 0;                        // cells per forward pass (worker default 32)
  uint64_t seed = 0;                         // same inputs + seed → same predictions
  std::map<std::string, std::string> extra;  // backend-specific options

  bool operator==(const InferenceParameters&) const = default;
};

// One job: predictions for every query cell under the prompt's condition. Mirrors the proto's
// JobSpec field by field.
struct InferenceJobSpec {
  std::string prompt_uri;
  std::string query_uri;
  std::string reference_uri;  // optional matched control cells for the prompt
  std::string output_uri;
  std::vector<std::string> genes;  // output column order; empty: inputs' shared var names
  InferenceParameters parameters;

  bool operator==(const InferenceJobSpec&) const = default;
};

enum class InferenceRole { kTreated, kControl };
std::string_view InferenceRoleName(InferenceRole role);  // "treated", "control"

struct InferenceRequest {
  std::string run_id;
  int iteration = 0;
  std::string query_uri;
  std::string prompt_uri;  // the treated prompt
  std::string output_uri;  // where the treated predictions go
  // Synthetic control: the matched control prompt and where its predictions go. Both empty
  // for query-as-control; both required otherwise.
  std::string control_prompt_uri;
  std::string control_output_uri;
  std::vector<std::string> genes;
  InferenceParameters parameters;
};

struct PlannedJob {
  InferenceRole role = InferenceRole::kTreated;
  std::string client_key;  // idempotency key: run id + iteration + role, batch-safe
  InferenceJobSpec spec;
};

// The request's jobs. The treated job's reference is the control prompt (if any); the control
// job predicts the query under the control prompt, with the control prompt as its own
// reference. Errors (kind kInference, invalid argument) when a required URI is missing or only
// one of the two control URIs is set.
absl::StatusOr<std::vector<PlannedJob>> PlanInferenceJobs(const InferenceRequest& request);

// "haystack-<run id>-iter-<n>-<role>" made batch-safe (core/ids.h BatchSafeId).
std::string InferenceClientKey(std::string_view run_id, int iteration, InferenceRole role);

struct InferenceProgress {
  InferenceRole role = InferenceRole::kTreated;
  std::string state;  // "queued", "running", "succeeded", ...
  int64_t cells_done = 0;
  int64_t cells_total = 0;
};
// Called from backend threads, possibly concurrently for the two roles; must be thread-safe
// and must not block.
using InferenceProgressCallback = std::function<void(const InferenceProgress&)>;

struct InferenceResult {
  std::string predictions_uri;
  std::string control_predictions_uri;  // empty for query-as-control
  std::string backend;                  // e.g. "cpu-icl-baseline"
  std::string model_version;
};

class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;

  // Runs the request's jobs to completion. A stop request cancels them and returns a
  // CancelledError (kind kCancelled). Failures are InferenceErrors (kind kInference) whose
  // canonical code says whether a re-execution may succeed (core/error.h IsTransient) and
  // whose message carries the worker's detail.
  virtual absl::StatusOr<InferenceResult> Run(const InferenceRequest& request,
                                              const StopToken& stop,
                                              const InferenceProgressCallback& progress) = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_INFERENCE_BACKEND_H_
