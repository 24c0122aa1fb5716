#include "internal/input_checks.h"

#include <string>

#include "fmt/format.h"
#include "haystack/core/error.h"

namespace haystack::scoring_internal {

absl::Status CheckExpressionMatrix(const ExpressionMatrix& m, std::string_view what, size_t n_genes,
                                   std::string_view context) {
  if (absl::Status s = Validate(m); !s.ok()) {
    return EvaluationError(fmt::format("{} matrix is invalid: {}", what, std::string(s.message())));
  }
  if (Cols(m) != static_cast<int64_t>(n_genes)) {
    return EvaluationError(fmt::format(
        "{} matrix has {} gene columns but {} gene symbols were given", what, Cols(m), n_genes));
  }
  if (absl::Status s = CheckFinite(m, what); !s.ok()) {
    return EvaluationError(fmt::format("{}: {}", context, std::string(s.message())));
  }
  return absl::OkStatus();
}

}  // namespace haystack::scoring_internal
