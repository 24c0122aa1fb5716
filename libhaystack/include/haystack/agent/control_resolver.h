// Controls: matched control cells for synthetic control, the run's control decision with its
// fallback, and the query cells (docs/agent.md, "Controls and query cells").
//
// Control cells come from the data: the values of the atlas's perturbation (or, lacking that
// column, condition) field whose cells are flagged by is_control, or typed "control" by
// perturbation_type, when the atlas has either column; only otherwise those named in
// RunConfig::control_condition_names, compared case-insensitively ("PBS", "DMSO", "control",
// "vehicle", "untreated" by default). See AtlasControlValues (agent/atlas_vocabulary.h).
#ifndef HAYSTACK_AGENT_CONTROL_RESOLVER_H_
#define HAYSTACK_AGENT_CONTROL_RESOLVER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"
#include "haystack/core/run_config.h"

namespace haystack {

// What a run does about controls. Written to the run record (control_strategy_effective,
// control_cells_available) and the structured query (control_cell_info,
// control_strategy_fallback).
struct ControlDecision {
  ControlStrategy requested = ControlStrategy::kSyntheticControl;
  ControlStrategy effective = ControlStrategy::kSyntheticControl;
  bool control_cells_available = false;
  std::optional<ControlCellInfo> info;
  std::optional<ControlStrategy> fallback;  // query_as_control when synthetic was impossible
  std::string warning;                      // why it fell back (empty otherwise)

  // Copies the decision into the structured query's control fields.
  void ApplyTo(StructuredQuery& query) const;
};

// The query cells of a run: the population the model transforms.
struct QueryCells {
  std::vector<int64_t> cells;  // atlas rows, ascending
  std::map<std::string, std::string> selection;
  int64_t n_available = 0;
  std::string rationale;
};

class ControlResolver {
 public:
  // `atlas` must outlive the resolver.
  explicit ControlResolver(const CellAtlas& atlas);

  // The atlas's control values: flagged by is_control or a control perturbation_type when the
  // atlas has either column, else matching `names` (case-insensitive), e.g. {"PBS"}.
  absl::StatusOr<std::vector<std::string>> ControlConditions(
      const std::vector<std::string>& names) const;

  // Pairs a perturbed prompt candidate with control cells of the same donor, dataset and cell
  // type whose condition is one of `control_conditions` (from ControlConditions, resolved once
  // per generation): sets paired_control_indices (at most `max_cells`, sampled with `seed`) and
  // paired_control_metadata. Leaves both unset when the atlas has no such cells.
  absl::Status PairControls(PromptCandidate& candidate,
                            const std::vector<std::string>& control_conditions, int max_cells,
                            int64_t seed) const;

  // The run's decision from its ranked candidates (already paired). Perturbational tasks
  // under synthetic control fall back to query_as_control exactly when no candidate has
  // matched controls; query_as_control stays as requested. Observational tasks compare
  // against no control: the decision records the request and pairs nothing.
  ControlDecision Decide(const StructuredQuery& query, const RunConfig& config,
                         const std::vector<PromptCandidate>& candidates) const;

  // Perturbational tasks: control cells of the query's cell type, preferring the query's
  // donor, tissue and dataset (each preference is dropped, last first, while none match).
  // Observational tasks: unperturbed cells of the wanted cell type from the reference donor or
  // dataset when named, else from donors other than the target. Capped at
  // config.max_query_cells and sampled with the run's seed. None → RetrievalError naming the
  // cell type and what the atlas holds.
  absl::StatusOr<QueryCells> SelectQueryCells(const StructuredQuery& query,
                                              const RunConfig& config) const;

 private:
  std::optional<AtlasField> ConditionField() const;

  const CellAtlas& atlas_;
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_CONTROL_RESOLVER_H_
