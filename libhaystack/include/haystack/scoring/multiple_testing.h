// Multiple-testing correction of p-values.
#ifndef HAYSTACK_SCORING_MULTIPLE_TESTING_H_
#define HAYSTACK_SCORING_MULTIPLE_TESTING_H_

#include <span>
#include <vector>

#include "haystack/core/enums.h"

namespace haystack::scoring {

// Adjusted p-values in the input order, as R's p.adjust(p, "BH") / p.adjust(p, "bonferroni"):
// Benjamini–Hochberg q_(i) = min_{j >= i} min(1, n/j · p_(j)) over p sorted ascending;
// Bonferroni min(1, n·p). n counts every entry; all inputs must be in [0, 1] (no NaN).
std::vector<double> AdjustPValues(std::span<const double> p_values, CorrectionMethod method);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_MULTIPLE_TESTING_H_
