// Over-representation analysis of DE gene lists against gene-set collections.
//
// For each gene set S and each direction (the up- and the down-regulated list tested
// separately), with the universe U:
//   N = |U|, K = |S ∩ U|, n = |list ∩ U|, k = |S ∩ list ∩ U|,
//   p = P(X >= k), X ~ Hypergeometric(N, K, n)  (one-sided Fisher; scipy hypergeom.sf(k-1, N, K,
//   n))
// Sets with K outside [min_set_size, max_set_size] are not tested. Sets of one collection with
// the same genes in the universe are one test, reported under the smallest id with the others
// as aliases. p-values are adjusted (BH by default) within each collection and direction: GO
// BP, CC and MF answer different questions and are separate families.
//
// The universe is stated in the result: the genes tested by DE that are annotated in at least
// one set of the tested collections (genes no set could contain carry no information and
// would inflate N).
#ifndef HAYSTACK_SCORING_ENRICHMENT_H_
#define HAYSTACK_SCORING_ENRICHMENT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/enums.h"
#include "haystack/core/scores.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::scoring {

struct EnrichmentOptions {
  std::vector<std::string> collections;  // empty = every collection of the knowledge base
  int min_set_size = 5;                  // bounds on K = |S ∩ U|
  int max_set_size = 500;
  CorrectionMethod correction = CorrectionMethod::kBenjaminiHochberg;
};

struct EnrichmentResult {
  // Tested sets with at least one overlapping gene, both directions, by adjusted p ascending,
  // then p, then set id. `genes` lists the overlap, sorted.
  std::vector<EnrichedPathway> pathways;
  std::vector<std::string> collections;  // what was tested
  int64_t universe_size = 0;
  std::string universe_description;
  int64_t n_sets_tested = 0;  // distinct sets tested per direction, all collections
  // Sets whose K passed the size bounds (aliases included), sorted.
  std::vector<std::string> tested_set_ids;
};

// Pure: tests `sets` (any collections) for the two lists over the universe built from
// `tested_genes` as described above.
EnrichmentResult OverRepresentation(std::span<const GeneSet> sets,
                                    std::span<const std::string> tested_genes,
                                    std::span<const std::string> up,
                                    std::span<const std::string> down,
                                    const EnrichmentOptions& options);

// Every set of `collections` (empty: every collection of `kb`, and `collections` is set to
// them), all sizes: the size bounds apply within the universe, so they are applied later.
// Errors: the knowledge base's (annotated), or an unknown collection name (EvaluationError).
absl::StatusOr<std::vector<GeneSet>> ReadGeneSetCollections(const KnowledgeBase& kb,
                                                            std::vector<std::string>& collections);
// The same sets restricted to `genes` (KnowledgeBase::GeneSetsWithin): enough for any
// OverRepresentation whose tested genes are among `genes`, with identical results, at a
// fraction of the reading cost.
absl::StatusOr<std::vector<GeneSet>> ReadGeneSetCollectionsWithin(
    const KnowledgeBase& kb, std::vector<std::string>& collections,
    std::span<const std::string> genes);

// Reads the collections from `kb` and runs OverRepresentation. Errors: the knowledge base's
// (annotated), or an unknown collection name (EvaluationError).
absl::StatusOr<EnrichmentResult> RunEnrichment(const KnowledgeBase& kb,
                                               std::span<const std::string> tested_genes,
                                               std::span<const std::string> up,
                                               std::span<const std::string> down,
                                               const EnrichmentOptions& options);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_ENRICHMENT_H_
