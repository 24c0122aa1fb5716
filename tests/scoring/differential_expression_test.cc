#include "haystack/scoring/differential_expression.h"

#include <cmath>
#include <limits>

#include "catch2/catch.hpp"
#include "de_test_data.h"
#include "haystack/core/error.h"
#include "haystack/scoring/multiple_testing.h"

namespace haystack::scoring {
namespace {

using testing::DePair;
using testing::MakeDePair;
using testing::RelativelyEqual;

DeResult MustRun(const ExpressionMatrix& t, const ExpressionMatrix& c,
                 const std::vector<std::string>& genes, const DeOptions& options) {
  auto r = RunDifferentialExpression(t, c, genes, options);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

DeOptions Options(DeTestMethod method, WilcoxonConvention convention, int threads) {
  DeOptions o;
  o.config.test_method = method;
  o.config.wilcoxon_convention = convention;
  o.threads = threads;
  return o;
}

TEST_CASE(
    "Wilcoxon (exact_ties) equals SciPy mannwhitneyu(asymptotic) to 1e-9, and the detection "
    "filter, "
    "BH and Bonferroni over the tested genes and the log2 FC equal an independent "
    "implementation") {
  const DePair pair = MakeDePair(60, 45, 300, 7);
  const auto reference = testing::RunScipyReference(pair);
  REQUIRE(reference.size() == pair.genes.size());
  for (int threads : {1, 3}) {
    const DeResult dense =
        MustRun(pair.treated, pair.control, pair.genes,
                Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kExactTies, threads));
    const DeResult csr =
        MustRun(ToCsr(pair.treated), ToCsr(pair.control), pair.genes,
                Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kExactTies, threads));
    CHECK(csr.statistic == dense.statistic);
    CHECK(csr.p_value == dense.p_value);
    auto bonferroni_options =
        Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kExactTies, threads);
    bonferroni_options.config.correction_method = CorrectionMethod::kBonferroni;
    const DeResult bonf = MustRun(pair.treated, pair.control, pair.genes, bonferroni_options);
    int significant = 0;
    for (size_t g = 0; g < reference.size(); ++g) {
      INFO("gene " << g << " threads " << threads);
      CHECK(dense.tested[g] == (reference[g].tested == 1));
      if (dense.tested[g]) {
        CHECK(RelativelyEqual(dense.statistic[g], reference[g].u, 1e-12));
        CHECK(RelativelyEqual(dense.p_value[g], reference[g].p_mwu, 1e-9));
      } else {
        CHECK(dense.p_value[g] == 1);  // not tested, not in the family
      }
      CHECK(RelativelyEqual(dense.adjusted_p_value[g], reference[g].bh, 1e-9));
      CHECK(RelativelyEqual(bonf.adjusted_p_value[g], reference[g].bonferroni, 1e-9));
      // Absolute margin too: a constant gene's fold change is 0 up to the float sums' rounding.
      CHECK((RelativelyEqual(dense.log2_fold_change[g], reference[g].lfc, 1e-9) ||
             std::fabs(dense.log2_fold_change[g] - reference[g].lfc) < 1e-12));
      significant += reference[g].p_mwu < 1e-6;
    }
    CHECK(significant >= 10);  // the planted shifts are found, so tail p-values are compared too
    CHECK(dense.summary.n_genes_filtered >= 1);  // the all-zero gene at least
    CHECK(dense.summary.n_genes_tested + dense.summary.n_genes_filtered == 300);
  }
}

TEST_CASE("large groups (radix-sorted genes) still equal SciPy in both conventions") {
  const DePair pair = MakeDePair(420, 380, 36, 23);
  const auto reference = testing::RunScipyReference(pair);
  const DeResult exact =
      MustRun(ToCsr(pair.treated), ToCsr(pair.control), pair.genes,
              Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kExactTies, 2));
  const DeResult scanpy = MustRun(pair.treated, pair.control, pair.genes,
                                  Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kScanpy, 1));
  for (size_t g = 0; g < reference.size(); ++g) {
    INFO("gene " << g);
    if (exact.tested[g]) CHECK(RelativelyEqual(exact.statistic[g], reference[g].u, 1e-12));
    CHECK(RelativelyEqual(exact.p_value[g], reference[g].p_mwu, 1e-9));
    if (g + 2 < reference.size()) {
      CHECK(RelativelyEqual(scanpy.p_value[g], reference[g].p_scanpy, 1e-9));
    }
  }
}

TEST_CASE("Wilcoxon (scanpy) equals the re-implemented scanpy formula and differs under ties") {
  const DePair pair = MakeDePair(50, 70, 120, 11);
  const auto reference = testing::RunScipyReference(pair);
  const DeResult r = MustRun(ToCsr(pair.treated), pair.control, pair.genes,
                             Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kScanpy, 2));
  const DeResult exact =
      MustRun(ToCsr(pair.treated), pair.control, pair.genes,
              Options(DeTestMethod::kWilcoxon, WilcoxonConvention::kExactTies, 2));
  CHECK(r.summary.convention == WilcoxonConvention::kScanpy);
  for (size_t g = 0; g < reference.size(); ++g) {
    INFO("gene " << g);
    if (g + 2 >= reference.size()) continue;  // all-zero and constant genes: checked below
    CHECK(RelativelyEqual(r.statistic[g], reference[g].z_scanpy, 1e-9));
    CHECK(RelativelyEqual(r.p_value[g], reference[g].p_scanpy, 1e-9));
  }
  // Sparse genes: without the tie correction scanpy's variance is too large, so its p-values
  // are larger than the tie-corrected ones.
  CHECK(r.p_value[0] > exact.p_value[0] * 3);
}

TEST_CASE("Welch's t-test equals scipy.stats.ttest_ind(equal_var=False)") {
  const DePair pair = MakeDePair(40, 33, 90, 3);
  const auto reference = testing::RunScipyReference(pair);
  const DeResult r = MustRun(pair.treated, ToCsr(pair.control), pair.genes,
                             Options(DeTestMethod::kTTest, WilcoxonConvention::kExactTies, 2));
  CHECK(r.summary.method == DeTestMethod::kTTest);
  for (size_t g = 0; g < reference.size(); ++g) {
    INFO("gene " << g);
    if (std::isnan(reference[g].p_welch)) {  // constant gene: SciPy 0/0, we report untestable
      CHECK(r.p_value[g] == 1);
      CHECK(r.statistic[g] == 0);
      continue;
    }
    CHECK(RelativelyEqual(r.statistic[g], reference[g].t, 1e-9));
    CHECK(RelativelyEqual(r.p_value[g], reference[g].p_welch, 1e-9));
  }
}

TEST_CASE("untestable genes: all zero, constant, all tied get p = 1 and the null statistic") {
  DenseMatrix t(12, 3), c(15, 3);
  for (int64_t r = 0; r < 12; ++r) t.at(r, 1) = 2.f, t.at(r, 2) = -1.f;
  for (int64_t r = 0; r < 15; ++r) c.at(r, 1) = 2.f, c.at(r, 2) = -1.f;
  const std::vector<std::string> genes = {"ZERO", "CONST", "NEG"};
  for (auto convention : {WilcoxonConvention::kExactTies, WilcoxonConvention::kScanpy}) {
    DeOptions options = Options(DeTestMethod::kWilcoxon, convention, 1);
    options.min_detection_fraction = 0;  // test even the all-zero gene
    const DeResult r = MustRun(t, ToCsr(c), genes, options);
    for (size_t g = 0; g < 3; ++g) {
      CHECK(r.p_value[g] == 1);
      CHECK(r.adjusted_p_value[g] == 1);
      CHECK(r.log2_fold_change[g] == Approx(0).margin(1e-12));
      CHECK(r.is_de[g] == 0);
    }
    CHECK(r.statistic[0] == (convention == WilcoxonConvention::kScanpy ? 0 : 12 * 15 / 2.0));
  }
  const DeResult welch = MustRun(t, c, genes, Options(DeTestMethod::kTTest, {}, 1));
  CHECK(welch.p_value == std::vector<double>{1, 1, 1});
  CHECK(welch.up.empty());
  CHECK(welch.down.empty());
  CHECK(welch.summary.n_up == 0);
}

TEST_CASE("a planted shift is reported as DE in the right direction with a summary") {
  DenseMatrix t(30, 4), c(30, 4);
  for (int64_t r = 0; r < 30; ++r) {
    const float jitter = static_cast<float>(r % 7) * 0.01f;
    t.at(r, 0) = 3.f + jitter, c.at(r, 0) = 1.f + jitter;    // up
    t.at(r, 1) = 0.5f + jitter, c.at(r, 1) = 2.5f + jitter;  // down
    t.at(r, 2) = 1.f + jitter, c.at(r, 2) = 1.02f + jitter;  // tiny shift: significant, small lfc
    t.at(r, 3) = c.at(r, 3) = jitter;                        // nothing
  }
  DeOptions o;
  o.control_source = std::string(ControlSourceName(ControlStrategy::kQueryAsControl));
  const DeResult r = MustRun(t, c, {"UP", "DOWN", "SMALL", "NONE"}, o);
  CHECK(r.up == std::vector<std::string>{"UP"});
  CHECK(r.down == std::vector<std::string>{"DOWN"});
  CHECK(r.is_de == std::vector<uint8_t>{1, 1, 0, 0});
  CHECK(r.adjusted_p_value[2] < 0.05);  // significant but below the fold-change threshold
  CHECK(r.summary.control_source == "query_cells");
  CHECK(r.summary.n_treatment_cells == 30);
  CHECK(r.summary.n_genes_tested == 4);
  REQUIRE(r.summary.top_up.size() == 1);
  CHECK(r.summary.top_up[0].gene == "UP");
  // Pseudocount 1 on the expression scale: exp(x + j) over exp(x' + j) is e^2 for any jitter j.
  CHECK(r.summary.top_up[0].log2_fold_change == Approx(2 / std::log(2.0)).epsilon(1e-6));
  CHECK(r.IndexOf("DOWN") == 1);
  CHECK(r.IndexOf("ABSENT") == -1);
}

TEST_CASE("NaN or Inf in predictions is an EvaluationError naming the matrix, row and column") {
  DenseMatrix t(12, 2), c(12, 2);
  t.at(3, 1) = std::numeric_limits<float>::quiet_NaN();
  auto r = RunDifferentialExpression(t, c, std::vector<std::string>{"A", "B"}, DeOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(GetErrorKind(r.status()) == ErrorKind::kEvaluation);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("treated"));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("row 3"));
  c.at(0, 0) = std::numeric_limits<float>::infinity();
  t.at(3, 1) = 0;
  r = RunDifferentialExpression(t, ToCsr(c), std::vector<std::string>{"A", "B"}, DeOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("control"));
}

TEST_CASE("fewer cells than the minimum, or mismatched genes, are clear errors") {
  DenseMatrix t(9, 2), c(20, 2);
  auto r = RunDifferentialExpression(t, c, std::vector<std::string>{"A", "B"}, DeOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(GetErrorKind(r.status()) == ErrorKind::kEvaluation);
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("9 cells"));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("min_cells_per_group"));
  DeOptions small;
  small.config.min_cells_per_group = 5;
  CHECK(RunDifferentialExpression(t, c, std::vector<std::string>{"A", "B"}, small).ok());
  r = RunDifferentialExpression(t, c, std::vector<std::string>{"A"}, small);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("2 gene columns"));
}

TEST_CASE("an empty DE set and an empty gene list are valid results") {
  DenseMatrix t(15, 0), c(15, 0);
  const DeResult none = MustRun(t, c, {}, DeOptions{});
  CHECK(none.genes.empty());
  CHECK(none.summary.n_genes_tested == 0);
  const DePair pair = MakeDePair(20, 20, 12, 5);
  const DeResult self = MustRun(pair.control, pair.control, pair.genes, DeOptions{});
  CHECK(self.up.empty());
  CHECK(self.down.empty());
}

TEST_CASE("p.adjust semantics: BH is monotone in p, ties share a value, both capped at 1") {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.04, 0.5, 0.0};
  const auto bh = AdjustPValues(p, CorrectionMethod::kBenjaminiHochberg);
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.04, 0.5, 0), "BH")
  const std::vector<double> expected = {0.03, 0.048, 0.048, 0.048, 0.5, 0.0};
  for (size_t i = 0; i < p.size(); ++i) CHECK(bh[i] == Approx(expected[i]).epsilon(1e-12));
  const auto bonf = AdjustPValues(p, CorrectionMethod::kBonferroni);
  CHECK(bonf[1] == Approx(0.24));
  CHECK(bonf[4] == 1.0);
  CHECK(AdjustPValues({}, CorrectionMethod::kBenjaminiHochberg).empty());
}

}  // namespace
}  // namespace haystack::scoring
