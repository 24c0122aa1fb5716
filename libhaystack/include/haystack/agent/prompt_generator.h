// Prompt generation for one iteration: run the task type's strategies in priority order,
// pair controls, rank, cap and sample (docs/agent.md).
//
// Ranking: final = 0.5·relevance + 0.3·diversity + 0.2·quality (the public design's
// 0.5/0.3/0.2 variant: biological relevance leads, diversity keeps the top candidates from being
// the same donor of the same group, quality breaks the remaining ties). Candidates are picked
// greedily; diversity is 1 − the largest share of selection keys a candidate has in common
// with the candidates already picked. Quality is min(1, cells / max_prompt_cells), halved
// for a perturbed candidate without matched controls when synthetic control is requested.
//
// Feedback: selections tried in earlier iterations are not proposed again, and a strategy
// whose earlier prompts scored below the threshold has its relevance multiplied by 0.8 per
// such iteration, so later iterations move to other candidates. The rationale says so.
//
// Determinism: the same query, config (random_seed), atlas, knowledge base and history give
// the same candidates, cells and order.
#ifndef HAYSTACK_AGENT_PROMPT_GENERATOR_H_
#define HAYSTACK_AGENT_PROMPT_GENERATOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "haystack/agent/control_resolver.h"
#include "haystack/agent/prompt_strategy.h"
#include "haystack/core/iteration.h"
#include "haystack/core/run_config.h"

namespace haystack {

struct RankingWeights {
  double relevance = 0.5;
  double diversity = 0.3;
  double quality = 0.2;
};

class PromptGenerator {
 public:
  // All references must outlive the generator.
  PromptGenerator(const CellAtlas& atlas, const KnowledgeBase& knowledge,
                  const ControlResolver& controls, RankingWeights weights = {});

  // Ranked candidates for `iteration` (1-based), at most config.top_k_candidates, each with
  // sampled prompt cells (≤ max_prompt_cells) and, for perturbational tasks, matched controls
  // where the atlas has them. None at all → RetrievalError naming what was searched; none left
  // because `history` tried them all → an empty list (the run loop then ends: candidates
  // exhausted).
  absl::StatusOr<std::vector<PromptCandidate>> Generate(
      const StructuredQuery& query, const RunConfig& config, int iteration,
      const std::vector<IterationRecord>& history) const;

 private:
  const CellAtlas& atlas_;
  const KnowledgeBase& knowledge_;
  const ControlResolver& controls_;
  RankingWeights weights_;
  std::vector<std::unique_ptr<PromptStrategy>> strategies_;  // indexed by PromptStrategyKind
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_PROMPT_GENERATOR_H_
