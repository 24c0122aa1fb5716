// Synthetic expression data for the scoring tests, and the SciPy reference run over it.
#ifndef HAYSTACK_TESTS_SCORING_DE_TEST_DATA_H_
#define HAYSTACK_TESTS_SCORING_DE_TEST_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "haystack/core/matrix.h"

namespace haystack::testing {

// Treated and control groups over `genes` with a mix of patterns: sparse shifted genes
// (~75% zeros), dense continuous genes, heavily tied small-count genes, genes with negative
// values, null genes, an all-zero gene and a constant gene.
struct DePair {
  DenseMatrix treated;
  DenseMatrix control;
  std::vector<std::string> genes;
};
DePair MakeDePair(int64_t n_treated, int64_t n_control, int64_t n_genes, uint64_t seed);

// One row per gene from tests/scoring/reference/de_reference.py.
struct ReferenceRow {
  double u, p_mwu, z_scanpy, p_scanpy, t, p_welch, lfc, tested, bh, bonferroni;
};
std::vector<ReferenceRow> RunScipyReference(const DePair& pair);

// |a − b| <= rel·max(|a|, |b|) (both NaN counts as equal).
bool RelativelyEqual(double a, double b, double rel);

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SCORING_DE_TEST_DATA_H_
