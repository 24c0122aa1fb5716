// Profiles, signatures and markers from real cells (docs/scoring.md §5).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <variant>

#include "haystack/scoring/differential_expression.h"
#include "haystack/scoring/observational.h"

namespace haystack::scoring {
namespace {

constexpr double kMinSignatureDetection = 0.1;
constexpr double kMinMarkerDetection = 0.25;
constexpr double kMinMarkerLog2Fc = 0.5;

template <class Add>
void ForEachValue(const ExpressionMatrix& m, const Add& add) {
  if (const auto* d = std::get_if<DenseMatrix>(&m)) {
    const auto cols = static_cast<size_t>(d->cols);
    for (size_t k = 0; k < d->values.size(); ++k) add(k % cols, d->values[k]);
  } else {
    const auto& csr = std::get<CsrMatrix>(m);
    for (size_t k = 0; k < csr.data.size(); ++k)
      add(static_cast<size_t>(csr.indices[k]), csr.data[k]);
  }
}

}  // namespace

Profile ComputeProfile(const ExpressionMatrix& m, std::string label) {
  const auto cols = static_cast<size_t>(Cols(m));
  Profile p;
  p.label = std::move(label);
  p.cells = Rows(m);
  p.mean.assign(cols, 0);
  p.expression.assign(cols, 0);
  p.detected.assign(cols, 0);
  ForEachValue(m, [&](size_t c, float v) {
    if (v == 0.0f) return;
    p.mean[c] += v;
    p.expression[c] += std::expm1(static_cast<double>(v));
    p.detected[c] += 1;
  });
  const double rows = std::max<double>(1, static_cast<double>(p.cells));
  for (size_t c = 0; c < cols; ++c) {
    p.mean[c] /= rows;
    p.expression[c] /= rows;
    p.detected[c] /= rows;
  }
  return p;
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return sxy / std::sqrt(sxx * syy);
}

std::optional<Signature> ContrastSignature(std::span<const std::pair<Profile, Profile>> strata,
                                           std::string description, size_t top_n) {
  if (strata.empty()) return std::nullopt;
  const size_t n_genes = strata.front().first.expression.size();
  std::vector<double> x(n_genes, 0);
  std::vector<uint8_t> detected(n_genes, 0);
  for (const auto& [target, other] : strata) {
    for (size_t g = 0; g < n_genes; ++g) {
      x[g] += Log2FoldChange(target.expression[g], other.expression[g]);
      detected[g] |= std::max(target.detected[g], other.detected[g]) >= kMinSignatureDetection;
    }
  }
  std::vector<size_t> order;
  for (size_t g = 0; g < n_genes; ++g) {
    x[g] /= static_cast<double>(strata.size());
    if (detected[g] && x[g] != 0) order.push_back(g);
  }
  if (order.size() < 3) return std::nullopt;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return std::fabs(x[a]) > std::fabs(x[b]); });
  order.resize(std::min(order.size(), top_n));
  Signature s;
  s.description = std::move(description);
  for (size_t g : order) {
    s.genes.push_back(g);
    s.log2_fc.push_back(x[g]);
  }
  return s;
}

std::vector<size_t> SelectMarkers(const Profile& cell_type, std::span<const Profile> others,
                                  size_t top_n) {
  if (others.empty()) return {};
  std::vector<std::pair<double, size_t>> ranked;  // (smallest fold change over others, gene)
  for (size_t g = 0; g < cell_type.expression.size(); ++g) {
    if (cell_type.detected[g] < kMinMarkerDetection) continue;
    double smallest = std::numeric_limits<double>::infinity();
    for (const Profile& o : others) {
      smallest = std::min(smallest, Log2FoldChange(cell_type.expression[g], o.expression[g]));
    }
    if (smallest >= kMinMarkerLog2Fc) ranked.emplace_back(smallest, g);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<size_t> markers;
  for (size_t i = 0; i < ranked.size() && i < top_n; ++i) markers.push_back(ranked[i].second);
  return markers;
}

}  // namespace haystack::scoring
