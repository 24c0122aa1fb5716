// Predicted vs observed pseudobulk shift (mean over cells, per gene, relative to the query).
#ifndef HAYSTACK_BENCH_INFERENCE_SHIFT_METRICS_H_
#define HAYSTACK_BENCH_INFERENCE_SHIFT_METRICS_H_

#include "haystack/core/matrix.h"

namespace haystack::bench {

struct ShiftComparison {
  double r = 0;               // Pearson r of predicted vs observed shift over genes
  double rmse = 0;            // RMSE of predicted vs observed shift
  double rmse_no_change = 0;  // RMSE of a zero shift (the "no change" baseline)
};

ShiftComparison CompareShifts(const DenseMatrix& query, const DenseMatrix& predicted,
                              const DenseMatrix& truth);

}  // namespace haystack::bench

#endif  // HAYSTACK_BENCH_INFERENCE_SHIFT_METRICS_H_
