// Grounding evaluation of one iteration's predictions (docs/scoring.md):
//   perturbational tasks: DE of the predictions against their control (the control prompt's
//     predictions under synthetic control, the real query cells under query-as-control) over
//     the design's independent units (the query cells' donors, the prompt's real cells),
//     enrichment of the DE lists, then the four components and the composite;
//   observational tasks: the predicted cells against real cells of the atlas (the type's and
//     other types' cells, the target tissue's and donor's signatures, held-out cells).
// Optional evidence that fails (enrichment, the knowledge base's network or literature) makes
// its component unavailable and is reported; only missing or malformed predictions fail.
#ifndef HAYSTACK_AGENT_INTERNAL_ITERATION_EVALUATOR_H_
#define HAYSTACK_AGENT_INTERNAL_ITERATION_EVALUATOR_H_

#include <future>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/logging.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"
#include "haystack/core/run_config.h"
#include "haystack/core/scores.h"
#include "haystack/knowledge/knowledge_base.h"
#include "haystack/scoring/differential_expression.h"
#include "haystack/scoring/enrichment.h"
#include "internal/observational_references.h"

namespace haystack::agent_internal {

struct EvaluationInputs {
  const StructuredQuery& query;
  const RunConfig& config;
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;  // effective
  const AnnData& predictions;
  const AnnData* control_predictions = nullptr;  // synthetic control
  const AnnData& query_cells;                    // the real cells the model transformed
  // The query cells' atlas rows, in the order of the predictions' rows.
  const std::vector<int64_t>& query_cell_indices;
  // The prompt that was run (its cells and, under synthetic control, their matched controls).
  const PromptCandidate& prompt;
};

struct Evaluation {
  AnyGroundingScore score;
  // Optional evidence that could not be used ("pathway enrichment failed: …").
  std::vector<std::string> warnings;
};

class IterationEvaluator {
 public:
  // References must outlive the evaluator. `threads` for DE (0: all cores).
  IterationEvaluator(const KnowledgeBase& knowledge, const CellAtlas& atlas, int threads,
                     Logger logger);

  // Errors are kind kEvaluation and name the artifact at fault.
  absl::StatusOr<Evaluation> Evaluate(const EvaluationInputs& inputs) const;

  // Starts reading the gene-set collections on a thread of its own (the knowledge base is
  // thread-safe), so that the first evaluation finds them read while the prompt was built and
  // the model ran: on a CELLxGENE-sized knowledge base and atlas the read takes about a second,
  // the first iteration's largest cost besides inference. Without a call, the first evaluation
  // reads them itself. The destructor waits for a read still running.
  void PrefetchGeneSets();

 private:
  absl::StatusOr<Evaluation> Perturbational(const EvaluationInputs& inputs) const;
  // The predictions against their control over the design's units (docs/scoring.md §1.2).
  absl::StatusOr<scoring::DeResult> PredictionDe(const EvaluationInputs& inputs) const;
  absl::StatusOr<Evaluation> Observational(const EvaluationInputs& inputs) const;

  // Enrichment of the DE lists against every gene-set collection, read once per run: reading
  // the knowledge base's ~23,000 GO sets costs seconds, testing them milliseconds.
  absl::StatusOr<scoring::EnrichmentResult> Enrich(const scoring::DeResult& de) const;

  const KnowledgeBase& knowledge_;
  const CellAtlas& atlas_;
  int threads_;
  Logger logger_;
  mutable std::optional<std::vector<GeneSet>> gene_sets_;
  mutable std::vector<std::string> collections_;
  struct GeneSetRead {
    absl::StatusOr<std::vector<GeneSet>> sets;
    std::vector<std::string> collections;
  };
  GeneSetRead ReadGeneSets() const;
  mutable std::future<GeneSetRead> gene_set_read_;  // PrefetchGeneSets's, until Enrich takes it
  // The observational references depend on the run only: read on the first iteration.
  mutable std::optional<scoring::ObservationalReferences> references_;
};

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_ITERATION_EVALUATOR_H_
