// The enumerations of the data model and their wire names.
//
// Wire names are the strings stored in the run record and JSON documents (the public
// specification's values). EnumName/ParseEnum convert in both directions; ParseEnum's error
// names the offending value and every accepted one.
#ifndef HAYSTACK_CORE_ENUMS_H_
#define HAYSTACK_CORE_ENUMS_H_

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace haystack {

enum class TaskType {
  kPerturbationNovelCellTypes,
  kPerturbationNovelSamples,
  kCellTypeImputation,
  kDonorExpressionPrediction,
  kCrossDatasetGeneration,
};
// Perturbational tasks are scored with GroundingScore, the others with
// ObservationalGroundingScore (docs/scoring.md §3, §5).
bool IsPerturbational(TaskType type);

enum class PerturbationType { kDrug, kCytokine, kGenetic, kUnknown };

enum class ControlStrategy { kSyntheticControl, kQueryAsControl };

enum class RunStatus { kPending, kRunning, kCompleted, kFailed, kCancelled };
bool IsTerminal(RunStatus status);

enum class RunPhase {
  kQueryAnalysis,
  kPromptGeneration,
  kInference,
  kEvaluation,
  kOutputGeneration,
};

enum class PromptStrategyKind {
  kDirect,
  kMechanistic,
  kSemantic,
  kOntology,
  kDonorContext,
  kTissueAtlas,
};

// How a run ended (docs/agent.md "Termination"). Every reason but cancelled and error completes
// the run with the best iteration's outputs.
enum class TerminationReason {
  kConverged,
  kPlateau,
  kMaxIterations,
  kCancelled,
  kError,
  kCandidatesExhausted,  // no untried prompt candidate was left
  kUnscored,             // no component of any iteration could be scored
};

enum class DeTestMethod { kWilcoxon, kTTest };

enum class CorrectionMethod { kBenjaminiHochberg, kBonferroni };

// How the Wilcoxon normal approximation treats ties and continuity (docs/scoring.md).
enum class WilcoxonConvention {
  kExactTies,  // tie + continuity correction: SciPy mannwhitneyu(asymptotic), R wilcox.test
  kScanpy,     // scanpy rank_genes_groups default: neither correction
};

// Which email a run's ending triggers (docs/output.md "Email").
enum class NotificationKind { kRunCompleted, kRunFailed, kRunCancelled };

template <class E>
struct EnumTraits;

#define HAYSTACK_ENUM_TRAITS(E, N, ...)                                                       \
  template <>                                                                                 \
  struct EnumTraits<E> {                                                                      \
    static constexpr std::string_view kTypeName = #E;                                         \
    static constexpr std::array<std::pair<E, std::string_view>, N> kValues = {{__VA_ARGS__}}; \
  }

HAYSTACK_ENUM_TRAITS(TaskType, 5,
                     {TaskType::kPerturbationNovelCellTypes, "perturbation_novel_cell_types"},
                     {TaskType::kPerturbationNovelSamples, "perturbation_novel_samples"},
                     {TaskType::kCellTypeImputation, "cell_type_imputation"},
                     {TaskType::kDonorExpressionPrediction, "donor_expression_prediction"},
                     {TaskType::kCrossDatasetGeneration, "cross_dataset_generation"});
HAYSTACK_ENUM_TRAITS(PerturbationType, 4, {PerturbationType::kDrug, "drug"},
                     {PerturbationType::kCytokine, "cytokine"},
                     {PerturbationType::kGenetic, "genetic"},
                     {PerturbationType::kUnknown, "unknown"});
HAYSTACK_ENUM_TRAITS(ControlStrategy, 2, {ControlStrategy::kSyntheticControl, "synthetic_control"},
                     {ControlStrategy::kQueryAsControl, "query_as_control"});
HAYSTACK_ENUM_TRAITS(RunStatus, 5, {RunStatus::kPending, "pending"},
                     {RunStatus::kRunning, "running"}, {RunStatus::kCompleted, "completed"},
                     {RunStatus::kFailed, "failed"}, {RunStatus::kCancelled, "cancelled"});
HAYSTACK_ENUM_TRAITS(RunPhase, 5, {RunPhase::kQueryAnalysis, "query_analysis"},
                     {RunPhase::kPromptGeneration, "prompt_generation"},
                     {RunPhase::kInference, "inference"}, {RunPhase::kEvaluation, "evaluation"},
                     {RunPhase::kOutputGeneration, "output_generation"});
HAYSTACK_ENUM_TRAITS(PromptStrategyKind, 6, {PromptStrategyKind::kDirect, "direct"},
                     {PromptStrategyKind::kMechanistic, "mechanistic"},
                     {PromptStrategyKind::kSemantic, "semantic"},
                     {PromptStrategyKind::kOntology, "ontology"},
                     {PromptStrategyKind::kDonorContext, "donor_context"},
                     {PromptStrategyKind::kTissueAtlas, "tissue_atlas"});
HAYSTACK_ENUM_TRAITS(TerminationReason, 7, {TerminationReason::kConverged, "converged"},
                     {TerminationReason::kPlateau, "plateau"},
                     {TerminationReason::kMaxIterations, "max_iterations"},
                     {TerminationReason::kCancelled, "cancelled"},
                     {TerminationReason::kError, "error"},
                     {TerminationReason::kCandidatesExhausted, "candidates_exhausted"},
                     {TerminationReason::kUnscored, "unscored"});
HAYSTACK_ENUM_TRAITS(DeTestMethod, 2, {DeTestMethod::kWilcoxon, "wilcoxon"},
                     {DeTestMethod::kTTest, "t-test"});
HAYSTACK_ENUM_TRAITS(CorrectionMethod, 2,
                     {CorrectionMethod::kBenjaminiHochberg, "benjamini-hochberg"},
                     {CorrectionMethod::kBonferroni, "bonferroni"});
HAYSTACK_ENUM_TRAITS(WilcoxonConvention, 2, {WilcoxonConvention::kExactTies, "exact_ties"},
                     {WilcoxonConvention::kScanpy, "scanpy"});

HAYSTACK_ENUM_TRAITS(NotificationKind, 3, {NotificationKind::kRunCompleted, "run_completed"},
                     {NotificationKind::kRunFailed, "run_failed"},
                     {NotificationKind::kRunCancelled, "run_cancelled"});

#undef HAYSTACK_ENUM_TRAITS

template <class E>
constexpr std::string_view EnumName(E value) {
  for (const auto& [v, name] : EnumTraits<E>::kValues) {
    if (v == value) return name;
  }
  return "?";
}

// "a, b, c": the accepted wire names, for error messages and help text.
template <class E>
std::string EnumNames() {
  std::string out;
  for (const auto& [v, name] : EnumTraits<E>::kValues) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// Parses a wire name exactly (case-sensitive: stored values are canonical).
template <class E>
absl::StatusOr<E> ParseEnum(std::string_view text);

absl::Status UnknownEnumValueError(std::string_view type_name, std::string_view text,
                                   std::string_view accepted);

template <class E>
absl::StatusOr<E> ParseEnum(std::string_view text) {
  for (const auto& [v, name] : EnumTraits<E>::kValues) {
    if (name == text) return v;
  }
  return UnknownEnumValueError(EnumTraits<E>::kTypeName, text, EnumNames<E>());
}

}  // namespace haystack

#endif  // HAYSTACK_CORE_ENUMS_H_
