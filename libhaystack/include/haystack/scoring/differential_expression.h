// Differential expression between predicted (treated) cells and control cells, gene by gene.
//
// Tests (docs/scoring.md §1 has every formula):
//  - Wilcoxon rank-sum, normal approximation, in one of two conventions:
//      kExactTies: tie-corrected variance and continuity correction, two-sided — exactly
//        scipy.stats.mannwhitneyu(x, y, method="asymptotic") and R wilcox.test(exact=FALSE);
//        `statistic` is SciPy's U of the treated group.
//      kScanpy: scanpy rank_genes_groups' default, z = (R1 − n1(n+1)/2) / sqrt(n1·n2·(n+1)/12)
//        with neither correction; `statistic` is that z.
//  - Welch's t-test (scipy.stats.ttest_ind(equal_var=False)); `statistic` is t.
// log2 fold change as scanpy: log2((expm1(mean_t) + 1e-9) / (expm1(mean_c) + 1e-9)) over the
// log1p-normalised values. A gene is DE when adjusted p <= pval_threshold and |log2 FC| >=
// lfc_threshold; up when its fold change is positive.
//
// Untestable genes (every value tied, e.g. all-zero or constant genes; zero variance in both
// groups for Welch) get statistic at its null value (U = n1·n2/2, z = 0, t = 0) and p = 1, and
// count in the multiple-testing correction, as in scanpy.
//
// Work is spread over threads by blocks of genes; each thread reuses its buffers, so the cost
// per gene is one sort of that gene's non-zero values (all zeros share one tied rank).
#ifndef HAYSTACK_SCORING_DIFFERENTIAL_EXPRESSION_H_
#define HAYSTACK_SCORING_DIFFERENTIAL_EXPRESSION_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/enums.h"
#include "haystack/core/matrix.h"
#include "haystack/core/run_config.h"
#include "haystack/core/scores.h"

namespace haystack::scoring {

struct DeOptions {
  DEAnalysisConfig config;
  int threads = 0;  // 0 = hardware concurrency
  // Recorded in DeSummary: what was compared.
  std::string treatment_source = "predictions";
  std::string control_source = "control_predictions";  // or "query_cells"
  int top_n = 50;                                      // length of DeSummary::top_up / top_down
};

// Per-gene results in the column order of the input matrices, plus the summary.
struct DeResult {
  std::vector<std::string> genes;
  std::vector<double> statistic;
  std::vector<double> p_value;
  std::vector<double> adjusted_p_value;
  std::vector<double> log2_fold_change;
  std::vector<double> mean_treated;  // mean of the (log1p) values
  std::vector<double> mean_control;
  std::vector<uint8_t> is_de;  // 1 if the gene passes both thresholds
  // DE genes, by adjusted p ascending, then |log2 FC| descending, then symbol.
  std::vector<std::string> up;
  std::vector<std::string> down;
  DeSummary summary;

  // Index of `gene` in `genes`, or -1.
  int64_t IndexOf(std::string_view gene) const;
};

// Indices of the DE genes of both directions, most significant first: adjusted p ascending,
// then |log2 FC| descending, then symbol.
std::vector<size_t> RankedDeGenes(const DeResult& de);

// The control source name recorded for a control strategy: "control_predictions" for
// synthetic_control, "query_cells" for query_as_control.
std::string_view ControlSourceName(ControlStrategy strategy);

// Compares `treated` with `control` (cells × genes, the same genes in the same column order,
// dense or CSR, mixed allowed). Errors (kind EvaluationError): a column count that differs from
// `genes.size()`, an invalid matrix, NaN/±Inf (naming matrix, row and column), fewer cells than
// config.min_cells_per_group in either group, an invalid config.
absl::StatusOr<DeResult> RunDifferentialExpression(const ExpressionMatrix& treated,
                                                   const ExpressionMatrix& control,
                                                   std::span<const std::string> genes,
                                                   const DeOptions& options);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_DIFFERENTIAL_EXPRESSION_H_
