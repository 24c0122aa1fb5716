// Row and column selections of expression matrices for evaluation: real cells gathered from the
// atlas lined up with the predictions' genes.
#ifndef HAYSTACK_AGENT_INTERNAL_MATRIX_ROWS_H_
#define HAYSTACK_AGENT_INTERNAL_MATRIX_ROWS_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/matrix.h"

namespace haystack::agent_internal {

// The rows `rows` of `m`, in that order, as CSR.
CsrMatrix TakeRows(const ExpressionMatrix& m, std::span<const int64_t> rows);

// The atlas rows `cells` with the columns of `genes`, in that order (a gene the atlas lacks is
// an all-zero column): what the predictions would look like for these real cells.
absl::StatusOr<ExpressionMatrix> GatherOver(const CellAtlas& atlas, std::span<const int64_t> cells,
                                            const std::vector<std::string>& genes);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_MATRIX_ROWS_H_
