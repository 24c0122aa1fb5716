// Grounding scores: how well a prediction agrees with prior biological knowledge
// (rubrics and meaning in docs/scoring.md).
#ifndef HAYSTACK_CORE_SCORES_H_
#define HAYSTACK_CORE_SCORES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/enums.h"

namespace haystack {

struct DeGene {
  std::string gene;
  double log2_fold_change = 0;
  double p_value = 1;
  double adjusted_p_value = 1;

  bool operator==(const DeGene&) const = default;
};

// What the differential-expression step compared and found.
struct DeSummary {
  DeTestMethod method = DeTestMethod::kWilcoxon;
  WilcoxonConvention convention = WilcoxonConvention::kExactTies;
  CorrectionMethod correction = CorrectionMethod::kBenjaminiHochberg;
  std::string treatment_source;  // e.g. "predictions"
  std::string control_source;    // "control_predictions" or "query_cells"
  int64_t n_treatment_cells = 0;
  int64_t n_control_cells = 0;
  int64_t n_genes_tested = 0;    // in the multiple-testing family
  int64_t n_genes_filtered = 0;  // detected in too few cells of both groups: never tested
  // What a p-value's n is: the independent units and the test (docs/scoring.md §1), e.g.
  // "paired t across 6 donors (donor_id) ∩ Wilcoxon rank-sum, 24 vs 105 real cells of D01".
  std::string design;
  int64_t n_units = 0;               // independent units (donors or samples) of the query cells
  std::vector<std::string> caveats;  // limits of the design, for the report
  int64_t n_up = 0;
  int64_t n_down = 0;
  double lfc_threshold = 0.5;
  double pval_threshold = 0.05;
  std::vector<DeGene> top_up;  // by adjusted p, then |lfc|
  std::vector<DeGene> top_down;

  bool operator==(const DeSummary&) const = default;
};

struct EnrichedPathway {
  std::string set_id;      // "GO:0034341"
  std::string name;        // "response to interferon-gamma"
  std::string collection;  // "GO_BP", "HALLMARK", ...
  std::string direction;   // "up" or "down": which DE list was tested
  int64_t overlap = 0;
  int64_t set_size = 0;    // set ∩ universe
  int64_t query_size = 0;  // DE list ∩ universe
  int64_t universe_size = 0;
  double p_value = 1;
  double adjusted_p_value = 1;
  std::vector<std::string> genes;  // the overlapping genes
  // Sets of the same collection with exactly the same genes in the universe, tested once under
  // this set's id: "GO:0060333 interferon-gamma-mediated signaling pathway".
  std::vector<std::string> aliases;

  bool operator==(const EnrichedPathway&) const = default;
};

struct LiteratureEvidence {
  std::string subject;        // gene or gene pair the evidence is about
  std::string evidence_type;  // supports_prediction | contradicts_prediction | provides_context
  int64_t n_publications = 0;
  double expected_publications = 0;          // under the co-citation background model
  std::vector<std::string> publication_ids;  // "PMID:123"
  std::string note;

  bool operator==(const LiteratureEvidence&) const = default;
};

// One component of a grounding score with its explanation. `score` is absent when the
// component's evidence source was unavailable or disabled; `unavailable_reason` says why.
struct ScoreComponent {
  std::string name;  // "pathway_coherence", ...
  std::optional<int> score;
  double weight = 0;  // nominal weight before renormalisation
  std::string rationale;
  std::string unavailable_reason;

  bool operator==(const ScoreComponent&) const = default;
};

// Perturbational tasks. `composite_score` is absent when no component could be scored: the
// prediction is unscored, never given a made-up composite.
struct GroundingScore {
  std::optional<int> pathway_coherence;
  std::optional<int> target_activation;
  std::optional<int> literature_support;
  std::optional<int> network_coherence;
  std::optional<int> composite_score;
  double composite_raw = 0;       // weighted mean before penalty and rounding
  double confidence_penalty = 0;  // 0.5 under query_as_control
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;

  std::vector<EnrichedPathway> enriched_pathways;
  std::vector<std::string> de_genes_up;
  std::vector<std::string> de_genes_down;
  std::vector<LiteratureEvidence> literature_evidence;
  std::vector<std::string> improvement_suggestions;
  std::vector<ScoreComponent> components;  // the four components with rationales
  std::optional<DeSummary> de_summary;

  bool operator==(const GroundingScore&) const = default;
};

// Observational tasks.
struct ObservationalGroundingScore {
  std::optional<int> marker_gene_expression;
  std::optional<int> tissue_signature_match;
  std::optional<int> donor_effect_capture;
  std::optional<int> cell_type_coherence;
  std::optional<int> composite_score;  // absent when no component could be scored
  double composite_raw = 0;

  std::map<std::string, double> marker_genes_detected;
  std::map<std::string, double> tissue_genes_detected;
  std::vector<std::string> donor_signature_genes;
  std::vector<std::string> improvement_suggestions;
  std::vector<ScoreComponent> components;

  bool operator==(const ObservationalGroundingScore&) const = default;
};

using AnyGroundingScore = std::variant<GroundingScore, ObservationalGroundingScore>;

// The composite, or nullopt for an unscored prediction.
std::optional<int> CompositeScore(const AnyGroundingScore& score);
const std::vector<ScoreComponent>& Components(const AnyGroundingScore& score);
const std::vector<std::string>& ImprovementSuggestions(const AnyGroundingScore& score);

// Component and composite ranges (1-10) and consistency of the typed fields with components.
absl::Status Validate(const GroundingScore& score, std::string_view path = "grounding_score");
absl::Status Validate(const ObservationalGroundingScore& score,
                      std::string_view path = "grounding_score");
absl::Status Validate(const AnyGroundingScore& score, std::string_view path = "grounding_score");

}  // namespace haystack

#endif  // HAYSTACK_CORE_SCORES_H_
