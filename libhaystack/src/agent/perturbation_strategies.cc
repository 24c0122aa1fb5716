// Strategies for perturbational tasks: the same perturbation (direct), perturbations that act
// through the same targets and pathways (mechanistic), and perturbations described alike
// (semantic). All look in the query's cell type.
#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/candidates.h"
#include "internal/strategies.h"
#include "internal/text_similarity.h"

namespace haystack::agent_internal {
namespace {

// Weights of shared targets and shared expected pathways in the mechanistic score: targets
// are the more direct evidence of a shared mechanism.
constexpr double kTargetWeight = 0.6;
constexpr double kPathwayWeight = 0.4;
// Below this TF-IDF cosine two descriptions share little more than boilerplate.
constexpr double kMinSimilarity = 0.1;

bool CanRun(const StrategyInputs& in) {
  return in.query.perturbation_resolved.has_value() && !QueryCellTypeIds(in.query).empty() &&
         in.atlas.HasField(AtlasField::kPerturbation);
}

std::string CellTypeLabel(const StructuredQuery& q) {
  return q.cell_type_name.value_or(q.cell_type_cl_id.value_or("?"));
}

// The perturbations measured on perturbed cells of the query's cell type, minus the query's.
absl::StatusOr<std::vector<std::string>> OtherPerturbations(const StrategyInputs& in) {
  CellFilter filter;
  filter.Where(AtlasField::kCellType, QueryCellTypeIds(in.query));
  PerturbedOnly(in.atlas, filter);
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> values,
                            DistinctValues(in.atlas, AtlasField::kPerturbation, filter));
  std::erase(values, *in.query.perturbation_resolved);
  return values;
}

absl::StatusOr<std::vector<PromptCandidate>> InQueryCellType(const StrategyInputs& in,
                                                             const std::string& perturbation,
                                                             PromptStrategyKind kind,
                                                             double relevance,
                                                             const std::string& rationale) {
  CellFilter filter;
  filter.Where(AtlasField::kCellType, QueryCellTypeIds(in.query))
      .Where(AtlasField::kPerturbation, perturbation);
  PerturbedOnly(in.atlas, filter);
  AtQueryCondition(in.atlas, in.query, filter);
  return CandidatesFromGroups(in.atlas, filter, kind, relevance, rationale);
}

class DirectStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kDirect; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    if (!CanRun(in)) return std::vector<PromptCandidate>{};
    return InQueryCellType(in, *in.query.perturbation_resolved, kind(), 1.0,
                           absl::StrCat(*in.query.perturbation_resolved, " measured in ",
                                        CellTypeLabel(in.query), " itself"));
  }
};

// The query's perturbation as the knowledge base knows it; a genetic perturbation made up by
// the analyzer (e.g. IRF1_KO) is described by the query's own fields.
absl::StatusOr<Perturbation> QueryPerturbation(const StrategyInputs& in) {
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<Perturbation> known,
                            in.knowledge.FindPerturbation(*in.query.perturbation_resolved));
  if (known) return *known;
  Perturbation p;
  p.name = *in.query.perturbation_resolved;
  p.type = in.query.perturbation_type.value_or(PerturbationType::kUnknown);
  p.targets = in.query.expected_targets;
  p.expected_pathways = in.query.expected_pathways;
  return p;
}

class MechanisticStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kMechanistic; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    std::vector<PromptCandidate> out;
    if (!CanRun(in)) return out;
    HAYSTACK_ASSIGN_OR_RETURN(const Perturbation target, QueryPerturbation(in));
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> others, OtherPerturbations(in));
    for (const std::string& name : others) {
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<Perturbation> other,
                                in.knowledge.FindPerturbation(name));
      if (!other) continue;
      const double score =
          kTargetWeight * Jaccard(target.targets, other->targets) +
          kPathwayWeight * Jaccard(target.expected_pathways, other->expected_pathways);
      if (score <= 0) continue;
      const auto targets = Shared(other->targets, target.targets);
      const auto pathways = Shared(other->expected_pathways, target.expected_pathways);
      std::string rationale = absl::StrCat(name, " acts like ", target.name, ": shares");
      if (!targets.empty()) absl::StrAppend(&rationale, " targets ", absl::StrJoin(targets, ", "));
      if (!targets.empty() && !pathways.empty()) absl::StrAppend(&rationale, " and");
      if (!pathways.empty()) {
        absl::StrAppend(&rationale, " pathways ", absl::StrJoin(pathways, ", "));
      }
      absl::StrAppend(&rationale, " (score ", absl::StrFormat("%.2f", score), ")");
      HAYSTACK_ASSIGN_OR_RETURN(std::vector<PromptCandidate> candidates,
                                InQueryCellType(in, name, kind(), score, rationale));
      for (PromptCandidate& c : candidates) {
        c.mechanistic_score = score;
        out.push_back(std::move(c));
      }
    }
    return out;
  }
};

std::string Document(const Perturbation& p) {
  return absl::StrCat(p.name, " ", absl::StrJoin(p.synonyms, " "), " ", p.description, " ",
                      std::string(EnumName(p.type)), " ", absl::StrJoin(p.targets, " "));
}

class SemanticStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kSemantic; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    std::vector<PromptCandidate> out;
    if (!CanRun(in)) return out;
    HAYSTACK_ASSIGN_OR_RETURN(const Perturbation target, QueryPerturbation(in));
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<Perturbation> all, in.knowledge.Perturbations());
    TfIdfIndex index;
    for (const Perturbation& p : all) index.Add(p.name, Document(p));
    index.Add(target.name, Document(target));
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> others, OtherPerturbations(in));
    for (const std::string& name : others) {
      const double similarity = index.Cosine(target.name, name);
      if (similarity < kMinSimilarity) continue;
      const std::string rationale = absl::StrCat(
          name, " is described like ", target.name, " (similarity ",
          absl::StrFormat("%.2f", similarity),
          "; shared terms: ", absl::StrJoin(index.SharedTerms(target.name, name, 4), ", "), ")");
      HAYSTACK_ASSIGN_OR_RETURN(std::vector<PromptCandidate> candidates,
                                InQueryCellType(in, name, kind(), similarity, rationale));
      for (PromptCandidate& c : candidates) {
        c.similarity_score = similarity;
        out.push_back(std::move(c));
      }
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<PromptStrategy> MakeDirectStrategy() { return std::make_unique<DirectStrategy>(); }
std::unique_ptr<PromptStrategy> MakeMechanisticStrategy() {
  return std::make_unique<MechanisticStrategy>();
}
std::unique_ptr<PromptStrategy> MakeSemanticStrategy() {
  return std::make_unique<SemanticStrategy>();
}

}  // namespace haystack::agent_internal
