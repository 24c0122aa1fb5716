#include "haystack/agent/control_resolver.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/agent/prompt_strategy.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "internal/candidates.h"

namespace haystack {
namespace {

std::string Key(AtlasField field) { return std::string(DefaultColumnName(field)); }

std::optional<std::string> SelectionValue(const PromptCandidate& c, AtlasField field) {
  auto it = c.selection.find(Key(field));
  if (it == c.selection.end()) return std::nullopt;
  return it->second;
}

std::string SelectionText(const std::map<std::string, std::string>& selection) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : selection) {
    if (k != "atlas") parts.push_back(absl::StrCat(k, "=", v));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

void ControlDecision::ApplyTo(StructuredQuery& query) const {
  query.control_strategy = requested;
  query.control_cells_available = control_cells_available;
  query.control_cell_info = info;
  query.control_strategy_fallback = fallback;
}

ControlResolver::ControlResolver(const CellAtlas& atlas) : atlas_(atlas) {}

std::optional<AtlasField> ControlResolver::ConditionField() const {
  if (atlas_.HasField(AtlasField::kPerturbation)) return AtlasField::kPerturbation;
  if (atlas_.HasField(AtlasField::kCondition)) return AtlasField::kCondition;
  return std::nullopt;
}

absl::StatusOr<std::vector<std::string>> ControlResolver::ControlConditions(
    const std::vector<std::string>& names) const {
  return AtlasControlValues(atlas_, names);
}

absl::Status ControlResolver::PairControls(PromptCandidate& candidate,
                                           const std::vector<std::string>& control_conditions,
                                           int max_cells, int64_t seed) const {
  candidate.paired_control_indices.reset();
  candidate.paired_control_metadata.reset();
  const std::optional<AtlasField> field = ConditionField();
  const auto donor = SelectionValue(candidate, AtlasField::kDonor);
  const auto cell_type = SelectionValue(candidate, AtlasField::kCellType);
  if (!field || !donor || !cell_type || control_conditions.empty()) return absl::OkStatus();
  CellFilter filter;
  filter.Where(AtlasField::kDonor, *donor)
      .Where(AtlasField::kCellType, *cell_type)
      .Where(*field, control_conditions);
  const auto dataset = SelectionValue(candidate, AtlasField::kDataset);
  if (dataset) filter.Where(AtlasField::kDataset, *dataset);
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> cells, atlas_.Select(filter));
  if (cells.empty()) return absl::OkStatus();
  // The conditions present among the matched cells, for the record: read from those cells
  // rather than by another scan of the whole atlas.
  std::set<std::string> present;
  for (int64_t cell : cells) {
    HAYSTACK_ASSIGN_OR_RETURN(std::string condition, atlas_.ValueOf(*field, cell));
    present.insert(std::move(condition));
  }
  PairedControlMetadata metadata;
  metadata.donor_id = *donor;
  metadata.cell_type = *cell_type;
  metadata.condition = absl::StrJoin(present, "|");
  metadata.dataset = dataset.value_or("");
  metadata.n_cells = static_cast<int64_t>(cells.size());
  const std::string key = absl::StrCat("control:", SelectionText(candidate.selection));
  candidate.paired_control_indices =
      SampleSorted(std::move(cells), static_cast<size_t>(max_cells), DeriveSeed(seed, key));
  candidate.paired_control_metadata = std::move(metadata);
  return absl::OkStatus();
}

ControlDecision ControlResolver::Decide(const StructuredQuery& query, const RunConfig& config,
                                        const std::vector<PromptCandidate>& candidates) const {
  ControlDecision decision;
  decision.requested = config.control_strategy;
  decision.effective = config.control_strategy;
  if (!IsPerturbational(query.task_type)) return decision;
  ControlCellInfo info;
  std::set<std::string> donors, conditions;
  for (const PromptCandidate& c : candidates) {
    if (!c.paired_control_metadata) continue;
    donors.insert(c.paired_control_metadata->donor_id);
    for (const std::string& condition :
         std::vector<std::string>(absl::StrSplit(c.paired_control_metadata->condition, '|'))) {
      conditions.insert(condition);
    }
    info.n_cells += c.paired_control_metadata->n_cells;
  }
  decision.control_cells_available = !donors.empty();
  if (decision.control_cells_available) {
    info.donors.assign(donors.begin(), donors.end());
    info.conditions.assign(conditions.begin(), conditions.end());
    decision.info = std::move(info);
  } else if (config.control_strategy == ControlStrategy::kSyntheticControl) {
    decision.effective = ControlStrategy::kQueryAsControl;
    decision.fallback = ControlStrategy::kQueryAsControl;
    decision.warning = absl::StrCat(
        "no prompt candidate has matched control cells (same donor, dataset and cell type with a "
        "control condition: flagged by is_control or a control perturbation_type, else named ",
        absl::StrJoin(config.control_condition_names, ", "),
        "); comparing predictions with the query cells instead (query_as_control)");
  }
  return decision;
}

absl::StatusOr<QueryCells> ControlResolver::SelectQueryCells(const StructuredQuery& query,
                                                             const RunConfig& config) const {
  const std::vector<std::string> cell_types = agent_internal::QueryCellTypeIds(query);
  if (cell_types.empty()) {
    return RetrievalError("the structured query has no resolved cell type to take query cells of");
  }
  const std::string id = query.cell_type_cl_id.value_or(cell_types.front());
  const std::string label = query.cell_type_name.value_or(id);
  CellFilter base;
  base.Where(AtlasField::kCellType, cell_types);
  // Preferences, most important first; relaxed from the back.
  std::vector<std::pair<AtlasField, std::string>> preferences;
  std::string population;
  if (IsPerturbational(query.task_type)) {
    const std::optional<AtlasField> field = ConditionField();
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> conditions,
                              ControlConditions(config.control_condition_names));
    if (field && !conditions.empty()) {
      base.Where(*field, conditions);
    } else {
      agent_internal::UnperturbedOnly(atlas_, base);
    }
    population = "control";
    if (auto condition = agent_internal::QueryCondition(atlas_, query)) {
      preferences.emplace_back(AtlasField::kCondition, *condition);
    }
    if (query.target_donor_id) preferences.emplace_back(AtlasField::kDonor, *query.target_donor_id);
    if (query.target_tissue && atlas_.HasField(AtlasField::kTissue)) {
      preferences.emplace_back(AtlasField::kTissue, *query.target_tissue);
    }
    if (query.reference_dataset && atlas_.HasField(AtlasField::kDataset)) {
      preferences.emplace_back(AtlasField::kDataset, *query.reference_dataset);
    }
  } else {
    agent_internal::UnperturbedOnly(atlas_, base);
    population = "unperturbed";
    if (query.reference_donor_id) {
      preferences.emplace_back(AtlasField::kDonor, *query.reference_donor_id);
    }
    if (query.reference_dataset && atlas_.HasField(AtlasField::kDataset)) {
      preferences.emplace_back(AtlasField::kDataset, *query.reference_dataset);
    }
  }
  std::vector<int64_t> cells;
  CellFilter filter;
  size_t kept = preferences.size() + 1;
  while (kept-- > 0) {
    filter = base;
    for (size_t i = 0; i < kept; ++i) filter.Where(preferences[i].first, preferences[i].second);
    HAYSTACK_ASSIGN_OR_RETURN(cells, atlas_.Select(filter));
    // Observational queries take the cell type from other donors than the one predicted for.
    if (!IsPerturbational(query.task_type) && query.target_donor_id && !cells.empty()) {
      HAYSTACK_ASSIGN_OR_RETURN(
          std::vector<int64_t> target_cells,
          atlas_.Select(CellFilter(filter).Where(AtlasField::kDonor, *query.target_donor_id)));
      std::vector<int64_t> rest;
      std::set_difference(cells.begin(), cells.end(), target_cells.begin(), target_cells.end(),
                          std::back_inserter(rest));
      cells = std::move(rest);
    }
    if (!cells.empty()) break;
  }
  if (cells.empty()) {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> types,
                              agent_internal::DistinctValues(atlas_, AtlasField::kCellType, {}));
    return RetrievalError(
        absl::StrCat("the atlas ", atlas_.name(), " has no ", population, " cells of ", label, " (",
                     absl::StrJoin(cell_types, "|"),
                     ") to use as query cells; its cell types: ", absl::StrJoin(types, ", ")));
  }
  QueryCells out;
  out.n_available = static_cast<int64_t>(cells.size());
  out.selection["atlas"] = atlas_.name();
  for (const auto& [field, values] : filter.any_of) {
    out.selection[Key(field)] = absl::StrJoin(values, "|");
  }
  const int64_t seed = config.random_seed.value_or(0);
  out.cells = SampleSorted(std::move(cells), static_cast<size_t>(config.max_query_cells),
                           DeriveSeed(seed, absl::StrCat("query:", SelectionText(out.selection))));
  out.rationale = absl::StrCat(out.cells.size(), " of ", out.n_available, " ", population,
                               " cells of ", label, " (", SelectionText(out.selection), ")");
  if (kept < preferences.size()) {
    absl::StrAppend(&out.rationale, "; relaxed the preference for ",
                    std::string(DefaultColumnName(preferences[kept].first)), "=",
                    preferences[kept].second, " (no such cells)");
  }
  return out;
}

}  // namespace haystack
