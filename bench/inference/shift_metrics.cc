#include "shift_metrics.h"

#include <cmath>
#include <vector>

namespace haystack::bench {
namespace {

std::vector<double> ColumnMeans(const DenseMatrix& m) {
  std::vector<double> mean(static_cast<size_t>(m.cols), 0.0);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t g = 0; g < m.cols; ++g) mean[static_cast<size_t>(g)] += m.at(r, g);
  }
  for (double& v : mean) v /= static_cast<double>(m.rows);
  return mean;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

}  // namespace

ShiftComparison CompareShifts(const DenseMatrix& query, const DenseMatrix& predicted,
                              const DenseMatrix& truth) {
  const auto q = ColumnMeans(query), p = ColumnMeans(predicted), t = ColumnMeans(truth);
  std::vector<double> observed(q.size()), shift(q.size());
  double se = 0, se_none = 0;
  for (size_t g = 0; g < q.size(); ++g) {
    observed[g] = t[g] - q[g];
    shift[g] = p[g] - q[g];
    se += (shift[g] - observed[g]) * (shift[g] - observed[g]);
    se_none += observed[g] * observed[g];
  }
  const double n = static_cast<double>(q.size());
  return {Pearson(shift, observed), std::sqrt(se / n), std::sqrt(se_none / n)};
}

}  // namespace haystack::bench
