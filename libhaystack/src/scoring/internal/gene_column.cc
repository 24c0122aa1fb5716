#include "internal/gene_column.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <variant>

#include "internal/distributions.h"

namespace haystack::scoring_internal {
namespace {

constexpr uint32_t kSignBit = 0x80000000u;
// Order-preserving key of +0: negatives map below it, positives above.
constexpr uint32_t kZeroOrder = kSignBit;

uint32_t OrderBits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  return (bits & kSignBit) != 0 ? ~bits : (bits | kSignBit);
}

}  // namespace

void GeneColumn::Clear() {
  keys.clear();
  nnz_treated = nnz_control = 0;
  sum_treated = sum_control = 0;
  expression_treated = expression_control = 0;
}

void GeneColumn::Add(float value, bool treated) {
  keys.push_back((static_cast<uint64_t>(OrderBits(value)) << 1) | (treated ? 1u : 0u));
  const double expression = std::expm1(static_cast<double>(value));
  if (treated) {
    ++nnz_treated;
    sum_treated += value;
    expression_treated += expression;
  } else {
    ++nnz_control;
    sum_control += value;
    expression_control += expression;
  }
}

float KeyValue(uint64_t key) {
  const auto order = static_cast<uint32_t>(key >> 1);
  return std::bit_cast<float>((order & kSignBit) != 0 ? (order & ~kSignBit) : ~order);
}

void SortByValue(GeneColumn& column) {
  std::vector<uint64_t>& keys = column.keys;
  const size_t n = keys.size();
  // Short columns: a comparison sort beats clearing the histograms.
  if (n < 256) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  // LSD radix sort on the 32 value bits (bits 1..32 of the key), one byte per pass; a pass in
  // which every key has the same byte (common for the exponent byte) is skipped.
  constexpr int kPasses = 4;
  uint32_t counts[kPasses][256] = {};
  for (uint64_t k : keys) {
    for (int p = 0; p < kPasses; ++p) ++counts[p][(k >> (1 + 8 * p)) & 0xff];
  }
  column.scratch.resize(n);
  uint64_t* from = keys.data();
  uint64_t* to = column.scratch.data();
  for (int p = 0; p < kPasses; ++p) {
    const int shift = 1 + 8 * p;
    if (counts[p][(from[0] >> shift) & 0xff] == n) continue;
    uint32_t offset = 0;
    for (uint32_t& c : counts[p]) {
      const uint32_t count = c;
      c = offset;
      offset += count;
    }
    for (size_t i = 0; i < n; ++i) to[counts[p][(from[i] >> shift) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != keys.data()) std::copy(from, from + n, keys.data());
}

GeneTest WilcoxonTest(GeneColumn& column, int64_t n_treated, int64_t n_control,
                      WilcoxonConvention convention) {
  SortByValue(column);
  const double n1 = static_cast<double>(n_treated);
  const double n2 = static_cast<double>(n_control);
  const double n = n1 + n2;
  const int64_t zeros_treated = n_treated - column.nnz_treated;
  const int64_t zeros_total = zeros_treated + (n_control - column.nnz_control);

  double rank_sum = 0;  // of the treated group, average ranks for ties
  double tie_term = 0;  // Σ (t³ − t) over tie groups
  double placed = 0;    // values ranked so far
  auto add_group = [&](double size, double treated_in_group) {
    rank_sum += treated_in_group * (placed + (size + 1) / 2);
    tie_term += size * size * size - size;
    placed += size;
  };
  bool zeros_placed = zeros_total == 0;
  const std::vector<uint64_t>& keys = column.keys;
  for (size_t i = 0; i < keys.size();) {
    const uint64_t value = keys[i] >> 1;
    if (!zeros_placed && value > kZeroOrder) {
      add_group(static_cast<double>(zeros_total), static_cast<double>(zeros_treated));
      zeros_placed = true;
    }
    size_t j = i;
    int64_t treated = 0;
    for (; j < keys.size() && (keys[j] >> 1) == value; ++j)
      treated += static_cast<int64_t>(keys[j] & 1);
    add_group(static_cast<double>(j - i), static_cast<double>(treated));
    i = j;
  }
  if (!zeros_placed) {
    add_group(static_cast<double>(zeros_total), static_cast<double>(zeros_treated));
  }

  GeneTest result;
  if (convention == WilcoxonConvention::kScanpy) {
    const double z = (rank_sum - n1 * (n + 1) / 2) / std::sqrt(n1 * n2 * (n + 1) / 12);
    result.statistic = z;
    result.p_value = NormalTwoSided(z);
    return result;
  }
  const double u1 = rank_sum - n1 * (n1 + 1) / 2;
  const double mu = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  result.statistic = u1;
  // Every value tied: the statistic carries no information (SciPy would divide 0 by 0).
  if (!(variance > 0) || placed != n || tie_term == n * n * n - n) {
    result.statistic = mu;
    result.p_value = 1;
    return result;
  }
  const double u = std::max(u1, n1 * n2 - u1);
  const double z = (u - mu - 0.5) / std::sqrt(variance);
  result.p_value = std::min(1.0, 2 * NormalSf(z));
  return result;
}

GeneTest WelchTest(const GeneColumn& column, int64_t n_treated, int64_t n_control) {
  const double n1 = static_cast<double>(n_treated);
  const double n2 = static_cast<double>(n_control);
  const double mean1 = column.sum_treated / n1;
  const double mean2 = column.sum_control / n2;
  // Two-pass sums of squares; the implied zeros contribute (0 − mean)² each.
  double ss1 = static_cast<double>(n_treated - column.nnz_treated) * mean1 * mean1;
  double ss2 = static_cast<double>(n_control - column.nnz_control) * mean2 * mean2;
  for (uint64_t key : column.keys) {
    const double v = KeyValue(key);
    if ((key & 1) != 0) {
      ss1 += (v - mean1) * (v - mean1);
    } else {
      ss2 += (v - mean2) * (v - mean2);
    }
  }
  const double se1 = ss1 / (n1 - 1) / n1;
  const double se2 = ss2 / (n2 - 1) / n2;
  const double se = se1 + se2;
  GeneTest result;
  if (!(se > 0)) return result;  // both groups constant: untestable
  const double t = (mean1 - mean2) / std::sqrt(se);
  const double df = se * se / (se1 * se1 / (n1 - 1) + se2 * se2 / (n2 - 1));
  result.statistic = t;
  result.p_value = std::min(1.0, 2 * StudentTSf(std::fabs(t), df));
  return result;
}

void GatherColumns(const ExpressionMatrix& m, int64_t begin, int64_t end, bool treated,
                   std::span<GeneColumn> columns) {
  if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
    for (int64_t r = 0; r < dense->rows; ++r) {
      const float* row = dense->values.data() + r * dense->cols;
      for (int64_t c = begin; c < end; ++c) {
        // -0.0 compares equal to 0 and joins the zeros.
        if (row[c] != 0.0f) columns[static_cast<size_t>(c - begin)].Add(row[c], treated);
      }
    }
    return;
  }
  const auto& csr = std::get<CsrMatrix>(m);
  for (int64_t r = 0; r < csr.rows; ++r) {
    const int32_t* first = csr.indices.data() + csr.indptr[static_cast<size_t>(r)];
    const int32_t* last = csr.indices.data() + csr.indptr[static_cast<size_t>(r) + 1];
    const int32_t* it = std::lower_bound(first, last, static_cast<int32_t>(begin));
    for (; it != last && *it < end; ++it) {
      const float v = csr.data[static_cast<size_t>(it - csr.indices.data())];
      if (v != 0.0f) columns[static_cast<size_t>(*it - begin)].Add(v, treated);
    }
  }
}

}  // namespace haystack::scoring_internal
