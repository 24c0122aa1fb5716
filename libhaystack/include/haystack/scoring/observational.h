// The observational grounding score (cell-type imputation, donor expression prediction,
// cross-dataset generation): four components of 25% each, judged against real cells of the
// atlas rather than curated lists (docs/scoring.md §5).
//
//   marker gene expression  the cell type's markers (curated, else its real cells against the
//                           other types' real cells) detected in the predicted cells as often as
//                           in the type's real cells;
//   tissue signature match  the shift from the query cells to the predictions reproduces the
//                           target tissue's signature (its cells against other tissues' cells of
//                           the same types);
//   donor effect capture    the same for the target donor's signature (its other cell types
//                           against other donors' cells of those types);
//   cell type coherence     the predicted profile is closer to held-out real cells of the type
//                           (or its nearest ontology neighbours) than to any other cell type.
//
// A component whose evidence the atlas cannot supply is unavailable, with the reason; with
// none available the prediction is unscored (no composite).
#ifndef HAYSTACK_SCORING_OBSERVATIONAL_H_
#define HAYSTACK_SCORING_OBSERVATIONAL_H_

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/matrix.h"
#include "haystack/core/scores.h"

namespace haystack::scoring {

// A group of real (or predicted) cells summarised gene by gene.
struct Profile {
  std::string label;  // what the cells are, for rationales: "natural killer cell, donor D03"
  int64_t cells = 0;
  std::vector<double> mean;        // of the log1p values
  std::vector<double> expression;  // of expm1 of the values: the expression scale
  std::vector<double> detected;    // fraction of cells with a non-zero value
};
Profile ComputeProfile(const ExpressionMatrix& m, std::string label);

// A direction in expression space from real cells: log2 fold changes (pseudocount 1 on the
// expression scale) of a target against others, averaged over strata (e.g. cell types), on the
// genes that move most.
struct Signature {
  std::string description;
  std::vector<size_t> genes;    // column indices
  std::vector<double> log2_fc;  // per entry of `genes`
  // Share of the query cells already in the target (their tissue, their donor): the shift the
  // predictions should show along the signature is 1 − query_share of it.
  double query_share = 0;
};

inline constexpr size_t kSignatureGenes = 50;
inline constexpr size_t kMarkerGenes = 20;

// Builds a signature from (target, other) profile pairs, one per stratum: x_g = mean over
// strata of log2FC(target, other), over genes detected in >= 10% of the cells of either side of
// some stratum; the `top_n` genes with the largest |x_g|. nullopt with fewer than 3 such genes
// or no stratum.
std::optional<Signature> ContrastSignature(std::span<const std::pair<Profile, Profile>> strata,
                                           std::string description, size_t top_n);

// Markers of a cell type from its real cells: genes detected in >= 25% of them whose fold
// change over every other type is at least 2^0.5, by the smallest of those fold changes (the
// most specific first); at most `top_n`. Column indices.
std::vector<size_t> SelectMarkers(const Profile& cell_type, std::span<const Profile> others,
                                  size_t top_n);

// The real cells of the atlas a prediction is judged against: everything the score needs but
// the prediction itself, so a run reads it once. A missing piece comes with the reason.
struct ObservationalReferences {
  std::optional<Profile> cell_type;        // real unperturbed cells of the type
  std::vector<Profile> other_cell_types;   // real unperturbed cells of other types
  std::string markers_unavailable_reason;  // when there is no cell_type
  std::optional<Signature> tissue;
  std::string tissue_unavailable_reason;
  std::optional<Signature> donor;
  std::string donor_unavailable_reason;
  // Coherence: real cells the prediction should resemble, not among the query cells.
  std::optional<Profile> coherence_reference;
  std::string coherence_unavailable_reason;
};

struct ObservationalInputs {
  const ExpressionMatrix* predicted = nullptr;  // required: predicted cells × genes
  std::span<const std::string> genes;           // columns of every matrix and profile
  // The real cells the predictions were made from (rows correspond); required for the tissue
  // and donor signatures.
  const ExpressionMatrix* query = nullptr;
  // Curated marker symbols; empty: markers are selected from the references' cell type against
  // the other types.
  std::vector<std::string> marker_genes;
  ObservationalReferences references;
};

// Pearson correlation; 0 when either side is constant or fewer than 2 values.
double Pearson(std::span<const double> x, std::span<const double> y);

// Errors (EvaluationError): no predicted matrix, a column count that differs from genes.size(),
// NaN/Inf, profiles or signatures of the wrong length.
absl::StatusOr<ObservationalGroundingScore> ScoreObservational(const ObservationalInputs& inputs);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_OBSERVATIONAL_H_
