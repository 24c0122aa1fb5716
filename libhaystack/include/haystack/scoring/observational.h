// The observational grounding score (cell-type imputation, donor expression prediction,
// cross-dataset generation): four components of 25% each. Formulas in
// docs/scoring.md §5.
#ifndef HAYSTACK_SCORING_OBSERVATIONAL_H_
#define HAYSTACK_SCORING_OBSERVATIONAL_H_

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/matrix.h"
#include "haystack/core/scores.h"

namespace haystack::scoring {

struct ObservationalInputs {
  const ExpressionMatrix* predicted = nullptr;  // required: predicted cells × genes
  std::span<const std::string> genes;           // columns of every matrix
  // Real cells of the target (cell type in the reference donor/dataset); optional.
  const ExpressionMatrix* reference = nullptr;
  // Real cells of the same cell type from other donors, for the donor effect; optional.
  const ExpressionMatrix* background = nullptr;
  std::vector<std::string> marker_genes;  // canonical markers of the cell type
  std::vector<std::string> tissue_genes;  // the tissue's signature genes
  // Mean (log1p) profiles of other reference cell types, over `genes`.
  std::vector<std::pair<std::string, std::vector<double>>> other_cell_types;
};

// Per-gene mean and fraction of cells with a non-zero value.
struct ColumnStats {
  std::vector<double> mean;
  std::vector<double> detected;
};
ColumnStats ComputeColumnStats(const ExpressionMatrix& m);

// Pearson correlation; 0 when either side is constant or fewer than 2 values.
double Pearson(std::span<const double> x, std::span<const double> y);

// Components without their evidence (no markers, no reference, ...) are unavailable and the
// composite renormalises. Errors (EvaluationError): no predicted matrix, a column count that
// differs from genes.size(), NaN/Inf, reference profiles of the wrong length.
absl::StatusOr<ObservationalGroundingScore> ScoreObservational(const ObservationalInputs& inputs);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_OBSERVATIONAL_H_
