#include "haystack/knowledge/knowledge_base.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace haystack {

absl::StatusOr<std::vector<GeneSet>> KnowledgeBase::GeneSetsWithin(
    std::string_view collection, std::span<const std::string> genes) const {
  auto sets = GeneSets(collection, 1, std::numeric_limits<int>::max());
  if (!sets.ok()) return sets.status();
  const std::unordered_set<std::string_view> wanted(genes.begin(), genes.end());
  std::vector<GeneSet> within;
  for (GeneSet& set : *sets) {
    std::erase_if(set.genes, [&](const std::string& g) { return !wanted.contains(g); });
    if (!set.genes.empty()) within.push_back(std::move(set));
  }
  return within;
}

}  // namespace haystack
