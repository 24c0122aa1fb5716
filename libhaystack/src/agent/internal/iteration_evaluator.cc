#include "internal/iteration_evaluator.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/scoring/differential_expression.h"
#include "haystack/scoring/enrichment.h"
#include "haystack/scoring/observational.h"
#include "haystack/scoring/perturbational.h"

namespace haystack::agent_internal {
namespace {

// Other cell types' profiles: enough cells for a stable mean, few enough to stay cheap.
constexpr size_t kMaxOtherCellTypes = 6;
constexpr size_t kCellsPerProfile = 200;

// The matrix of `data`, checked to have the columns `genes` in that order.
absl::StatusOr<const ExpressionMatrix*> MatrixOver(const AnnData& data, std::string_view what,
                                                   const std::vector<std::string>& genes) {
  if (!data.x)
    return EvaluationError(absl::StrCat(std::string(what), " hold no expression matrix (X)"));
  if (data.var.index != genes) {
    return EvaluationError(absl::StrCat(std::string(what), " have ", data.var.index.size(),
                                        " genes that differ from the predictions' ", genes.size(),
                                        " (names or order)"));
  }
  return &*data.x;
}

// Evenly spaced members of `cells`: deterministic and spread over donors and datasets (the
// atlas orders cells by group).
std::vector<int64_t> Spread(const std::vector<int64_t>& cells, size_t n) {
  if (cells.size() <= n) return cells;
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(cells[i * cells.size() / n]);
  return out;
}

}  // namespace

IterationEvaluator::IterationEvaluator(const KnowledgeBase& knowledge, const CellAtlas& atlas,
                                       int threads, Logger logger)
    : knowledge_(knowledge), atlas_(atlas), threads_(threads), logger_(std::move(logger)) {}

absl::StatusOr<Evaluation> IterationEvaluator::Evaluate(const EvaluationInputs& inputs) const {
  return IsPerturbational(inputs.query.task_type) ? Perturbational(inputs) : Observational(inputs);
}

absl::StatusOr<Evaluation> IterationEvaluator::Perturbational(
    const EvaluationInputs& inputs) const {
  const std::vector<std::string>& genes = inputs.predictions.var.index;
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix* treated,
                            MatrixOver(inputs.predictions, "the predictions", genes));
  const bool synthetic = inputs.control_strategy == ControlStrategy::kSyntheticControl;
  if (synthetic && inputs.control_predictions == nullptr) {
    return EvaluationError("synthetic control needs the control predictions; none were made");
  }
  HAYSTACK_ASSIGN_OR_RETURN(
      const ExpressionMatrix* control,
      synthetic ? MatrixOver(*inputs.control_predictions, "the control predictions", genes)
                : MatrixOver(inputs.query_cells, "the query cells", genes));

  scoring::DeOptions de_options;
  de_options.config = inputs.config.de_config;
  de_options.threads = threads_;
  de_options.control_source = std::string(scoring::ControlSourceName(inputs.control_strategy));
  HAYSTACK_ASSIGN_OR_RETURN(scoring::DeResult de, scoring::RunDifferentialExpression(
                                                      *treated, *control, genes, de_options));

  Evaluation evaluation;
  scoring::PerturbationalInputs score_inputs;
  score_inputs.de = &de;
  score_inputs.control_strategy = inputs.control_strategy;
  score_inputs.enable_literature = inputs.config.enable_literature_search;

  std::optional<scoring::EnrichmentResult> enrichment;
  if (!inputs.config.enable_pathway_enrichment) {
    score_inputs.enrichment_unavailable_reason =
        "pathway enrichment is disabled in the run config (enable_pathway_enrichment)";
  } else if (auto enriched = Enrich(de); enriched.ok()) {
    enrichment = std::move(*enriched);
    score_inputs.enrichment = &*enrichment;
  } else {
    score_inputs.enrichment_unavailable_reason =
        absl::StrCat("pathway enrichment failed: ", enriched.status().message());
    evaluation.warnings.push_back(score_inputs.enrichment_unavailable_reason);
    logger_.Warning("pathway enrichment failed; scoring without it",
                    {{"error", std::string(enriched.status().message())}});
  }

  std::optional<Perturbation> perturbation;
  const std::optional<std::string>& name = inputs.query.perturbation_resolved
                                               ? inputs.query.perturbation_resolved
                                               : inputs.query.perturbation_query;
  if (name) {
    if (auto found = knowledge_.FindPerturbation(*name); found.ok() && found->has_value()) {
      perturbation = std::move(**found);
      score_inputs.perturbation = &*perturbation;
    } else if (!found.ok()) {
      evaluation.warnings.push_back(absl::StrCat(
          "the knowledge base could not look up the perturbation: ", found.status().message()));
    }
  }

  HAYSTACK_ASSIGN_OR_RETURN(GroundingScore score,
                            scoring::ScorePerturbational(knowledge_, score_inputs));
  evaluation.score = std::move(score);
  return evaluation;
}

absl::StatusOr<scoring::EnrichmentResult> IterationEvaluator::Enrich(
    const scoring::DeResult& de) const {
  if (!gene_sets_) {
    collections_.clear();
    // Restricted to the atlas's genes, which every prediction's tested genes are among.
    HAYSTACK_ASSIGN_OR_RETURN(gene_sets_, scoring::ReadGeneSetCollectionsWithin(
                                              knowledge_, collections_, atlas_.var().index));
  }
  scoring::EnrichmentResult result =
      scoring::OverRepresentation(*gene_sets_, de.genes, de.up, de.down, {});
  result.collections = collections_;
  return result;
}

absl::StatusOr<Evaluation> IterationEvaluator::Observational(const EvaluationInputs& inputs) const {
  const std::vector<std::string>& genes = inputs.predictions.var.index;
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix* predicted,
                            MatrixOver(inputs.predictions, "the predictions", genes));
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix* real,
                            MatrixOver(inputs.query_cells, "the query cells", genes));
  Evaluation evaluation;
  auto profiles = OtherCellTypeProfiles(inputs.query, genes);
  if (!profiles.ok()) {
    evaluation.warnings.push_back(
        absl::StrCat("other cell types' profiles are unavailable: ", profiles.status().message()));
  }
  scoring::ObservationalInputs score_inputs;
  score_inputs.predicted = predicted;
  score_inputs.genes = genes;
  score_inputs.background = real;
  score_inputs.marker_genes = inputs.query.expected_marker_genes;
  score_inputs.tissue_genes = inputs.query.expected_tissue_genes;
  if (profiles.ok()) score_inputs.other_cell_types = std::move(*profiles);
  HAYSTACK_ASSIGN_OR_RETURN(ObservationalGroundingScore score,
                            scoring::ScoreObservational(score_inputs));
  evaluation.score = std::move(score);
  return evaluation;
}

absl::StatusOr<std::vector<std::pair<std::string, std::vector<double>>>>
IterationEvaluator::OtherCellTypeProfiles(const StructuredQuery& query,
                                          const std::vector<std::string>& genes) const {
  if (atlas_.var().index != genes) {
    return EvaluationError("the predictions' genes differ from the atlas's");
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> types, atlas_.Values(AtlasField::kCellType));
  std::sort(types.begin(), types.end(),
            [](const GroupCount& a, const GroupCount& b) { return a.cells > b.cells; });
  std::vector<std::pair<std::string, std::vector<double>>> profiles;
  for (const GroupCount& type : types) {
    if (profiles.size() == kMaxOtherCellTypes) break;
    if (type.values.empty() || type.values[0] == query.cell_type_cl_id.value_or("")) continue;
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<int64_t> cells,
        atlas_.Select(CellFilter().Where(AtlasField::kCellType, type.values[0])));
    const std::vector<int64_t> sample = Spread(cells, kCellsPerProfile);
    HAYSTACK_ASSIGN_OR_RETURN(ExpressionMatrix rows, atlas_.GatherRows(sample));
    profiles.emplace_back(type.values[0], scoring::ComputeColumnStats(rows).mean);
  }
  return profiles;
}

}  // namespace haystack::agent_internal
