// Pseudobulk profiles and the unit-level tests of RunPredictionDe (docs/scoring.md §1.2): cells
// are summed per unit (donor or sample) on the expression scale, and units, not cells, are the
// replicates.
#ifndef HAYSTACK_SCORING_INTERNAL_PSEUDOBULK_H_
#define HAYSTACK_SCORING_INTERNAL_PSEUDOBULK_H_

#include <cstdint>
#include <span>
#include <vector>

#include "haystack/core/matrix.h"

namespace haystack::scoring_internal {

// Per unit and gene, the mean of expm1(x) over the unit's cells; plus per gene over every row
// the same mean, the mean of x itself and the number of rows with x ≠ 0.
struct Pseudobulk {
  int64_t genes = 0;
  std::vector<int64_t> unit_cells;        // rows per unit
  std::vector<double> unit_mean;          // unit-major: [unit * genes + gene]
  std::vector<double> pooled_mean;        // of expm1(x) over every row: the expression scale
  std::vector<double> pooled_log1p_mean;  // of x (the stored log1p values) over every row
  std::vector<int64_t> nonzero;           // rows with a non-zero value, per gene
  int64_t rows = 0;

  double UnitLog2(size_t unit, size_t gene) const;  // log2(unit mean + 1)
};

// `unit_of_row[r]` is row r's unit in [0, n_units), or -1 for a row counted only in the pooled
// figures (empty: every row pooled only).
Pseudobulk ComputePseudobulk(const ExpressionMatrix& m, std::span<const int32_t> unit_of_row,
                             int n_units);

struct UnitTest {
  double statistic = 0;  // t
  double p_value = 1;
  double df = 0;
};

// Paired t-test across units of d_u = log2(T_u + 1) − log2(C_u + 1) (scipy.stats.ttest_rel of
// the log pseudobulks), df = units − 1. Identical non-zero differences give t = ±inf and p = 0;
// all-zero differences p = 1. Needs at least 2 units.
UnitTest PairedT(std::span<const double> differences);

// Crawford & Howell (1998): one case x against n controls y_1..y_n,
// t = (x − ȳ) / (s_y · sqrt((n + 1)/n)), df = n − 1, two-sided; s_y with ddof 1. Controls
// without spread give p = 1 when x equals their mean and p = 0 otherwise. Needs n >= 2.
UnitTest CrawfordHowell(double case_value, std::span<const double> controls);

}  // namespace haystack::scoring_internal

#endif  // HAYSTACK_SCORING_INTERNAL_PSEUDOBULK_H_
