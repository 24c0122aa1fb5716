// Links haystack::scoring alone: Benjamini–Hochberg on three p-values.
#include <iostream>
#include <vector>

#include "haystack/scoring/multiple_testing.h"

int main() {
  const std::vector<double> p = {0.01, 0.04, 0.03};
  const auto q =
      haystack::scoring::AdjustPValues(p, haystack::CorrectionMethod::kBenjaminiHochberg);
  // R: p.adjust(c(0.01, 0.04, 0.03), "BH") = 0.03 0.04 0.04
  const bool ok = q.size() == 3 && q[0] > 0.0299 && q[0] < 0.0301 && q[1] > 0.0399 &&
                  q[1] < 0.0401 && q[2] > 0.0399 && q[2] < 0.0401;
  std::cout << (ok ? "ok" : "wrong adjusted p-values") << "\n";
  return ok ? 0 : 1;
}
