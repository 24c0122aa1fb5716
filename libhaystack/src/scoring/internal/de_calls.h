// The part of differential expression both forms share once every gene has its p-value: the
// multiple-testing correction over the tested genes only, the DE calls and the summary.
#ifndef HAYSTACK_SCORING_INTERNAL_DE_CALLS_H_
#define HAYSTACK_SCORING_INTERNAL_DE_CALLS_H_

#include <cstdint>
#include <span>
#include <string>

#include "haystack/scoring/differential_expression.h"

namespace haystack::scoring_internal {

// A result for `genes` with every gene untested: statistic 0, p 1, fold change 0.
scoring::DeResult UntestedDeResult(std::span<const std::string> genes);

// Tested iff either group detects the gene in at least `min_fraction` of its cells; every gene
// when min_fraction <= 0 (all-zero genes included).
bool Detected(int64_t nonzero_treated, int64_t n_treated, int64_t nonzero_control,
              int64_t n_control, double min_fraction);

// Fills adjusted_p_value (correction over the genes with tested[i] = 1; 1 elsewhere), is_de,
// up/down and the summary's counts and top lists. Needs genes, p_value, log2_fold_change and
// tested filled in.
void FinishDe(scoring::DeResult& r, const scoring::DeOptions& options, int64_t n_treated,
              int64_t n_control);

}  // namespace haystack::scoring_internal

#endif  // HAYSTACK_SCORING_INTERNAL_DE_CALLS_H_
