// Differential expression, gene by gene, in two forms (docs/scoring.md §1 has every formula and
// the reasons):
//
//  RunDifferentialExpression  two groups of cells, each cell an independent replicate: valid
//    when the cells really are the units (the real treated and control cells of one sample),
//    not when one group is computed from the other.
//      - Wilcoxon rank-sum, normal approximation, in one of two conventions:
//          kExactTies: tie-corrected variance and continuity correction, two-sided — exactly
//            scipy.stats.mannwhitneyu(x, y, method="asymptotic") and R wilcox.test(exact=FALSE);
//            `statistic` is SciPy's U of the treated group.
//          kScanpy: scanpy rank_genes_groups' default, z = (R1 − n1(n+1)/2) /
//            sqrt(n1·n2·(n+1)/12) with neither correction; `statistic` is that z.
//      - Welch's t-test (scipy.stats.ttest_ind(equal_var=False)); `statistic` is t.
//
//  RunPredictionDe  a prediction against its control prediction (or the query cells it was
//    made from): rows correspond cell by cell, so the cells are not replicates. The evidence
//    has two kinds of independent units, both tested, and a gene's p is the larger of the two
//    p-values (an intersection-union test): the query cells' donors or samples (pseudobulk per
//    unit, paired t across units) and the real cells the prediction rests on (the prompt's
//    treated cells against real control cells, with the test above within one donor). Without
//    an evidence test nothing is tested or called.
//
// Both: log2 fold change with a pseudocount of 1 on the expression scale (Seurat's
// FoldChange): log2(mean(expm1 x_t) + 1) − log2(mean(expm1 x_c) + 1) over the log1p-normalised
// values, finite and bounded by the data. Genes detected (x ≠ 0) in fewer than
// `min_detection_fraction` of the cells of both groups are not tested (p = 1, excluded from the
// multiple-testing family, as Seurat's min.pct and scanpy's filter_rank_genes_groups do). A gene
// is DE when tested, adjusted p <= pval_threshold and |log2 FC| >= lfc_threshold; up when its
// fold change is positive. Untestable genes among the tested ones (every value tied, zero
// variance for Welch) get statistic at its null value (U = n1·n2/2, z = 0, t = 0) and p = 1.
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

// Seurat's min.pct default (v3/v4): a gene seen in under 10% of both groups' cells carries too
// little information to test and would only lengthen the BH family.
inline constexpr double kDefaultMinDetectionFraction = 0.1;

struct DeOptions {
  DEAnalysisConfig config;
  int threads = 0;  // 0 = hardware concurrency
  // Recorded in DeSummary: what was compared.
  std::string treatment_source = "predictions";
  std::string control_source = "control_predictions";  // or "query_cells"
  int top_n = 50;                                      // length of DeSummary::top_up / top_down
  double min_detection_fraction = kDefaultMinDetectionFraction;  // 0 tests every gene
};

// Per-gene results in the column order of the input matrices, plus the summary.
struct DeResult {
  std::vector<std::string> genes;
  std::vector<double> statistic;
  std::vector<double> p_value;
  std::vector<double> adjusted_p_value;  // 1 for genes not tested
  std::vector<double> log2_fold_change;
  std::vector<double> mean_treated;  // mean of the (log1p) values
  std::vector<double> mean_control;
  std::vector<uint8_t> tested;  // 1 if detected in enough cells to be tested
  std::vector<uint8_t> is_de;   // 1 if the gene passes both thresholds
  // RunPredictionDe only (empty otherwise): the two tests the p-value combines; NaN where a
  // test did not apply.
  std::vector<double> p_units;     // paired t across the query cells' units
  std::vector<double> p_evidence;  // the real prompt cells against real controls
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

// log2(mean_expr_t + 1) − log2(mean_expr_c + 1), the means taken on the expression scale
// (expm1 of the log1p values).
double Log2FoldChange(double mean_expression_treated, double mean_expression_control);

// Compares `treated` with `control` cell against cell (cells × genes, the same genes in the
// same column order, dense or CSR, mixed allowed). Errors (kind EvaluationError): a column count
// that differs from `genes.size()`, an invalid matrix, NaN/±Inf (naming matrix, row and column),
// fewer cells than config.min_cells_per_group in either group, an invalid config.
absl::StatusOr<DeResult> RunDifferentialExpression(const ExpressionMatrix& treated,
                                                   const ExpressionMatrix& control,
                                                   std::span<const std::string> genes,
                                                   const DeOptions& options);

// The independent units behind a prediction (docs/scoring.md §1.2).
struct PredictionDesign {
  // Row r of the predictions (and of their control) is a cell of unit unit_of_row[r], an index
  // into unit_names. Empty: one unit.
  std::vector<int32_t> unit_of_row;
  std::vector<std::string> unit_names;
  std::string unit_field = "donor_id";  // what a unit is, for the report
  // The real cells the prediction rests on: the prompt's treated cells and real control cells.
  // Null treated or control: no evidence test (its absence is a caveat).
  const ExpressionMatrix* evidence_treated = nullptr;
  const ExpressionMatrix* evidence_control = nullptr;
  // How the evidence's controls relate to its treated cells. Empty: both groups come from the
  // same donor and sample, and the cells are compared within it. Otherwise the controls' donor
  // per row (indices into evidence_control_unit_names), none of them the treated cells' donor:
  // the treated cells, one donor, are compared with the controls' per-donor pseudobulks
  // (Crawford–Howell), which needs at least two control donors.
  std::vector<int32_t> evidence_control_unit;
  std::vector<std::string> evidence_control_unit_names;
  std::string evidence_description;  // "24 IFNG cells and 105 control cells of donor D01"
};

// A unit's pseudobulk needs this many cells (muscat's default min_cells); smaller units are
// left out of the paired test (their cells still count in the fold change).
inline constexpr int kMinCellsPerUnit = 10;
// The evidence test runs on however few real cells the prompt has, down to this many per group:
// a small n weakens it, and that is the honest answer.
inline constexpr int kMinEvidenceCells = 3;

// The design-aware comparison of a prediction with its control, which correspond row by row
// (same number of rows). Errors as RunDifferentialExpression's, plus: row counts that differ,
// unit_of_row of the wrong length or out of range.
absl::StatusOr<DeResult> RunPredictionDe(const ExpressionMatrix& treated,
                                         const ExpressionMatrix& control,
                                         std::span<const std::string> genes,
                                         const PredictionDesign& design, const DeOptions& options);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_DIFFERENTIAL_EXPRESSION_H_
