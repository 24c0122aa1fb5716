// Prompt strategies: where in the atlas good prompt cells for a query may be found
// (docs/agent.md "Prompt strategies"). Each strategy proposes candidate cell groups — one per
// dataset × donor × cell type × perturbation — with a relevance in [0, 1] and a rationale;
// PromptGenerator (prompt_generator.h) ranks, caps and samples them.
//
// Candidate selections use the atlas's canonical field names as keys
// ("cell_type_ontology_term_id", "donor_id", "dataset", "perturbation", "is_control") plus
// "atlas"; every key but "atlas" is a condition on the cells, so a selection alone says which
// cells a candidate holds.
#ifndef HAYSTACK_AGENT_PROMPT_STRATEGY_H_
#define HAYSTACK_AGENT_PROMPT_STRATEGY_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

struct StrategyInputs {
  const StructuredQuery& query;
  const CellAtlas& atlas;
  const KnowledgeBase& knowledge;
};

class PromptStrategy {
 public:
  virtual ~PromptStrategy() = default;
  virtual PromptStrategyKind kind() const = 0;
  // Candidates with selection, n_cells_available, relevance_score, rationale and the
  // strategy's own score (similarity, mechanistic, ontology distance); no cells sampled yet.
  virtual absl::StatusOr<std::vector<PromptCandidate>> Generate(
      const StrategyInputs& inputs) const = 0;
};

std::unique_ptr<PromptStrategy> MakePromptStrategy(PromptStrategyKind kind);

// The strategies tried for a task type, highest priority first: perturbational tasks use
// direct → mechanistic → semantic → ontology; observational ones donor context → tissue atlas
// → ontology → semantic.
std::vector<PromptStrategyKind> StrategyPriority(TaskType type);

// The filter that selects exactly the cells of a candidate's selection.
CellFilter SelectionFilter(const PromptCandidate& candidate);

}  // namespace haystack

#endif  // HAYSTACK_AGENT_PROMPT_STRATEGY_H_
