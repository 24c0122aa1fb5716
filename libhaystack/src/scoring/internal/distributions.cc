#include "internal/distributions.h"

#include <algorithm>
#include <cmath>

#include "boost/math/distributions/students_t.hpp"

namespace haystack::scoring_internal {

double NormalSf(double z) {
  // erfc keeps full relative precision far into the upper tail, where 1 - Φ(z) would cancel.
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double NormalTwoSided(double z) { return std::min(1.0, 2.0 * NormalSf(std::fabs(z))); }

double StudentTSf(double t, double df) {
  if (std::isnan(t) || !(df > 0)) return std::nan("");
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  const boost::math::students_t dist(df);
  return boost::math::cdf(boost::math::complement(dist, t));
}

namespace {

// log C(a, b) in extended precision: the terms of the hypergeometric tail are ratios of
// products of huge factorials, and long double keeps the relative error near 1e-15 even for
// populations of ~10^5 genes.
long double LogChoose(int64_t a, int64_t b) {
  return std::lgamma(static_cast<long double>(a) + 1) -
         std::lgamma(static_cast<long double>(b) + 1) -
         std::lgamma(static_cast<long double>(a - b) + 1);
}

}  // namespace

double HypergeometricUpperTail(int64_t k, int64_t population, int64_t successes, int64_t draws) {
  const int64_t lo = std::max<int64_t>(0, draws - (population - successes));
  const int64_t hi = std::min(successes, draws);
  if (k <= lo) return 1.0;
  if (k > hi) return 0.0;
  // pmf(k), then the upper terms by the ratio pmf(i+1)/pmf(i), which needs no further lgamma.
  long double term =
      std::exp(LogChoose(successes, k) + LogChoose(population - successes, draws - k) -
               LogChoose(population, draws));
  long double sum = 0;
  for (int64_t i = k; i <= hi; ++i) {
    sum += term;
    if (term < sum * 1e-20L) break;
    const long double next_ratio =
        static_cast<long double>(successes - i) * static_cast<long double>(draws - i) /
        (static_cast<long double>(i + 1) *
         static_cast<long double>(population - successes - draws + i + 1));
    term *= next_ratio;
  }
  return std::min(1.0, static_cast<double>(sum));
}

}  // namespace haystack::scoring_internal
