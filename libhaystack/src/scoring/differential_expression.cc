#include "haystack/scoring/differential_expression.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "haystack/scoring/multiple_testing.h"
#include "internal/de_calls.h"
#include "internal/gene_column.h"
#include "internal/input_checks.h"

namespace haystack::scoring {
namespace {

using scoring_internal::GatherColumns;
using scoring_internal::GeneColumn;
using scoring_internal::GeneTest;

// Genes per unit of work: large enough that a thread reads each matrix row in long runs, small
// enough that the buffers of one block stay in cache-friendly sizes and threads balance.
constexpr int64_t kBlockGenes = 128;

absl::Status CheckInput(const ExpressionMatrix& m, std::string_view what, size_t n_genes,
                        int min_cells) {
  HAYSTACK_RETURN_IF_ERROR(
      scoring_internal::CheckExpressionMatrix(m, what, n_genes, "differential expression"));
  if (Rows(m) < min_cells) {
    return MakeError(ErrorKind::kEvaluation, absl::StatusCode::kFailedPrecondition,
                     fmt::format("{} group has {} cells, fewer than the minimum of {} cells per "
                                 "group (de_config.min_cells_per_group)",
                                 what, Rows(m), min_cells));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t DeResult::IndexOf(std::string_view gene) const {
  auto it = std::find(genes.begin(), genes.end(), gene);
  return it == genes.end() ? -1 : static_cast<int64_t>(it - genes.begin());
}

std::vector<size_t> RankedDeGenes(const DeResult& de) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < de.is_de.size(); ++i) {
    if (de.is_de[i]) idx.push_back(i);
  }
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (de.adjusted_p_value[a] != de.adjusted_p_value[b]) {
      return de.adjusted_p_value[a] < de.adjusted_p_value[b];
    }
    const double fa = std::fabs(de.log2_fold_change[a]);
    const double fb = std::fabs(de.log2_fold_change[b]);
    if (fa != fb) return fa > fb;
    return de.genes[a] < de.genes[b];
  });
  return idx;
}

double Log2FoldChange(double mean_expression_treated, double mean_expression_control) {
  return std::log2(mean_expression_treated + 1) - std::log2(mean_expression_control + 1);
}

std::string_view ControlSourceName(ControlStrategy strategy) {
  return strategy == ControlStrategy::kQueryAsControl ? "query_cells" : "control_predictions";
}

absl::StatusOr<DeResult> RunDifferentialExpression(const ExpressionMatrix& treated,
                                                   const ExpressionMatrix& control,
                                                   std::span<const std::string> genes,
                                                   const DeOptions& options) {
  const DEAnalysisConfig& config = options.config;
  if (absl::Status s = Validate(config); !s.ok()) {
    return EvaluationError(fmt::format("differential expression: {}", std::string(s.message())));
  }
  const int min_cells =
      std::max(config.min_cells_per_group, config.test_method == DeTestMethod::kTTest ? 2 : 1);
  HAYSTACK_RETURN_IF_ERROR(CheckInput(treated, "treated", genes.size(), min_cells));
  HAYSTACK_RETURN_IF_ERROR(CheckInput(control, "control", genes.size(), min_cells));

  const int64_t n_genes = static_cast<int64_t>(genes.size());
  const int64_t n1 = Rows(treated);
  const int64_t n2 = Rows(control);
  DeResult r = scoring_internal::UntestedDeResult(genes);

  const int64_t n_blocks = (n_genes + kBlockGenes - 1) / kBlockGenes;
  const int threads = static_cast<int>(
      std::min<int64_t>(ResolveThreadCount(options.threads), std::max<int64_t>(1, n_blocks)));
  // One reusable block of columns per worker: a thread allocates only while its buffers grow.
  std::vector<std::vector<GeneColumn>> scratch(
      static_cast<size_t>(threads), std::vector<GeneColumn>(static_cast<size_t>(kBlockGenes)));
  ParallelFor(n_blocks, threads, [&](int64_t block, int worker) {
    std::vector<GeneColumn>& columns = scratch[static_cast<size_t>(worker)];
    const int64_t begin = block * kBlockGenes;
    const int64_t end = std::min(n_genes, begin + kBlockGenes);
    const std::span<GeneColumn> span(columns.data(), static_cast<size_t>(end - begin));
    for (GeneColumn& c : span) c.Clear();
    GatherColumns(treated, begin, end, /*treated=*/true, span);
    GatherColumns(control, begin, end, /*treated=*/false, span);
    for (int64_t g = begin; g < end; ++g) {
      GeneColumn& column = span[static_cast<size_t>(g - begin)];
      const auto i = static_cast<size_t>(g);
      r.mean_treated[i] = column.sum_treated / static_cast<double>(n1);
      r.mean_control[i] = column.sum_control / static_cast<double>(n2);
      r.log2_fold_change[i] = Log2FoldChange(column.expression_treated / static_cast<double>(n1),
                                             column.expression_control / static_cast<double>(n2));
      r.tested[i] = scoring_internal::Detected(column.nnz_treated, n1, column.nnz_control, n2,
                                               options.min_detection_fraction);
      if (!r.tested[i]) continue;
      const GeneTest test =
          config.test_method == DeTestMethod::kTTest
              ? scoring_internal::WelchTest(column, n1, n2)
              : scoring_internal::WilcoxonTest(column, n1, n2, config.wilcoxon_convention);
      r.statistic[i] = test.statistic;
      r.p_value[i] = test.p_value;
    }
  });

  scoring_internal::FinishDe(r, options, n1, n2);
  r.summary.design = fmt::format(
      "{} over cells as replicates ({} vs {} cells)",
      config.test_method == DeTestMethod::kTTest ? "Welch t-test" : "Wilcoxon rank-sum", n1, n2);
  return r;
}

}  // namespace haystack::scoring
