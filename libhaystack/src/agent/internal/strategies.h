// The six strategies (prompt_strategy.h); constructed through MakePromptStrategy.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_STRATEGIES_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_STRATEGIES_H_

#include <memory>

#include "haystack/agent/prompt_strategy.h"

namespace haystack::agent_internal {

std::unique_ptr<PromptStrategy> MakeDirectStrategy();
std::unique_ptr<PromptStrategy> MakeMechanisticStrategy();
std::unique_ptr<PromptStrategy> MakeSemanticStrategy();
std::unique_ptr<PromptStrategy> MakeOntologyStrategy();
std::unique_ptr<PromptStrategy> MakeDonorContextStrategy();
std::unique_ptr<PromptStrategy> MakeTissueAtlasStrategy();

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_STRATEGIES_H_
