// The CPU in-context baseline: a documented, simple stand-in for STACK (it is not STACK).
//
// Given prompt cells P that show a condition, optional matched control cells R (the prompt's
// reference) and query cells Q, all log1p-normalised over the same genes:
//   d_g = mean_P(g) − mean_R(g)               (R absent: mean_Q(g), i.e. query as control)
//   t_g = d_g / sqrt(var_P(g)/n_P + var_R(g)/n_R)   (Welch; sample variances, ddof 1)
//   effect δ_g = d_g if |t_g| ≥ min_effect_t, else 0
//   prediction(i, g) = max(0, Q(i, g) + s · δ_g)
// i.e. each query cell is shifted by the prompt's condition-vs-control mean shift in log space,
// clipped to valid (non-negative) log expression. Genes whose shift the prompt does not
// support (|t| below min_effect_t; e.g. a difference of means of a few dozen cells that is
// sampling noise) are left unchanged: without this, noise shifts of genes the query cells do
// not express would turn their zeros into uniform small values, which any test calls
// differential (docs/inference.md "The CPU baseline"). s is `effect_scale` (default 1). Means are
// estimated from at most `max_context_cells` cells of P and of R, subsampled with the seed when
// larger, so the result is deterministic for a seed and independent of the thread count.
#ifndef HAYSTACK_INFERENCE_ICL_BASELINE_H_
#define HAYSTACK_INFERENCE_ICL_BASELINE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/matrix.h"
#include "haystack/core/stop_token.h"

namespace haystack {

inline constexpr char kIclBaselineBackendName[] = "cpu-icl-baseline";
inline constexpr char kIclBaselineModelVersion[] = "mean-shift-v2";

struct IclOptions {
  int threads = 0;                   // 0: hardware concurrency
  int64_t max_context_cells = 4096;  // cells of P (and of R) used to estimate the means
  uint64_t seed = 0;
  double effect_scale = 1.0;
  // Welch |t| a gene's prompt-vs-reference difference needs to be applied; 0 applies all.
  double min_effect_t = 3.0;
  // Pacing: at most this many query cells per second (0: as fast as possible). Simulates a
  // long GPU job for demos and for the tests of cancellation, restarts and deadlines.
  double max_cells_per_second = 0;
};

struct IclInputs {
  const ExpressionMatrix* prompt = nullptr;     // required, ≥ 1 cell
  const ExpressionMatrix* reference = nullptr;  // optional, ≥ 1 cell when given
  const ExpressionMatrix* query = nullptr;      // required, ≥ 1 cell
};

// (cells done, cells total), called from worker threads under a lock, in increasing order.
using IclProgressCallback = std::function<void(int64_t, int64_t)>;

// δ as above, in double precision. InvalidArgument (kind kInference) naming the input for:
// a missing or empty input, differing gene counts, NaN/Inf values.
absl::StatusOr<std::vector<double>> IclConditionEffect(const IclInputs& inputs,
                                                       const IclOptions& options);

// Predictions: query rows × genes. Checks the inputs like IclConditionEffect; returns
// CancelledError soon (one block of rows) after `stop` fires.
absl::StatusOr<DenseMatrix> PredictIcl(const IclInputs& inputs, const IclOptions& options,
                                       const StopToken& stop,
                                       const IclProgressCallback& progress = {});

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_ICL_BASELINE_H_
