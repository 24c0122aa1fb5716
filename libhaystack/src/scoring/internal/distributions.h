// Tail probabilities used by the tests of the scoring module. They follow SciPy's definitions
// so that p-values agree with scipy.stats to ~1e-12 relative (tests/scoring/).
#ifndef HAYSTACK_SCORING_INTERNAL_DISTRIBUTIONS_H_
#define HAYSTACK_SCORING_INTERNAL_DISTRIBUTIONS_H_

#include <cstdint>

namespace haystack::scoring_internal {

// P(Z > z) for a standard normal Z (scipy.stats.norm.sf).
double NormalSf(double z);

// Two-sided p of a standard normal statistic, 2·P(Z > |z|), capped at 1.
double NormalTwoSided(double z);

// P(T > t) for Student's t with `df` (> 0, may be fractional) degrees of freedom
// (scipy.stats.t.sf).
double StudentTSf(double t, double df);

// P(X >= k) for X ~ Hypergeometric(population N, K successes in the population, n draws):
// scipy.stats.hypergeom.sf(k - 1, N, K, n). Returns 1 for k <= 0 and 0 for k > min(K, n).
double HypergeometricUpperTail(int64_t k, int64_t population, int64_t successes, int64_t draws);

}  // namespace haystack::scoring_internal

#endif  // HAYSTACK_SCORING_INTERNAL_DISTRIBUTIONS_H_
