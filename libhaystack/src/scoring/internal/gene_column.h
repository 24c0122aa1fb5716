// One gene's values in the two groups of a DE comparison, and the per-gene tests over them.
// Only non-zero values are stored: zeros are implied by the group sizes and share one rank.
#ifndef HAYSTACK_SCORING_INTERNAL_GENE_COLUMN_H_
#define HAYSTACK_SCORING_INTERNAL_GENE_COLUMN_H_

#include <cstdint>
#include <span>
#include <vector>

#include "haystack/core/enums.h"
#include "haystack/core/matrix.h"

namespace haystack::scoring_internal {

// A reusable buffer: Clear() keeps the capacity so that a thread allocates only while its
// buffers grow to the largest gene it has seen.
struct GeneColumn {
  // (order-preserving bits of the value << 1) | group, group 1 = treated: sorting the keys
  // sorts by value, and equal values stay adjacent whatever their group.
  std::vector<uint64_t> keys;
  std::vector<uint64_t> scratch;  // radix-sort buffer
  int64_t nnz_treated = 0;
  int64_t nnz_control = 0;
  double sum_treated = 0;  // of the (log1p) values
  double sum_control = 0;
  double expression_treated = 0;  // of expm1(value): the expression scale
  double expression_control = 0;

  void Clear();
  void Add(float value, bool treated);
};

float KeyValue(uint64_t key);

struct GeneTest {
  double statistic = 0;
  double p_value = 1;
};

// Orders column.keys by value (the group bit is ignored: ranks only need equal values adjacent).
void SortByValue(GeneColumn& column);

// Sorts column.keys by value. n_treated/n_control are the group sizes (cells, zeros included).
GeneTest WilcoxonTest(GeneColumn& column, int64_t n_treated, int64_t n_control,
                      WilcoxonConvention convention);
GeneTest WelchTest(const GeneColumn& column, int64_t n_treated, int64_t n_control);

// Appends the non-zero entries of columns [begin, end) of `m` to columns[c - begin].
void GatherColumns(const ExpressionMatrix& m, int64_t begin, int64_t end, bool treated,
                   std::span<GeneColumn> columns);

}  // namespace haystack::scoring_internal

#endif  // HAYSTACK_SCORING_INTERNAL_GENE_COLUMN_H_
