#include "knowledge/internal/shared_logic.h"

#include <algorithm>
#include <map>
#include <set>

namespace haystack::knowledge_internal {

std::shared_ptr<const InteractionNetwork> MakeNetwork(
    std::string source, const std::vector<std::pair<std::string, std::string>>& edges) {
  auto network = std::make_shared<InteractionNetwork>();
  network->source = std::move(source);
  std::set<std::string> nodes;
  for (const auto& [a, b] : edges) {
    nodes.insert(a);
    nodes.insert(b);
  }
  network->genes.assign(nodes.begin(), nodes.end());
  network->adjacency.resize(network->genes.size());
  for (const auto& [a, b] : edges) {
    const int32_t ia = network->IndexOf(a);
    const int32_t ib = network->IndexOf(b);
    if (ia == ib) continue;
    network->adjacency[static_cast<size_t>(ia)].push_back(ib);
    network->adjacency[static_cast<size_t>(ib)].push_back(ia);
  }
  for (auto& list : network->adjacency) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return network;
}

std::vector<EntityMatch> RankMatches(std::vector<EntityMatch> matches, int limit) {
  std::map<std::string, EntityMatch> best;
  for (auto& m : matches) {
    auto [it, inserted] = best.try_emplace(m.id, m);
    if (!inserted && it->second.score < m.score) it->second = m;
  }
  std::vector<EntityMatch> out;
  for (auto& [id, m] : best) out.push_back(std::move(m));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  if (limit >= 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

}  // namespace haystack::knowledge_internal
