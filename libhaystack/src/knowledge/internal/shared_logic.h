// Logic both KnowledgeBase implementations share, so that they agree by construction.
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::knowledge_internal {

// An undirected network over the genes the edges name (self-loops and repeats dropped).
std::shared_ptr<const InteractionNetwork> MakeNetwork(
    std::string source, const std::vector<std::pair<std::string, std::string>>& edges);

// The best-scoring match per id, by decreasing score (ties keep id order), at most `limit`
// (all when negative).
std::vector<EntityMatch> RankMatches(std::vector<EntityMatch> matches, int limit);

// "parent", "grandparent", "ancestor", "child", "grandchild", "descendant", "sibling" or
// "relative" for a path up `up` edges and down `down` edges.
const char* RelationName(int up, int down);

// A term reached from the start of Neighbors/Ancestors: its shortest path.
struct OntologyPath {
  int distance = 0;
  int up = 0;
  int down = 0;
};

// Ancestors of `start` up to `max_distance` edges up, with their shortest up-distance (the
// start itself at 0). `parents(id)` → StatusOr<vector<Id>>.
template <class Id, class ParentsFn>
absl::StatusOr<std::map<Id, int>> WalkUp(const Id& start, int max_distance, ParentsFn parents) {
  std::map<Id, int> up = {{start, 0}};
  std::vector<Id> frontier = {start};
  for (int k = 1; k <= max_distance && !frontier.empty(); ++k) {
    std::vector<Id> next;
    for (const Id& term : frontier) {
      HAYSTACK_ASSIGN_OR_RETURN(std::vector<Id> ps, parents(term));
      for (const Id& p : ps) {
        if (up.emplace(p, k).second) next.push_back(p);
      }
    }
    frontier = std::move(next);
  }
  return up;
}

// The Neighbors algorithm both implementations run: breadth-first up to every ancestor (k
// edges), then down from each (m edges), k + m <= max_distance; each term keeps its shortest
// path, and at equal distance the lineal relation (all up or all down) wins.
template <class Id, class ParentsFn, class ChildrenFn>
absl::StatusOr<std::map<Id, OntologyPath>> WalkNeighbors(const Id& start, int max_distance,
                                                         ParentsFn parents, ChildrenFn children) {
  HAYSTACK_ASSIGN_OR_RETURN(auto up, WalkUp(start, max_distance, parents));
  std::map<Id, OntologyPath> found;
  for (const auto& [ancestor, k] : up) {
    auto consider = [&](const Id& term, int m) {
      if (term == start) return;
      auto [it, inserted] = found.try_emplace(term, OntologyPath{k + m, k, m});
      if (!inserted &&
          (k + m < it->second.distance || (k + m == it->second.distance && (m == 0 || k == 0)))) {
        it->second = {k + m, k, m};
      }
    };
    consider(ancestor, 0);
    std::vector<Id> down = {ancestor};
    std::set<Id> seen = {ancestor};
    for (int m = 1; k + m <= max_distance && !down.empty(); ++m) {
      std::vector<Id> next;
      for (const Id& term : down) {
        HAYSTACK_ASSIGN_OR_RETURN(std::vector<Id> cs, children(term));
        for (const Id& c : cs) {
          if (!seen.insert(c).second) continue;
          next.push_back(c);
          consider(c, m);
        }
      }
      down = std::move(next);
    }
  }
  return found;
}

// Orders neighbours nearest first, ties by id.
void SortNeighbors(std::vector<OntologyNeighbor>& neighbors);

// The error for an ontology id the knowledge base does not hold.
absl::Status UnknownTermError(std::string_view id);

// One label of an entity, for the in-memory resolver.
struct Label {
  std::string id;
  std::string name;   // the entity's canonical label
  std::string label;  // this label
  bool is_name = false;
};

// Resolve's tiers over labels (what SqliteKnowledgeBase does in SQL over entity_labels):
// normalised equality (name → exact 1.0, synonym → 0.95); the "+" → "positive" variant
// (normalized 0.9); whole-word containment either way (fuzzy, 0.5 × shorter / longer).
std::vector<EntityMatch> MatchLabels(EntityKind kind, std::string_view text,
                                     const std::vector<Label>& labels);

// The gene tiers: symbol as written (exact 1.0), symbol in another case (normalized 0.98),
// alias in any case (synonym 0.9), full name in any case (synonym 0.85).
std::vector<EntityMatch> MatchGenes(std::string_view text, const std::vector<Gene>& genes);

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_SHARED_LOGIC_H_
