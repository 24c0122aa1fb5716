// Differential expression of a prediction that respects its design (docs/scoring.md §1.2).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "haystack/scoring/differential_expression.h"
#include "internal/de_calls.h"
#include "internal/input_checks.h"
#include "internal/pseudobulk.h"

namespace haystack::scoring {
namespace {

using scoring_internal::ComputePseudobulk;
using scoring_internal::Pseudobulk;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The query cells' units that hold enough cells for a pseudobulk: unit → dense index (or -1).
struct Units {
  std::vector<int32_t> of_row;  // dense index per row, -1 for rows of small units
  std::vector<std::string> names;
};

absl::StatusOr<Units> UsableUnits(const PredictionDesign& design, int64_t rows) {
  Units u;
  if (design.unit_of_row.empty()) return u;
  if (static_cast<int64_t>(design.unit_of_row.size()) != rows) {
    return EvaluationError(fmt::format("differential expression: {} unit labels for {} rows",
                                       design.unit_of_row.size(), rows));
  }
  std::vector<int64_t> cells(design.unit_names.size(), 0);
  for (int32_t unit : design.unit_of_row) {
    if (unit < 0 || static_cast<size_t>(unit) >= cells.size()) {
      return EvaluationError(fmt::format(
          "differential expression: unit {} is out of range ({} units)", unit, cells.size()));
    }
    ++cells[static_cast<size_t>(unit)];
  }
  std::vector<int32_t> dense(cells.size(), -1);
  for (size_t k = 0; k < cells.size(); ++k) {
    if (cells[k] >= kMinCellsPerUnit) {
      dense[k] = static_cast<int32_t>(u.names.size());
      u.names.push_back(design.unit_names[k]);
    }
  }
  u.of_row.reserve(design.unit_of_row.size());
  for (int32_t unit : design.unit_of_row) u.of_row.push_back(dense[static_cast<size_t>(unit)]);
  return u;
}

// The evidence test: the prompt's real treated cells against real controls. p and the sign of
// the effect it saw, per gene; empty when it could not run (`why_not` says why).
struct EvidenceTest {
  std::vector<double> p;
  std::vector<double> direction;  // sign of the evidence's own statistic
  std::string description;
  std::string why_not;
};

EvidenceTest WithinUnitEvidence(const PredictionDesign& design, std::span<const std::string> genes,
                                const DeOptions& options) {
  EvidenceTest e;
  DeOptions cell_options = options;
  cell_options.min_detection_fraction = 0;  // the filter is the prediction's, applied later
  // However few the prompt's cells, they are the evidence: a small n only weakens the test.
  cell_options.config.min_cells_per_group = kMinEvidenceCells;
  auto de = RunDifferentialExpression(*design.evidence_treated, *design.evidence_control, genes,
                                      cell_options);
  if (!de.ok()) {
    e.why_not = std::string(de.status().message());
    return e;
  }
  const double n1 = static_cast<double>(Rows(*design.evidence_treated));
  const double n2 = static_cast<double>(Rows(*design.evidence_control));
  const bool rank_u = options.config.test_method == DeTestMethod::kWilcoxon &&
                      options.config.wilcoxon_convention == WilcoxonConvention::kExactTies;
  e.p = de->p_value;
  e.direction.resize(genes.size());
  for (size_t i = 0; i < genes.size(); ++i) {
    const double centred = rank_u ? de->statistic[i] - n1 * n2 / 2 : de->statistic[i];
    e.direction[i] = centred > 0 ? 1 : (centred < 0 ? -1 : 0);
  }
  e.description = fmt::format(
      "{} on the prompt's real cells ({}; cells are the replicates within that sample)",
      options.config.test_method == DeTestMethod::kTTest ? "Welch t-test" : "Wilcoxon rank-sum",
      design.evidence_description);
  return e;
}

EvidenceTest AgainstOtherDonors(const PredictionDesign& design,
                                std::span<const std::string> genes) {
  EvidenceTest e;
  const int n_units = static_cast<int>(design.evidence_control_unit_names.size());
  if (design.evidence_control_unit.size() != static_cast<size_t>(Rows(*design.evidence_control))) {
    e.why_not = "the evidence controls' donors do not match their rows";
    return e;
  }
  const Pseudobulk controls =
      ComputePseudobulk(*design.evidence_control, design.evidence_control_unit, n_units);
  const Pseudobulk treated = ComputePseudobulk(*design.evidence_treated, {}, 0);
  std::vector<size_t> usable;
  for (size_t u = 0; u < controls.unit_cells.size(); ++u) {
    if (controls.unit_cells[u] >= kMinCellsPerUnit) usable.push_back(u);
  }
  if (usable.size() < 2) {
    e.why_not = fmt::format(
        "the prompt's donor has no real control cells and only {} other donor(s) have {}+ "
        "control cells: a single donor against fewer than two cannot separate the treatment from "
        "the donor",
        usable.size(), kMinCellsPerUnit);
    return e;
  }
  e.p.resize(genes.size());
  e.direction.resize(genes.size());
  std::vector<double> y(usable.size());
  for (size_t g = 0; g < genes.size(); ++g) {
    for (size_t k = 0; k < usable.size(); ++k) y[k] = controls.UnitLog2(usable[k], g);
    const auto test = scoring_internal::CrawfordHowell(std::log2(treated.pooled_mean[g] + 1), y);
    e.p[g] = test.p_value;
    e.direction[g] = test.statistic > 0 ? 1 : (test.statistic < 0 ? -1 : 0);
  }
  e.description = fmt::format(
      "Crawford–Howell test of the prompt's donor against {} other donors' control pseudobulks "
      "({})",
      usable.size(), design.evidence_description);
  return e;
}

EvidenceTest RunEvidence(const PredictionDesign& design, std::span<const std::string> genes,
                         const DeOptions& options) {
  if (design.evidence_treated == nullptr || design.evidence_control == nullptr) {
    EvidenceTest e;
    e.why_not = "no real control cells are available for the prompt";
    return e;
  }
  return design.evidence_control_unit.empty() ? WithinUnitEvidence(design, genes, options)
                                              : AgainstOtherDonors(design, genes);
}

absl::Status CheckPair(const ExpressionMatrix& treated, const ExpressionMatrix& control,
                       size_t n_genes) {
  for (const auto& [m, what] : {std::pair{&treated, "treated"}, std::pair{&control, "control"}}) {
    HAYSTACK_RETURN_IF_ERROR(
        scoring_internal::CheckExpressionMatrix(*m, what, n_genes, "differential expression"));
  }
  if (Rows(treated) != Rows(control)) {
    return EvaluationError(fmt::format(
        "differential expression: the prediction has {} rows but its control {}: they must "
        "correspond cell by cell",
        Rows(treated), Rows(control)));
  }
  return absl::OkStatus();
}

// Per gene: the fold change on the expression scale, then, for a detected gene with evidence,
// the paired t across units and the evidence test, combined by taking the larger p.
void TestGenes(const Pseudobulk& t, const Pseudobulk& c, const EvidenceTest& evidence, int n_units,
               const DeOptions& options, DeResult& r) {
  const bool paired = n_units >= 2;
  // Without real evidence nothing is tested: agreement across units alone is what any
  // deterministic model shows, effect or not.
  const bool has_evidence = !evidence.p.empty();
  r.p_units.assign(r.genes.size(), kNaN);
  r.p_evidence.assign(r.genes.size(), kNaN);
  std::vector<double> d(static_cast<size_t>(n_units));
  for (size_t g = 0; g < r.genes.size(); ++g) {
    r.log2_fold_change[g] = Log2FoldChange(t.pooled_mean[g], c.pooled_mean[g]);
    r.mean_treated[g] = t.pooled_log1p_mean[g];
    r.mean_control[g] = c.pooled_log1p_mean[g];
    r.tested[g] =
        has_evidence && scoring_internal::Detected(t.nonzero[g], t.rows, c.nonzero[g], c.rows,
                                                   options.min_detection_fraction);
    if (!r.tested[g]) continue;
    double p = 0;
    if (paired) {
      for (size_t u = 0; u < d.size(); ++u) d[u] = t.UnitLog2(u, g) - c.UnitLog2(u, g);
      const auto test = scoring_internal::PairedT(d);
      r.statistic[g] = test.statistic;
      r.p_units[g] = test.p_value;
      p = test.p_value;
    }
    // Evidence of a change in the other direction supports nothing the prediction says.
    const double predicted = r.log2_fold_change[g] > 0 ? 1 : -1;
    r.p_evidence[g] = evidence.direction[g] == predicted ? evidence.p[g] : 1.0;
    r.p_value[g] = std::max(p, r.p_evidence[g]);
  }
}

// What a p-value's n is, in words, and the limits of the design, for the report.
void DescribeDesign(const PredictionDesign& design, const Units& units,
                    const EvidenceTest& evidence, DeSummary& s) {
  const int n_units = static_cast<int>(units.names.size());
  const bool paired = n_units >= 2;
  const bool has_evidence = !evidence.p.empty();
  s.n_units = n_units;
  if (!has_evidence) {
    s.design = "none: no real evidence to test the prediction against (no DE calls)";
  } else if (paired) {
    s.design = fmt::format(
        "pseudobulk paired t across {} {} units of the query cells ({}); {}; a gene's p is the "
        "larger of the two (intersection-union test)",
        n_units, design.unit_field, fmt::join(units.names, ", "), evidence.description);
  } else {
    s.design = evidence.description;
  }
  if (!paired) {
    s.caveats.push_back(fmt::format(
        "The query cells come from {} {} unit with {}+ cells: the predicted change cannot be "
        "checked across {}s, so p-values rest on the prompt's real cells alone.",
        n_units, design.unit_field, kMinCellsPerUnit, design.unit_field));
  }
  if (!has_evidence) {
    s.caveats.push_back(fmt::format(
        "No evidence test, so no gene is called: {}. Agreement of the predictions across donors "
        "alone is no evidence of a response.",
        evidence.why_not));
  } else if (design.evidence_control_unit.empty()) {
    s.caveats.push_back(
        "The prompt's treated and control cells come from one donor and sample: the evidence "
        "test speaks for that sample, and a sample-level difference between its treated and "
        "control cells cannot be told apart from the treatment.");
  } else {
    s.caveats.push_back(
        "The prompt's donor has no matched control cells: it is compared with other donors' "
        "controls, so part of what differs may be the donor rather than the treatment.");
  }
}

}  // namespace

absl::StatusOr<DeResult> RunPredictionDe(const ExpressionMatrix& treated,
                                         const ExpressionMatrix& control,
                                         std::span<const std::string> genes,
                                         const PredictionDesign& design, const DeOptions& options) {
  const DEAnalysisConfig& config = options.config;
  if (absl::Status s = Validate(config); !s.ok()) {
    return EvaluationError(fmt::format("differential expression: {}", std::string(s.message())));
  }
  HAYSTACK_RETURN_IF_ERROR(CheckPair(treated, control, genes.size()));
  const int64_t rows = Rows(treated);
  if (rows < config.min_cells_per_group) {
    return MakeError(ErrorKind::kEvaluation, absl::StatusCode::kFailedPrecondition,
                     fmt::format("the prediction has {} cells, fewer than the minimum of {} cells "
                                 "per group (de_config.min_cells_per_group)",
                                 rows, config.min_cells_per_group));
  }
  HAYSTACK_ASSIGN_OR_RETURN(const Units units, UsableUnits(design, rows));
  const int n_units = static_cast<int>(units.names.size());
  // The two passes over the predictions are independent.
  Pseudobulk t, c;
  ParallelFor(2, options.threads, [&](int64_t task, int /*worker*/) {
    (task == 0 ? t : c) = ComputePseudobulk(task == 0 ? treated : control, units.of_row, n_units);
  });
  const EvidenceTest evidence = RunEvidence(design, genes, options);
  DeResult r = scoring_internal::UntestedDeResult(genes);
  TestGenes(t, c, evidence, n_units, options, r);
  scoring_internal::FinishDe(r, options, rows, rows);
  DescribeDesign(design, units, evidence, r.summary);
  return r;
}

}  // namespace haystack::scoring
