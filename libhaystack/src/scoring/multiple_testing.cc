#include "haystack/scoring/multiple_testing.h"

#include <algorithm>
#include <numeric>

namespace haystack::scoring {

std::vector<double> AdjustPValues(std::span<const double> p_values, CorrectionMethod method) {
  const size_t n = p_values.size();
  std::vector<double> adjusted(n);
  if (n == 0) return adjusted;
  const double dn = static_cast<double>(n);
  if (method == CorrectionMethod::kBonferroni) {
    for (size_t i = 0; i < n; ++i) adjusted[i] = std::min(1.0, dn * p_values[i]);
    return adjusted;
  }
  // Largest p first, carrying the running minimum down: R's cummin(n / i * p[o]).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] > p_values[b]; });
  double running = 1.0;
  for (size_t r = 0; r < n; ++r) {
    const double rank = static_cast<double>(n - r);  // ascending rank of order[r]
    running = std::min(running, dn / rank * p_values[order[r]]);
    adjusted[order[r]] = running;
  }
  return adjusted;
}

}  // namespace haystack::scoring
