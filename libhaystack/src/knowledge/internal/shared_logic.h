// Logic both KnowledgeBase implementations share, so that they agree by construction.
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "haystack/knowledge/knowledge_base.h"

namespace haystack::knowledge_internal {

// An undirected network over the genes the edges name (self-loops and repeats dropped).
std::shared_ptr<const InteractionNetwork> MakeNetwork(
    std::string source, const std::vector<std::pair<std::string, std::string>>& edges);

// The best-scoring match per id, by decreasing score (ties keep id order), at most `limit`
// (all when negative).
std::vector<EntityMatch> RankMatches(std::vector<EntityMatch> matches, int limit);

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_
