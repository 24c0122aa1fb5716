#include "haystack/agent/prompt_strategy.h"

#include "internal/strategies.h"

namespace haystack {

std::unique_ptr<PromptStrategy> MakePromptStrategy(PromptStrategyKind kind) {
  switch (kind) {
    case PromptStrategyKind::kDirect:
      return agent_internal::MakeDirectStrategy();
    case PromptStrategyKind::kMechanistic:
      return agent_internal::MakeMechanisticStrategy();
    case PromptStrategyKind::kSemantic:
      return agent_internal::MakeSemanticStrategy();
    case PromptStrategyKind::kOntology:
      return agent_internal::MakeOntologyStrategy();
    case PromptStrategyKind::kDonorContext:
      return agent_internal::MakeDonorContextStrategy();
    case PromptStrategyKind::kTissueAtlas:
      return agent_internal::MakeTissueAtlasStrategy();
  }
  return nullptr;
}

std::vector<PromptStrategyKind> StrategyPriority(TaskType type) {
  if (IsPerturbational(type)) {
    return {PromptStrategyKind::kDirect, PromptStrategyKind::kMechanistic,
            PromptStrategyKind::kSemantic, PromptStrategyKind::kOntology};
  }
  return {PromptStrategyKind::kDonorContext, PromptStrategyKind::kTissueAtlas,
          PromptStrategyKind::kOntology, PromptStrategyKind::kSemantic};
}

CellFilter SelectionFilter(const PromptCandidate& candidate) {
  CellFilter filter;
  for (const auto& [key, value] : candidate.selection) {
    if (auto field = AtlasFieldFromName(key)) filter.Where(*field, value);
  }
  return filter;
}

}  // namespace haystack
