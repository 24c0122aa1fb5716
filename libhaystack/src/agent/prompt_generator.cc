#include "haystack/agent/prompt_generator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"

namespace haystack {
namespace {

constexpr double kFailedStrategyFactor = 0.8;
constexpr double kNoControlQualityFactor = 0.5;

std::string SelectionKey(const std::map<std::string, std::string>& selection) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : selection) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, ";");
}

// The share of selection keys (other than "atlas") on which two candidates agree.
double Overlap(const PromptCandidate& a, const PromptCandidate& b) {
  int keys = 0, same = 0;
  for (const auto& [k, v] : a.selection) {
    if (k == "atlas") continue;
    ++keys;
    auto it = b.selection.find(k);
    if (it != b.selection.end() && it->second == v) ++same;
  }
  return keys == 0 ? 0 : static_cast<double>(same) / keys;
}

// An unscored iteration counts as below every threshold.
int Composite(const IterationRecord& record) {
  return CompositeScore(record.grounding_score).value_or(0);
}

// What earlier iterations say about this one: the selections already tried (never proposed
// again), how often each strategy's prompt scored below the threshold, and the best score.
struct Feedback {
  std::set<std::string> tried;
  std::map<PromptStrategyKind, int> failures;
  int best_so_far = 0;
};

Feedback ReadFeedback(const std::vector<IterationRecord>& history, double score_threshold) {
  Feedback feedback;
  for (const IterationRecord& record : history) {
    feedback.tried.insert(SelectionKey(record.selected_prompt.selection));
    if (Composite(record) < score_threshold) ++feedback.failures[record.selected_prompt.strategy];
    feedback.best_so_far = std::max(feedback.best_so_far, Composite(record));
  }
  return feedback;
}

// A candidate, with the priority rank of the strategy that names it.
using RankedCandidate = std::pair<size_t, PromptCandidate>;

// `found` proposes a selection `kept` already holds: the most relevant version names it, and
// every strategy's own evidence is kept.
void MergeDuplicate(RankedCandidate& kept, PromptCandidate found, size_t rank) {
  if (found.relevance_score > kept.second.relevance_score) {
    std::swap(kept.second, found);
    kept.first = rank;
  }
  PromptCandidate& c = kept.second;
  if (!c.mechanistic_score) c.mechanistic_score = found.mechanistic_score;
  if (!c.similarity_score) c.similarity_score = found.similarity_score;
  if (!c.ontology_distance) c.ontology_distance = found.ontology_distance;
  absl::StrAppend(&c.rationale, "; also found by ", std::string(EnumName(found.strategy)), ": ",
                  found.rationale);
}

// Greedy ranking with diversity against what is already picked. Ties: strategy priority, then
// selection key (`pool` is in key order), so the order is total and reproducible.
std::vector<PromptCandidate> RankWithDiversity(std::vector<RankedCandidate> pool, size_t keep,
                                               const RankingWeights& weights) {
  std::vector<PromptCandidate> ranked;
  keep = std::min(keep, pool.size());
  while (ranked.size() < keep) {
    size_t best = 0;
    double best_score = -1;
    for (size_t i = 0; i < pool.size(); ++i) {
      PromptCandidate& c = pool[i].second;
      double max_overlap = 0;
      for (const PromptCandidate& picked : ranked)
        max_overlap = std::max(max_overlap, Overlap(c, picked));
      c.diversity_score = 1 - max_overlap;
      c.final_score = weights.relevance * c.relevance_score +
                      weights.diversity * c.diversity_score + weights.quality * c.quality_score;
      const bool better =
          c.final_score > best_score + 1e-12 ||
          (std::abs(c.final_score - best_score) <= 1e-12 && pool[i].first < pool[best].first);
      if (better) {
        best = i;
        best_score = c.final_score;
      }
    }
    ranked.push_back(std::move(pool[best].second));
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(best));
  }
  return ranked;
}

// Every strategy's candidates, in selection-key order; a selection proposed twice keeps its
// most relevant version. Strategies whose prompts failed earlier are down-weighted.
absl::StatusOr<std::vector<RankedCandidate>> Propose(
    const std::vector<std::unique_ptr<PromptStrategy>>& strategies, const StrategyInputs& inputs,
    const std::vector<PromptStrategyKind>& order, const Feedback& feedback,
    double score_threshold) {
  const StructuredQuery& query = inputs.query;
  std::map<std::string, RankedCandidate> by_selection;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const PromptStrategy& strategy = *strategies[static_cast<size_t>(order[rank])];
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<PromptCandidate> found, strategy.Generate(inputs));
    for (PromptCandidate& c : found) {
      const std::string key = SelectionKey(c.selection);
      if (feedback.tried.contains(key) || c.n_cells_available <= 0) continue;
      if (auto failed = feedback.failures.find(c.strategy); failed != feedback.failures.end()) {
        c.relevance_score *= std::pow(kFailedStrategyFactor, failed->second);
        absl::StrAppend(&c.rationale, "; relevance lowered: this strategy's prompts scored below ",
                        score_threshold, " in ", failed->second, " earlier iteration(s)");
      }
      if (auto it = by_selection.find(key); it != by_selection.end()) {
        MergeDuplicate(it->second, std::move(c), rank);
      } else {
        by_selection.emplace(key, RankedCandidate{rank, std::move(c)});
      }
    }
  }
  // Every candidate was tried in earlier iterations: the run ends with what it has.
  if (by_selection.empty() && !feedback.tried.empty()) return std::vector<RankedCandidate>{};
  if (by_selection.empty()) {
    return RetrievalError(absl::StrCat(
        "no prompt cells found for ", query.cell_type_name.value_or(query.cell_type_query),
        query.perturbation_resolved ? absl::StrCat(" and ", *query.perturbation_resolved) : "",
        " in the atlas ", inputs.atlas.name(), " by the strategies ",
        absl::StrJoin(order, ", ", [](std::string* out, PromptStrategyKind k) {
          out->append(std::string(EnumName(k)));
        })));
  }
  std::vector<RankedCandidate> pool;
  for (auto& [key, entry] : by_selection) pool.push_back(std::move(entry));
  return pool;
}

// Quality: the share of the cell budget available, halved for a perturbed prompt without a
// matched control under the synthetic-control strategy.
absl::Status ScoreQuality(const ControlResolver& controls, const StructuredQuery& query,
                          const RunConfig& config, std::vector<RankedCandidate>& pool) {
  const bool pair = IsPerturbational(query.task_type);
  std::vector<std::string> control_conditions;
  if (pair) {
    HAYSTACK_ASSIGN_OR_RETURN(control_conditions,
                              controls.ControlConditions(config.control_condition_names));
  }
  for (auto& [rank, c] : pool) {
    c.quality_score =
        std::min(1.0, static_cast<double>(c.n_cells_available) / config.max_prompt_cells);
    if (!pair) continue;
    HAYSTACK_RETURN_IF_ERROR(controls.PairControls(c, control_conditions, config.max_prompt_cells,
                                                   config.random_seed.value_or(0)));
    if (!c.paired_control_indices &&
        config.control_strategy == ControlStrategy::kSyntheticControl) {
      c.quality_score *= kNoControlQualityFactor;
    }
  }
  return absl::OkStatus();
}

}  // namespace

PromptGenerator::PromptGenerator(const CellAtlas& atlas, const KnowledgeBase& knowledge,
                                 const ControlResolver& controls, RankingWeights weights)
    : atlas_(atlas), knowledge_(knowledge), controls_(controls), weights_(weights) {
  for (const auto& [kind, name] : EnumTraits<PromptStrategyKind>::kValues) {
    strategies_.push_back(MakePromptStrategy(kind));
  }
}

absl::StatusOr<std::vector<PromptCandidate>> PromptGenerator::Generate(
    const StructuredQuery& query, const RunConfig& config, int iteration,
    const std::vector<IterationRecord>& history) const {
  const std::vector<PromptStrategyKind> order = StrategyPriority(query.task_type);
  const Feedback feedback = ReadFeedback(history, config.score_threshold);
  HAYSTACK_ASSIGN_OR_RETURN(
      std::vector<RankedCandidate> pool,
      Propose(strategies_, {query, atlas_, knowledge_}, order, feedback, config.score_threshold));
  HAYSTACK_RETURN_IF_ERROR(ScoreQuality(controls_, query, config, pool));
  std::vector<PromptCandidate> ranked =
      RankWithDiversity(std::move(pool), static_cast<size_t>(config.top_k_candidates), weights_);

  // Cells: sampled reproducibly from the run's seed and the selection.
  for (PromptCandidate& c : ranked) {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> cells, atlas_.Select(SelectionFilter(c)));
    c.prompt_cell_indices =
        SampleSorted(std::move(cells), static_cast<size_t>(config.max_prompt_cells),
                     DeriveSeed(config.random_seed.value_or(0),
                                absl::StrCat("prompt:", SelectionKey(c.selection))));
    if (iteration > 1 && !history.empty()) {
      absl::StrAppend(&c.rationale, "; iteration ", iteration, ", best score so far ",
                      feedback.best_so_far);
    }
  }
  return ranked;
}

}  // namespace haystack
