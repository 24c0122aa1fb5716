// The perturbational grounding score: four components (1-10 each), the composite and
// improvement suggestions. Every formula is in docs/scoring.md §3; the functions are pure apart
// from the knowledge-base reads of ScorePerturbational.
#ifndef HAYSTACK_SCORING_PERTURBATIONAL_H_
#define HAYSTACK_SCORING_PERTURBATIONAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/enums.h"
#include "haystack/core/scores.h"
#include "haystack/knowledge/knowledge_base.h"
#include "haystack/scoring/differential_expression.h"
#include "haystack/scoring/enrichment.h"

namespace haystack::scoring {

struct PerturbationalOptions {
  double pathway_alpha = 0.05;  // adjusted p at which a set counts as enriched
  // The collections pathway coherence ranks expected pathways in (empty: all). GO Biological
  // Process by default: the expected pathways are processes, and cellular components or
  // molecular functions ranked among them would only push them down.
  std::vector<std::string> pathway_collections = {"GO_BP"};
  int network_max_genes = 200;    // most significant DE genes placed on the network
  int network_random_sets = 200;  // degree-matched random gene sets for the null
  uint64_t network_seed = 20240601;
  int literature_genes = 10;  // most significant DE genes checked for co-citation
};

// Pathway coherence from the enrichment of the DE lists and the perturbation's expected
// pathways (gene set ids). nullopt score (unavailable) when `enrichment` is null or none of the
// expected sets could be tested.
ScoreComponent PathwayCoherence(const EnrichmentResult* enrichment,
                                const std::vector<std::string>& expected_pathways,
                                const PerturbationalOptions& options);

// Target activation: expected downstream genes moving in the expected direction, known
// targets moving at all, judged with the DE thresholds of `de.summary`.
ScoreComponent TargetActivation(const DeResult& de, const Perturbation& perturbation);

// Network coherence: edges among the DE genes against degree-matched random gene sets.
ScoreComponent NetworkCoherence(const DeResult& de, const InteractionNetwork& network,
                                const PerturbationalOptions& options);

// Literature support: the most significant DE genes co-cited with the perturbation or its
// targets beyond chance. A gene is supported with >= 2 shared papers and a hypergeometric
// P(X >= shared) <= kCoCitationAlpha (the corpus, the query's and the gene's papers, all
// without high-throughput papers). The curated expected directions are target activation's
// evidence and are not counted again here.
inline constexpr double kCoCitationAlpha = 1e-3;
// Fewer DE genes than this cannot earn full literature support.
inline constexpr int kLiteratureMinDenominator = 5;
struct LiteratureAssessment {
  ScoreComponent component;
  std::vector<LiteratureEvidence> evidence;
};
LiteratureAssessment LiteratureSupport(const Perturbation& perturbation,
                                       const std::vector<CoCitation>& co_citations);
// ScoreFromStrength(supported / max(checked, kLiteratureMinDenominator)); 1 with nothing checked.
int LiteratureScore(int supported, int checked);
// P(X >= shared) for X ~ Hypergeometric(corpus, query papers, gene papers).
double CoCitationPValue(const CoCitation& co_citation);

struct PerturbationalInputs {
  const DeResult* de = nullptr;  // required
  // Null when enrichment was disabled or failed; `enrichment_unavailable_reason` says why.
  const EnrichmentResult* enrichment = nullptr;
  std::string enrichment_unavailable_reason = "pathway enrichment was not run";
  // Null when the perturbation could not be resolved in the knowledge base.
  const Perturbation* perturbation = nullptr;
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;
  bool enable_literature = true;
};

// All four components, the composite (docs/scoring.md §4) and the suggestions. Knowledge-base
// failures for the network or literature make that component unavailable (recorded, never
// fatal); only a missing DE result is an error (EvaluationError).
absl::StatusOr<GroundingScore> ScorePerturbational(const KnowledgeBase& kb,
                                                   const PerturbationalInputs& inputs,
                                                   const PerturbationalOptions& options = {});

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_PERTURBATIONAL_H_
