// Observational components; formulas in docs/scoring.md §5.
#include "haystack/scoring/observational.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/scoring/composite.h"
#include "haystack/scoring/differential_expression.h"
#include "internal/input_checks.h"

namespace haystack::scoring {
namespace {

constexpr double kMarkerDetectionTarget = 0.25;  // without the type's real cells
constexpr double kMinMarkerMean = 0.05;          // log1p: a marker the real cells barely show

ScoreComponent Unavailable(const std::string& name, const std::string& reason) {
  return {name, std::nullopt, kObservationalWeight, "not scored: " + reason, reason};
}

ScoreComponent Scored(const std::string& name, double strength, std::string rationale) {
  return {name, ScoreFromStrength(strength), kObservationalWeight, std::move(rationale), ""};
}

absl::Status CheckMatrix(const ExpressionMatrix* m, std::string_view what, size_t n_genes) {
  if (m == nullptr) return absl::OkStatus();
  return scoring_internal::CheckExpressionMatrix(*m, what, n_genes, "observational score");
}

absl::Status CheckInputs(const ObservationalInputs& in) {
  const ObservationalReferences& refs = in.references;
  if (in.predicted == nullptr) return EvaluationError("observational score: no predicted matrix");
  const size_t n = in.genes.size();
  HAYSTACK_RETURN_IF_ERROR(CheckMatrix(in.predicted, "predicted", n));
  HAYSTACK_RETURN_IF_ERROR(CheckMatrix(in.query, "query", n));
  if (in.query != nullptr && Rows(*in.query) != Rows(*in.predicted)) {
    return EvaluationError(fmt::format("observational score: {} predicted cells but {} query cells",
                                       Rows(*in.predicted), Rows(*in.query)));
  }
  std::vector<const Profile*> profiles;
  if (refs.cell_type) profiles.push_back(&*refs.cell_type);
  if (refs.coherence_reference) profiles.push_back(&*refs.coherence_reference);
  for (const Profile& p : refs.other_cell_types) profiles.push_back(&p);
  for (const Profile* p : profiles) {
    if (p->mean.size() != n || p->expression.size() != n || p->detected.size() != n) {
      return EvaluationError(fmt::format(
          "observational score: the profile of {} does not have {} genes", p->label, n));
    }
  }
  for (const auto* s :
       {refs.tissue ? &*refs.tissue : nullptr, refs.donor ? &*refs.donor : nullptr}) {
    if (s == nullptr) continue;
    if (s->genes.size() != s->log2_fc.size() ||
        std::any_of(s->genes.begin(), s->genes.end(), [&](size_t g) { return g >= n; })) {
      return EvaluationError(
          fmt::format("observational score: the signature '{}' is malformed", s->description));
    }
  }
  return absl::OkStatus();
}

// Markers expressed in the predicted cells at the level of the type's real cells: per marker
// min(1, predicted mean / real mean) of the log1p values (the mean counts the zeros, so it
// falls with detection and with level alike); without real cells of the type, detection against
// a 25% target.
ScoreComponent MarkerExpression(const ObservationalInputs& in, const Profile& predicted,
                                ObservationalGroundingScore& s) {
  const ObservationalReferences& refs = in.references;
  constexpr const char* kName = "marker_gene_expression";
  std::vector<size_t> markers;
  std::string source;
  if (!in.marker_genes.empty()) {
    std::map<std::string_view, size_t> index;
    for (size_t i = 0; i < in.genes.size(); ++i) index.emplace(in.genes[i], i);
    for (const std::string& g : in.marker_genes) {
      if (auto it = index.find(g); it != index.end()) markers.push_back(it->second);
    }
    if (markers.empty())
      return Unavailable(kName, "none of the curated marker genes was predicted");
    source = fmt::format("{} of {} curated markers", markers.size(), in.marker_genes.size());
  } else if (refs.cell_type) {
    markers = SelectMarkers(*refs.cell_type, refs.other_cell_types, kMarkerGenes);
    if (markers.empty()) {
      return Unavailable(kName, fmt::format("no gene marks {} against the atlas's {} other cell "
                                            "types (detected in 25% of its cells, 2^0.5-fold "
                                            "over each other type)",
                                            refs.cell_type->label, refs.other_cell_types.size()));
    }
    source = fmt::format("{} markers from the atlas ({} real cells against {} other types)",
                         markers.size(), refs.cell_type->cells, refs.other_cell_types.size());
  } else {
    return Unavailable(kName, refs.markers_unavailable_reason.empty()
                                  ? "no marker genes and no real cells of the type"
                                  : refs.markers_unavailable_reason);
  }
  double credit = 0;
  std::vector<std::string> shown;
  for (size_t g : markers) {
    credit +=
        refs.cell_type
            ? std::min(1.0, predicted.mean[g] / std::max(kMinMarkerMean, refs.cell_type->mean[g]))
            : std::min(1.0, predicted.detected[g] / kMarkerDetectionTarget);
    s.marker_genes_detected[in.genes[g]] = predicted.detected[g];
    if (shown.size() < 8) shown.push_back(in.genes[g]);
  }
  const double strength = credit / static_cast<double>(markers.size());
  return Scored(kName, strength,
                fmt::format("{} ({}{}): {:.3f} of {}", source, fmt::join(shown, ", "),
                            markers.size() > shown.size() ? ", …" : "", strength,
                            refs.cell_type ? "the real cells' mean log expression, marker by marker"
                                           : "a 25% detection target, marker by marker"));
}

// The predicted shift from the query cells along a signature of real cells: the projection
// Σ x·y / Σ x², which should be 1 − query_share (the part of the way the query cells still
// have to go); strength 1 − |projection − expected|.
ScoreComponent SignatureCapture(const std::string& name, const std::optional<Signature>& signature,
                                const std::string& unavailable_reason, const Profile& predicted,
                                const std::optional<Profile>& query,
                                std::span<const std::string> genes,
                                std::vector<std::string>* signature_genes,
                                std::map<std::string, double>* detected) {
  if (!signature) return Unavailable(name, unavailable_reason);
  if (!query) return Unavailable(name, "the query cells are not available to compare with");
  double xy = 0, xx = 0;
  for (size_t k = 0; k < signature->genes.size(); ++k) {
    const size_t g = signature->genes[k];
    const double x = signature->log2_fc[k];
    const double y = Log2FoldChange(predicted.expression[g], query->expression[g]);
    xy += x * y;
    xx += x * x;
    if (signature_genes) signature_genes->push_back(genes[g]);
    if (detected) (*detected)[genes[g]] = predicted.mean[g];
  }
  const double projection = xx > 0 ? xy / xx : 0;
  const double expected = 1 - signature->query_share;
  const double strength = 1 - std::fabs(projection - expected);
  return Scored(name, strength,
                fmt::format("the predictions moved {:.2f} of the way along {} over {} genes "
                            "(expected {:.2f}: {:.0f}% of the query cells are already there); "
                            "strength {:.3f}",
                            projection, signature->description, signature->genes.size(), expected,
                            100 * signature->query_share, strength));
}

// Closer to real cells of the type than to any other type: profiles centred on their average,
// r_ref against r_other, strength (r_ref − max(0, r_other)) / (1 − max(0, r_other)).
ScoreComponent CellTypeCoherence(const ObservationalInputs& in, const Profile& predicted) {
  const ObservationalReferences& refs = in.references;
  constexpr const char* kName = "cell_type_coherence";
  if (!refs.coherence_reference) return Unavailable(kName, refs.coherence_unavailable_reason);
  if (refs.other_cell_types.empty()) {
    return Unavailable(kName, "the atlas has no other cell type to tell this one from");
  }
  const Profile& reference = *refs.coherence_reference;
  const size_t n = in.genes.size();
  // Centring removes what every cell type shares (housekeeping genes), which would otherwise
  // make every profile correlate at ~0.9 with every other.
  std::vector<double> centre(reference.mean);
  for (const Profile& o : refs.other_cell_types) {
    for (size_t g = 0; g < n; ++g) centre[g] += o.mean[g];
  }
  for (double& v : centre) v /= static_cast<double>(1 + refs.other_cell_types.size());
  auto centred = [&](const std::vector<double>& mean) {
    std::vector<double> out(n);
    for (size_t g = 0; g < n; ++g) out[g] = mean[g] - centre[g];
    return out;
  };
  const std::vector<double> pred = centred(predicted.mean);
  const double r_ref = Pearson(pred, centred(reference.mean));
  double r_other = 0;
  std::string nearest = "none";
  for (const Profile& o : refs.other_cell_types) {
    const double r = Pearson(pred, centred(o.mean));
    if (r > r_other) r_other = r, nearest = o.label;
  }
  const double strength = r_other >= 1 ? 0 : (r_ref - r_other) / (1 - r_other);
  return Scored(kName, strength,
                fmt::format("centred profile correlation with {} ({} real cells) {:.3f}, with the "
                            "nearest other type ({}) {:.3f}; strength {:.3f}",
                            reference.label, reference.cells, r_ref, nearest, r_other, strength));
}

std::vector<std::string> Suggestions(const ObservationalGroundingScore& s) {
  std::vector<std::string> out;
  for (const ScoreComponent& c : s.components) {
    if (!c.score.has_value()) {
      out.push_back(fmt::format("{} could not be scored ({}).", c.name, c.unavailable_reason));
    } else if (*c.score <= 5) {
      out.push_back(
          fmt::format("{} is low ({}): prefer prompts from the same tissue and donor context "
                      "(tissue_atlas, donor_context) or ontology-close cell types.",
                      c.name, c.rationale));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<ObservationalGroundingScore> ScoreObservational(const ObservationalInputs& in) {
  HAYSTACK_RETURN_IF_ERROR(CheckInputs(in));
  const Profile predicted = ComputeProfile(*in.predicted, "the predictions");
  std::optional<Profile> query;
  if (in.query != nullptr) query = ComputeProfile(*in.query, "the query cells");
  const ObservationalReferences& refs = in.references;
  ObservationalGroundingScore s;
  ScoreComponent marker = MarkerExpression(in, predicted, s);
  ScoreComponent tissue =
      SignatureCapture("tissue_signature_match", refs.tissue, refs.tissue_unavailable_reason,
                       predicted, query, in.genes, nullptr, &s.tissue_genes_detected);
  ScoreComponent donor =
      SignatureCapture("donor_effect_capture", refs.donor, refs.donor_unavailable_reason, predicted,
                       query, in.genes, &s.donor_signature_genes, nullptr);
  ScoreComponent coherence = CellTypeCoherence(in, predicted);

  s.marker_gene_expression = marker.score;
  s.tissue_signature_match = tissue.score;
  s.donor_effect_capture = donor.score;
  s.cell_type_coherence = coherence.score;
  s.components = {std::move(marker), std::move(tissue), std::move(donor), std::move(coherence)};
  const Composite composite = ComputeComposite(s.components, 0);
  s.composite_score = composite.score;
  s.composite_raw = composite.raw;
  s.improvement_suggestions = Suggestions(s);
  return s;
}

}  // namespace haystack::scoring
