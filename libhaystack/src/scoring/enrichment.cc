#include "haystack/scoring/enrichment.h"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/scoring/multiple_testing.h"
#include "internal/distributions.h"

namespace haystack::scoring {

namespace {

// One tested set: its membership in the universe and the ids that share it.
struct TestedSet {
  const GeneSet* set = nullptr;
  std::vector<int32_t> members;  // universe indices, ascending
  std::vector<std::string> aliases;
};

// The sets of one collection whose K passes the bounds, identical ones (same members in the
// universe) merged under the smallest id: they are one test, not several.
std::vector<TestedSet> DistinctSets(const std::vector<const GeneSet*>& collection,
                                    const std::unordered_map<std::string_view, int32_t>& index,
                                    const EnrichmentOptions& options) {
  std::vector<TestedSet> out;
  std::map<std::vector<int32_t>, size_t> seen;
  std::vector<const GeneSet*> sorted = collection;
  std::sort(sorted.begin(), sorted.end(),
            [](const GeneSet* a, const GeneSet* b) { return a->id < b->id; });
  for (const GeneSet* s : sorted) {
    std::vector<int32_t> members;
    for (const std::string& g : s->genes) {
      auto it = index.find(g);
      if (it != index.end() && it->second >= 0) members.push_back(it->second);
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    const auto k = static_cast<int>(members.size());
    if (k < options.min_set_size || k > options.max_set_size) continue;
    auto [it, added] = seen.emplace(members, out.size());
    if (!added) {
      out[it->second].aliases.push_back(s->id);
      continue;
    }
    out.push_back({s, std::move(members), {}});
  }
  return out;
}

// One DE list over the universe.
struct Direction {
  std::string name;
  std::vector<uint8_t> member;  // by universe index
  int64_t size = 0;
};

// One BH family: every distinct set of a collection against one direction, with the sets the
// list overlaps.
std::vector<EnrichedPathway> TestFamily(const std::vector<TestedSet>& distinct,
                                        const Direction& direction,
                                        const std::vector<std::string_view>& universe,
                                        const EnrichmentOptions& options) {
  const auto n_universe = static_cast<int64_t>(universe.size());
  std::vector<EnrichedPathway> family;
  for (const TestedSet& t : distinct) {
    EnrichedPathway p;
    p.set_id = t.set->id;
    p.name = t.set->name;
    p.collection = t.set->collection;
    p.direction = direction.name;
    p.query_size = direction.size;
    p.universe_size = n_universe;
    p.set_size = static_cast<int64_t>(t.members.size());
    p.aliases = t.aliases;
    for (int32_t g : t.members) {
      if (direction.member[static_cast<size_t>(g)]) {
        ++p.overlap;
        p.genes.emplace_back(universe[static_cast<size_t>(g)]);
      }
    }
    p.p_value =
        scoring_internal::HypergeometricUpperTail(p.overlap, n_universe, p.set_size, p.query_size);
    std::sort(p.genes.begin(), p.genes.end());
    family.push_back(std::move(p));
  }
  std::vector<double> p_values;
  for (const auto& p : family) p_values.push_back(p.p_value);
  const std::vector<double> adjusted = AdjustPValues(p_values, options.correction);
  std::vector<EnrichedPathway> overlapping;
  for (size_t i = 0; i < family.size(); ++i) {
    family[i].adjusted_p_value = adjusted[i];
    if (family[i].overlap > 0) overlapping.push_back(std::move(family[i]));
  }
  return overlapping;
}

}  // namespace

EnrichmentResult OverRepresentation(std::span<const GeneSet> sets,
                                    std::span<const std::string> tested_genes,
                                    std::span<const std::string> up,
                                    std::span<const std::string> down,
                                    const EnrichmentOptions& options) {
  // Universe: tested genes that occur in at least one set.
  std::unordered_map<std::string_view, int32_t> tested;
  for (const std::string& g : tested_genes) tested.emplace(g, -1);
  std::vector<std::string_view> universe;
  std::map<std::string, std::vector<const GeneSet*>> by_collection;
  for (const GeneSet& s : sets) {
    by_collection[s.collection].push_back(&s);
    for (const std::string& g : s.genes) {
      auto it = tested.find(g);
      if (it != tested.end() && it->second < 0) {
        it->second = static_cast<int32_t>(universe.size());
        universe.push_back(it->first);
      }
    }
  }
  EnrichmentResult result;
  result.universe_size = static_cast<int64_t>(universe.size());
  result.universe_description = fmt::format(
      "{} genes: the {} genes tested for differential expression that belong to at least one "
      "of the {} gene sets read",
      universe.size(), tested_genes.size(), sets.size());

  Direction directions[2] = {{"up", {}, 0}, {"down", {}, 0}};
  for (int d = 0; d < 2; ++d) {
    directions[d].member.assign(universe.size(), 0);
    for (const std::string& g : d == 0 ? up : down) {
      auto it = tested.find(g);
      if (it != tested.end() && it->second >= 0 && !directions[d].member[it->second]) {
        directions[d].member[it->second] = 1;
        ++directions[d].size;
      }
    }
  }

  for (const auto& [collection, members] : by_collection) {
    const std::vector<TestedSet> distinct = DistinctSets(members, tested, options);
    result.n_sets_tested += static_cast<int64_t>(distinct.size());
    for (const TestedSet& t : distinct) {
      result.tested_set_ids.push_back(t.set->id);
      for (const std::string& alias : t.aliases) result.tested_set_ids.push_back(alias);
    }
    for (const Direction& direction : directions) {
      for (EnrichedPathway& p : TestFamily(distinct, direction, universe, options)) {
        result.pathways.push_back(std::move(p));
      }
    }
  }
  std::sort(result.tested_set_ids.begin(), result.tested_set_ids.end());
  std::sort(result.pathways.begin(), result.pathways.end(),
            [](const EnrichedPathway& a, const EnrichedPathway& b) {
              if (a.adjusted_p_value != b.adjusted_p_value) {
                return a.adjusted_p_value < b.adjusted_p_value;
              }
              if (a.p_value != b.p_value) return a.p_value < b.p_value;
              if (a.set_id != b.set_id) return a.set_id < b.set_id;
              return a.direction > b.direction;  // "up" before "down"
            });
  return result;
}

namespace {

// Reads every collection of `collections` (empty: all of them) with `read(collection)`.
template <class Read>
absl::StatusOr<std::vector<GeneSet>> ReadCollections(const KnowledgeBase& kb,
                                                     std::vector<std::string>& collections,
                                                     const Read& read) {
  auto available = kb.GeneSetCollections();
  if (!available.ok())
    return Annotate(available.status(), "enrichment: listing gene-set collections");
  if (collections.empty()) collections = *available;
  std::vector<GeneSet> sets;
  for (const std::string& c : collections) {
    if (std::find(available->begin(), available->end(), c) == available->end()) {
      return EvaluationError(fmt::format(
          "enrichment: gene-set collection {} is not in the knowledge base (it has: {})",
          QuoteForMessage(c), fmt::join(*available, ", ")));
    }
    auto part = read(c);
    if (!part.ok())
      return Annotate(part.status(), fmt::format("enrichment: reading collection {}", c));
    for (GeneSet& s : *part) sets.push_back(std::move(s));
  }
  return sets;
}

}  // namespace

absl::StatusOr<std::vector<GeneSet>> ReadGeneSetCollections(const KnowledgeBase& kb,
                                                            std::vector<std::string>& collections) {
  return ReadCollections(kb, collections, [&](const std::string& c) {
    return kb.GeneSets(c, 1, std::numeric_limits<int>::max());
  });
}

absl::StatusOr<std::vector<GeneSet>> ReadGeneSetCollectionsWithin(
    const KnowledgeBase& kb, std::vector<std::string>& collections,
    std::span<const std::string> genes) {
  return ReadCollections(kb, collections,
                         [&](const std::string& c) { return kb.GeneSetsWithin(c, genes); });
}

absl::StatusOr<EnrichmentResult> RunEnrichment(const KnowledgeBase& kb,
                                               std::span<const std::string> tested_genes,
                                               std::span<const std::string> up,
                                               std::span<const std::string> down,
                                               const EnrichmentOptions& options) {
  std::vector<std::string> collections = options.collections;
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GeneSet> sets, ReadGeneSetCollections(kb, collections));
  EnrichmentResult result = OverRepresentation(sets, tested_genes, up, down, options);
  result.collections = std::move(collections);
  return result;
}

}  // namespace haystack::scoring
