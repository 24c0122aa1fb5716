// Checks every scoring entry point makes on an expression matrix before reading it.
#ifndef HAYSTACK_SCORING_INTERNAL_INPUT_CHECKS_H_
#define HAYSTACK_SCORING_INTERNAL_INPUT_CHECKS_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "haystack/core/matrix.h"

namespace haystack::scoring_internal {

// EvaluationError unless `m` is a valid matrix of `n_genes` columns holding only finite values;
// the message names the matrix (`what`: "treated", "predicted") and, for a non-finite value,
// its row and column, after `context` ("differential expression").
absl::Status CheckExpressionMatrix(const ExpressionMatrix& m, std::string_view what, size_t n_genes,
                                   std::string_view context);

}  // namespace haystack::scoring_internal

#endif  // HAYSTACK_SCORING_INTERNAL_INPUT_CHECKS_H_
