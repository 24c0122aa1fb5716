#include "internal/pseudobulk.h"

#include <cmath>
#include <limits>
#include <variant>

#include "internal/distributions.h"

namespace haystack::scoring_internal {
namespace {

UnitTest FromT(double t, double df) {
  UnitTest out;
  out.statistic = t;
  out.df = df;
  out.p_value = std::min(1.0, 2 * StudentTSf(std::fabs(t), df));
  return out;
}

// Sample mean and variance (ddof 1) by two passes.
std::pair<double, double> MeanVariance(std::span<const double> x) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return {mean, ss / static_cast<double>(x.size() - 1)};
}

}  // namespace

double Pseudobulk::UnitLog2(size_t unit, size_t gene) const {
  return std::log2(unit_mean[unit * static_cast<size_t>(genes) + gene] + 1);
}

Pseudobulk ComputePseudobulk(const ExpressionMatrix& m, std::span<const int32_t> unit_of_row,
                             int n_units) {
  Pseudobulk p;
  p.genes = Cols(m);
  p.rows = Rows(m);
  const auto g = static_cast<size_t>(p.genes);
  p.unit_cells.assign(static_cast<size_t>(n_units), 0);
  p.unit_mean.assign(static_cast<size_t>(n_units) * g, 0);
  p.pooled_mean.assign(g, 0);
  p.pooled_log1p_mean.assign(g, 0);
  p.nonzero.assign(g, 0);
  auto add = [&](int32_t unit, int64_t col, float v) {
    if (v == 0.0f) return;
    const double e = std::expm1(static_cast<double>(v));
    const auto c = static_cast<size_t>(col);
    p.pooled_mean[c] += e;
    p.pooled_log1p_mean[c] += v;
    ++p.nonzero[c];
    if (unit >= 0) p.unit_mean[static_cast<size_t>(unit) * g + c] += e;
  };
  for (int64_t r = 0; r < p.rows; ++r) {
    const int32_t unit = unit_of_row.empty() ? -1 : unit_of_row[static_cast<size_t>(r)];
    if (unit >= 0) ++p.unit_cells[static_cast<size_t>(unit)];
    if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
      const float* row = dense->values.data() + r * dense->cols;
      for (int64_t c = 0; c < dense->cols; ++c) add(unit, c, row[c]);
    } else {
      const auto& csr = std::get<CsrMatrix>(m);
      for (int64_t k = csr.indptr[static_cast<size_t>(r)];
           k < csr.indptr[static_cast<size_t>(r) + 1]; ++k) {
        add(unit, csr.indices[static_cast<size_t>(k)], csr.data[static_cast<size_t>(k)]);
      }
    }
  }
  for (size_t u = 0; u < p.unit_cells.size(); ++u) {
    if (p.unit_cells[u] == 0) continue;
    const double n = static_cast<double>(p.unit_cells[u]);
    for (size_t c = 0; c < g; ++c) p.unit_mean[u * g + c] /= n;
  }
  if (p.rows > 0) {
    for (double& v : p.pooled_mean) v /= static_cast<double>(p.rows);
    for (double& v : p.pooled_log1p_mean) v /= static_cast<double>(p.rows);
  }
  return p;
}

UnitTest PairedT(std::span<const double> differences) {
  const auto [mean, variance] = MeanVariance(differences);
  const double df = static_cast<double>(differences.size() - 1);
  if (!(variance > 0)) {
    // Every unit moved by exactly the same amount: certain if it moved at all.
    UnitTest out;
    out.df = df;
    out.statistic = mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
    out.p_value = mean == 0 ? 1 : 0;
    return out;
  }
  return FromT(mean / std::sqrt(variance / static_cast<double>(differences.size())), df);
}

UnitTest CrawfordHowell(double case_value, std::span<const double> controls) {
  const auto [mean, variance] = MeanVariance(controls);
  const double n = static_cast<double>(controls.size());
  if (!(variance > 0)) {
    UnitTest out;
    out.df = n - 1;
    const double d = case_value - mean;
    out.statistic = d == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), d);
    out.p_value = d == 0 ? 1 : 0;
    return out;
  }
  return FromT((case_value - mean) / (std::sqrt(variance) * std::sqrt((n + 1) / n)), n - 1);
}

}  // namespace haystack::scoring_internal
