#include "haystack/scoring/enrichment.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/scoring/multiple_testing.h"
#include "internal/distributions.h"

namespace haystack::scoring {

EnrichmentResult OverRepresentation(std::span<const GeneSet> sets,
                                    std::span<const std::string> tested_genes,
                                    std::span<const std::string> up,
                                    std::span<const std::string> down,
                                    const EnrichmentOptions& options) {
  // Universe: tested genes that occur in at least one set.
  std::unordered_map<std::string_view, int32_t> tested;
  for (const std::string& g : tested_genes) tested.emplace(g, -1);
  std::vector<std::string_view> universe;
  for (const GeneSet& s : sets) {
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

  struct Direction {
    std::string name;
    std::vector<uint8_t> member;  // by universe index
    int64_t size = 0;
  };
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

  const int64_t n_universe = result.universe_size;
  for (const Direction& direction : directions) {
    std::vector<EnrichedPathway> tested_sets;
    for (const GeneSet& s : sets) {
      EnrichedPathway p;
      p.set_id = s.id;
      p.name = s.name;
      p.collection = s.collection;
      p.direction = direction.name;
      p.query_size = direction.size;
      p.universe_size = n_universe;
      for (const std::string& g : s.genes) {
        auto it = tested.find(g);
        if (it == tested.end() || it->second < 0) continue;
        ++p.set_size;
        if (direction.member[it->second]) {
          ++p.overlap;
          p.genes.push_back(g);
        }
      }
      if (p.set_size < options.min_set_size || p.set_size > options.max_set_size) continue;
      p.p_value = scoring_internal::HypergeometricUpperTail(p.overlap, n_universe, p.set_size,
                                                            p.query_size);
      std::sort(p.genes.begin(), p.genes.end());
      tested_sets.push_back(std::move(p));
    }
    result.n_sets_tested = static_cast<int64_t>(tested_sets.size());
    if (result.tested_set_ids.empty()) {
      for (const auto& p : tested_sets) result.tested_set_ids.push_back(p.set_id);
      std::sort(result.tested_set_ids.begin(), result.tested_set_ids.end());
    }
    std::vector<double> p_values;
    for (const auto& p : tested_sets) p_values.push_back(p.p_value);
    const std::vector<double> adjusted = AdjustPValues(p_values, options.correction);
    for (size_t i = 0; i < tested_sets.size(); ++i) {
      tested_sets[i].adjusted_p_value = adjusted[i];
      if (tested_sets[i].overlap > 0) result.pathways.push_back(std::move(tested_sets[i]));
    }
  }
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
