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
  const StrategyInputs inputs{query, atlas_, knowledge_};
  const std::vector<PromptStrategyKind> order = StrategyPriority(query.task_type);

  // Feedback from earlier iterations.
  std::set<std::string> tried;
  std::map<PromptStrategyKind, int> failures;
  for (const IterationRecord& record : history) {
    tried.insert(SelectionKey(record.selected_prompt.selection));
    if (Composite(record) < config.score_threshold) ++failures[record.selected_prompt.strategy];
  }

  // Every strategy's candidates; a selection proposed twice keeps its most relevant version.
  std::map<std::string, std::pair<size_t, PromptCandidate>> by_selection;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const PromptStrategy& strategy = *strategies_[static_cast<size_t>(order[rank])];
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<PromptCandidate> found, strategy.Generate(inputs));
    for (PromptCandidate& c : found) {
      const std::string key = SelectionKey(c.selection);
      if (tried.contains(key) || c.n_cells_available <= 0) continue;
      if (const int failed = failures[c.strategy]; failed > 0) {
        c.relevance_score *= std::pow(kFailedStrategyFactor, failed);
        absl::StrAppend(&c.rationale, "; relevance lowered: this strategy's prompts scored below ",
                        config.score_threshold, " in ", failed, " earlier iteration(s)");
      }
      auto it = by_selection.find(key);
      if (it == by_selection.end()) {
        by_selection[key] = {rank, std::move(c)};
        continue;
      }
      // Proposed by several strategies: the most relevant one names it; every strategy's own
      // evidence is kept.
      PromptCandidate& kept = it->second.second;
      if (c.relevance_score > kept.relevance_score) {
        std::swap(kept, c);
        it->second.first = rank;
      }
      if (!kept.mechanistic_score) kept.mechanistic_score = c.mechanistic_score;
      if (!kept.similarity_score) kept.similarity_score = c.similarity_score;
      if (!kept.ontology_distance) kept.ontology_distance = c.ontology_distance;
      absl::StrAppend(&kept.rationale, "; also found by ", std::string(EnumName(c.strategy)), ": ",
                      c.rationale);
    }
  }
  // Every candidate was tried in earlier iterations: the run ends with what it has.
  if (by_selection.empty() && !tried.empty()) return std::vector<PromptCandidate>{};
  if (by_selection.empty()) {
    return RetrievalError(absl::StrCat(
        "no prompt cells found for ", query.cell_type_name.value_or(query.cell_type_query),
        query.perturbation_resolved ? absl::StrCat(" and ", *query.perturbation_resolved) : "",
        " in the atlas ", atlas_.name(), " by the strategies ",
        absl::StrJoin(order, ", ", [](std::string* out, PromptStrategyKind k) {
          out->append(std::string(EnumName(k)));
        })));
  }

  // Quality, with matched controls for perturbed prompts.
  const int64_t seed = config.random_seed.value_or(0);
  const bool pair = IsPerturbational(query.task_type);
  std::vector<std::string> control_conditions;
  if (pair) {
    HAYSTACK_ASSIGN_OR_RETURN(control_conditions,
                              controls_.ControlConditions(config.control_condition_names));
  }
  std::vector<std::pair<size_t, PromptCandidate>> pool;
  for (auto& [key, entry] : by_selection) {
    PromptCandidate& c = entry.second;
    c.quality_score =
        std::min(1.0, static_cast<double>(c.n_cells_available) / config.max_prompt_cells);
    if (pair) {
      HAYSTACK_RETURN_IF_ERROR(
          controls_.PairControls(c, control_conditions, config.max_prompt_cells, seed));
      if (!c.paired_control_indices &&
          config.control_strategy == ControlStrategy::kSyntheticControl) {
        c.quality_score *= kNoControlQualityFactor;
      }
    }
    pool.push_back(std::move(entry));
  }

  // Greedy ranking with diversity against what is already picked. Ties: strategy priority,
  // then selection key (pool is in key order), so the order is total and reproducible.
  std::vector<PromptCandidate> ranked;
  const size_t keep = std::min(pool.size(), static_cast<size_t>(config.top_k_candidates));
  while (ranked.size() < keep) {
    size_t best = 0;
    double best_score = -1;
    for (size_t i = 0; i < pool.size(); ++i) {
      PromptCandidate& c = pool[i].second;
      double max_overlap = 0;
      for (const PromptCandidate& picked : ranked)
        max_overlap = std::max(max_overlap, Overlap(c, picked));
      c.diversity_score = 1 - max_overlap;
      c.final_score = weights_.relevance * c.relevance_score +
                      weights_.diversity * c.diversity_score + weights_.quality * c.quality_score;
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

  // Cells: sampled reproducibly from the run's seed and the selection.
  int best_so_far = 0;
  for (const IterationRecord& record : history)
    best_so_far = std::max(best_so_far, Composite(record));
  for (PromptCandidate& c : ranked) {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> cells, atlas_.Select(SelectionFilter(c)));
    c.prompt_cell_indices =
        SampleSorted(std::move(cells), static_cast<size_t>(config.max_prompt_cells),
                     DeriveSeed(seed, absl::StrCat("prompt:", SelectionKey(c.selection))));
    if (iteration > 1 && !history.empty()) {
      absl::StrAppend(&c.rationale, "; iteration ", iteration, ", best score so far ", best_so_far);
    }
  }
  return ranked;
}

}  // namespace haystack
