// Observational components; formulas in docs/scoring.md §5.
#include "haystack/scoring/observational.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <variant>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/scoring/composite.h"
#include "haystack/scoring/differential_expression.h"

namespace haystack::scoring {
namespace {

constexpr int kDonorSignatureGenes = 50;
constexpr double kMarkerDetectionTarget = 0.25;  // without a reference: full credit at 25%

ScoreComponent Unavailable(const std::string& name, const std::string& reason) {
  return {name, std::nullopt, kObservationalWeight, "not scored: " + reason, reason};
}

ScoreComponent Scored(const std::string& name, double strength, std::string rationale) {
  return {name, ScoreFromStrength(strength), kObservationalWeight, std::move(rationale), ""};
}

absl::Status CheckMatrix(const ExpressionMatrix* m, std::string_view what, size_t n_genes) {
  if (m == nullptr) return absl::OkStatus();
  if (absl::Status s = Validate(*m); !s.ok()) {
    return EvaluationError(fmt::format("{} matrix is invalid: {}", what, std::string(s.message())));
  }
  if (Cols(*m) != static_cast<int64_t>(n_genes)) {
    return EvaluationError(fmt::format(
        "{} matrix has {} gene columns but {} gene symbols were given", what, Cols(*m), n_genes));
  }
  if (absl::Status s = CheckFinite(*m, what); !s.ok()) {
    return EvaluationError(fmt::format("observational score: {}", std::string(s.message())));
  }
  return absl::OkStatus();
}

}  // namespace

ColumnStats ComputeColumnStats(const ExpressionMatrix& m) {
  const auto cols = static_cast<size_t>(Cols(m));
  ColumnStats s{std::vector<double>(cols, 0), std::vector<double>(cols, 0)};
  auto add = [&](size_t c, float v) {
    s.mean[c] += v;
    s.detected[c] += v != 0.0f;
  };
  if (const auto* d = std::get_if<DenseMatrix>(&m)) {
    for (int64_t r = 0; r < d->rows; ++r) {
      for (size_t c = 0; c < cols; ++c) add(c, d->values[static_cast<size_t>(r) * cols + c]);
    }
  } else {
    const auto& csr = std::get<CsrMatrix>(m);
    for (size_t k = 0; k < csr.data.size(); ++k)
      add(static_cast<size_t>(csr.indices[k]), csr.data[k]);
  }
  const double rows = std::max<double>(1, static_cast<double>(Rows(m)));
  for (size_t c = 0; c < cols; ++c) {
    s.mean[c] /= rows;
    s.detected[c] /= rows;
  }
  return s;
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return sxy / std::sqrt(sxx * syy);
}

absl::StatusOr<ObservationalGroundingScore> ScoreObservational(const ObservationalInputs& in) {
  if (in.predicted == nullptr) return EvaluationError("observational score: no predicted matrix");
  const size_t n_genes = in.genes.size();
  HAYSTACK_RETURN_IF_ERROR(CheckMatrix(in.predicted, "predicted", n_genes));
  HAYSTACK_RETURN_IF_ERROR(CheckMatrix(in.reference, "reference", n_genes));
  HAYSTACK_RETURN_IF_ERROR(CheckMatrix(in.background, "background", n_genes));
  for (const auto& [name, profile] : in.other_cell_types) {
    if (profile.size() != n_genes) {
      return EvaluationError(
          fmt::format("observational score: the profile of cell type {} has {} values for {} genes",
                      name, profile.size(), n_genes));
    }
  }
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < n_genes; ++i) index.emplace(in.genes[i], i);
  auto present = [&](const std::vector<std::string>& wanted) {
    std::vector<std::pair<std::string, size_t>> found;
    for (const auto& g : wanted) {
      if (auto it = index.find(g); it != index.end()) found.emplace_back(g, it->second);
    }
    return found;
  };
  const ColumnStats predicted = ComputeColumnStats(*in.predicted);
  std::optional<ColumnStats> reference;
  if (in.reference != nullptr) reference = ComputeColumnStats(*in.reference);
  ObservationalGroundingScore s;

  // Marker gene expression: mean over markers of min(1, detected_pred / target), target =
  // the reference's detection rate (at least 5%) or 25% without a reference.
  ScoreComponent marker;
  if (const auto markers = present(in.marker_genes); markers.empty()) {
    marker = Unavailable("marker_gene_expression",
                         in.marker_genes.empty() ? "no marker genes are known for the cell type"
                                                 : "none of the marker genes was predicted");
  } else {
    double credit = 0;
    for (const auto& [gene, i] : markers) {
      const double target =
          reference ? std::max(0.05, reference->detected[i]) : kMarkerDetectionTarget;
      credit += std::min(1.0, predicted.detected[i] / target);
      s.marker_genes_detected[gene] = predicted.detected[i];
    }
    const double strength = credit / static_cast<double>(markers.size());
    marker = Scored("marker_gene_expression", strength,
                    fmt::format("{} of {} markers predicted; detection credit {:.3f} against {}",
                                markers.size(), in.marker_genes.size(), strength,
                                reference ? "the reference cells" : "a 25% detection target"));
  }

  // Tissue signature match: Pearson correlation of predicted and reference means over the
  // signature genes, floored at 0.
  ScoreComponent tissue;
  const auto tissue_genes = present(in.tissue_genes);
  if (!reference) {
    tissue = Unavailable("tissue_signature_match", "no reference cells to compare with");
  } else if (tissue_genes.size() < 3) {
    tissue = Unavailable(
        "tissue_signature_match",
        fmt::format("only {} tissue signature genes were predicted (need 3)", tissue_genes.size()));
  } else {
    std::vector<double> x, y;
    for (const auto& [gene, i] : tissue_genes) {
      x.push_back(predicted.mean[i]);
      y.push_back(reference->mean[i]);
      s.tissue_genes_detected[gene] = predicted.mean[i];
    }
    const double r = Pearson(x, y);
    tissue = Scored("tissue_signature_match", r,
                    fmt::format("Pearson r = {:.3f} between predicted and reference means over {} "
                                "signature genes",
                                r, tissue_genes.size()));
  }

  // Donor effect capture: the reference donor's signature (its DE genes against other donors)
  // must reappear in predicted-vs-background fold changes: Σ x·y / Σ x² over the signature.
  ScoreComponent donor;
  if (!reference || in.background == nullptr) {
    donor = Unavailable("donor_effect_capture", "no reference donor and background cells");
  } else {
    DeOptions options;
    options.threads = 1;
    auto ref_de = RunDifferentialExpression(*in.reference, *in.background, in.genes, options);
    auto pred_de = RunDifferentialExpression(*in.predicted, *in.background, in.genes, options);
    if (!ref_de.ok() || !pred_de.ok()) {
      donor =
          Unavailable("donor_effect_capture",
                      std::string((ref_de.ok() ? pred_de.status() : ref_de.status()).message()));
    } else {
      std::vector<double> x, y;
      for (size_t i : RankedDeGenes(*ref_de)) {
        if (static_cast<int>(x.size()) >= kDonorSignatureGenes) break;
        s.donor_signature_genes.push_back(ref_de->genes[i]);
        x.push_back(ref_de->log2_fold_change[i]);
        y.push_back(pred_de->log2_fold_change[i]);
      }
      if (x.size() < 3) {
        donor = Unavailable(
            "donor_effect_capture",
            fmt::format("the reference donor has only {} signature genes (need 3)", x.size()));
      } else {
        // Projection of the predicted donor effect on the reference one: 1 when reproduced,
        // 0 when absent, negative (scored 1) when reversed.
        double xy = 0, xx = 0;
        for (size_t i = 0; i < x.size(); ++i) xy += x[i] * y[i], xx += x[i] * x[i];
        const double captured = xx > 0 ? xy / xx : 0;
        donor = Scored("donor_effect_capture", captured,
                       fmt::format("{:.3f} of the reference donor's log2FC against other donors "
                                   "reproduced over {} donor signature genes (projection)",
                                   captured, x.size()));
      }
    }
  }

  // Cell type coherence: the predicted mean profile must be closer to the reference cell type
  // than to any other: strength = (r_ref − max(0, r_other)) / (1 − max(0, r_other)).
  ScoreComponent coherence;
  if (!reference) {
    coherence = Unavailable("cell_type_coherence", "no reference cells to compare with");
  } else {
    const double r_ref = Pearson(predicted.mean, reference->mean);
    double r_other = 0;
    std::string nearest_other = "none";
    for (const auto& [name, profile] : in.other_cell_types) {
      const double r = Pearson(predicted.mean, profile);
      if (r > r_other) r_other = r, nearest_other = name;
    }
    const double strength = r_other >= 1 ? 0 : (r_ref - r_other) / (1 - r_other);
    coherence = Scored("cell_type_coherence", strength,
                       fmt::format("profile correlation with the reference {:.3f}, with the "
                                   "nearest other cell type ({}) {:.3f}",
                                   r_ref, nearest_other, r_other));
  }

  s.marker_gene_expression = marker.score;
  s.tissue_signature_match = tissue.score;
  s.donor_effect_capture = donor.score;
  s.cell_type_coherence = coherence.score;
  s.components = {std::move(marker), std::move(tissue), std::move(donor), std::move(coherence)};
  const Composite composite = ComputeComposite(s.components, 0);
  s.composite_score = composite.score;
  s.composite_raw = composite.raw;
  for (const ScoreComponent& c : s.components) {
    if (!c.score.has_value()) {
      s.improvement_suggestions.push_back(
          fmt::format("{} could not be scored ({}).", c.name, c.unavailable_reason));
    } else if (*c.score <= 5) {
      s.improvement_suggestions.push_back(
          fmt::format("{} is low ({}): prefer prompts from the same tissue and donor context "
                      "(tissue_atlas, donor_context) or ontology-close cell types.",
                      c.name, c.rationale));
    }
  }
  return s;
}

}  // namespace haystack::scoring
