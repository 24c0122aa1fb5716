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
#include "internal/prediction_design.h"

namespace haystack::agent_internal {
namespace {

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

}  // namespace

IterationEvaluator::IterationEvaluator(const KnowledgeBase& knowledge, const CellAtlas& atlas,
                                       int threads, Logger logger)
    : knowledge_(knowledge), atlas_(atlas), threads_(threads), logger_(std::move(logger)) {}

absl::StatusOr<Evaluation> IterationEvaluator::Evaluate(const EvaluationInputs& inputs) const {
  return IsPerturbational(inputs.query.task_type) ? Perturbational(inputs) : Observational(inputs);
}

absl::StatusOr<scoring::DeResult> IterationEvaluator::PredictionDe(
    const EvaluationInputs& inputs) const {
  const std::vector<std::string>& genes = inputs.predictions.var.index;
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix* treated,
                            MatrixOver(inputs.predictions, "the predictions", genes));
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix* query_cells,
                            MatrixOver(inputs.query_cells, "the query cells", genes));
  const bool synthetic = inputs.control_strategy == ControlStrategy::kSyntheticControl;
  if (synthetic && inputs.control_predictions == nullptr) {
    return EvaluationError("synthetic control needs the control predictions; none were made");
  }
  const ExpressionMatrix* control = query_cells;
  if (synthetic) {
    HAYSTACK_ASSIGN_OR_RETURN(
        control, MatrixOver(*inputs.control_predictions, "the control predictions", genes));
  }
  HAYSTACK_ASSIGN_OR_RETURN(
      std::unique_ptr<PredictionDesignData> design,
      PredictionDesignData::Build({.atlas = atlas_,
                                   .genes = genes,
                                   .query_cell_indices = inputs.query_cell_indices,
                                   .query_cells = *query_cells,
                                   .prompt = inputs.prompt,
                                   .control_strategy = inputs.control_strategy,
                                   .min_cells = inputs.config.de_config.min_cells_per_group}));
  scoring::DeOptions de_options;
  de_options.config = inputs.config.de_config;
  de_options.threads = threads_;
  de_options.control_source = std::string(scoring::ControlSourceName(inputs.control_strategy));
  return scoring::RunPredictionDe(*treated, *control, genes, design->design(), de_options);
}

absl::StatusOr<Evaluation> IterationEvaluator::Perturbational(
    const EvaluationInputs& inputs) const {
  HAYSTACK_ASSIGN_OR_RETURN(scoring::DeResult de, PredictionDe(inputs));
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

IterationEvaluator::GeneSetRead IterationEvaluator::ReadGeneSets() const {
  GeneSetRead read;
  // Restricted to the atlas's genes, which every prediction's tested genes are among.
  read.sets =
      scoring::ReadGeneSetCollectionsWithin(knowledge_, read.collections, atlas_.var().index);
  return read;
}

void IterationEvaluator::PrefetchGeneSets() {
  if (gene_sets_ || gene_set_read_.valid()) return;
  gene_set_read_ = std::async(std::launch::async, [this] { return ReadGeneSets(); });
}

absl::StatusOr<scoring::EnrichmentResult> IterationEvaluator::Enrich(
    const scoring::DeResult& de) const {
  if (!gene_sets_) {
    GeneSetRead read = gene_set_read_.valid() ? gene_set_read_.get() : ReadGeneSets();
    if (!read.sets.ok()) return read.sets.status();
    gene_sets_ = std::move(*read.sets);
    collections_ = std::move(read.collections);
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
  if (!references_) {
    HAYSTACK_ASSIGN_OR_RETURN(references_,
                              ReadObservationalReferences(atlas_, knowledge_, inputs.query,
                                                          inputs.query_cell_indices, genes));
  }
  scoring::ObservationalInputs score_inputs;
  score_inputs.predicted = predicted;
  score_inputs.genes = genes;
  score_inputs.query = real;
  score_inputs.marker_genes = inputs.query.expected_marker_genes;
  score_inputs.references = *references_;
  HAYSTACK_ASSIGN_OR_RETURN(ObservationalGroundingScore score,
                            scoring::ScoreObservational(score_inputs));
  Evaluation evaluation;
  evaluation.score = std::move(score);
  return evaluation;
}

}  // namespace haystack::agent_internal
