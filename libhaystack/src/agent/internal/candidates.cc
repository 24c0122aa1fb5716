#include "internal/candidates.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "haystack/core/error.h"

namespace haystack::agent_internal {
namespace {

// The grouping that defines a candidate, in selection-key order.
constexpr std::array kGroupFields = {AtlasField::kDataset, AtlasField::kDonor,
                                     AtlasField::kCellType, AtlasField::kPerturbation,
                                     AtlasField::kIsControl};

}  // namespace

absl::StatusOr<std::vector<PromptCandidate>> CandidatesFromGroups(const CellAtlas& atlas,
                                                                  const CellFilter& filter,
                                                                  PromptStrategyKind kind,
                                                                  double relevance,
                                                                  const std::string& rationale) {
  std::vector<AtlasField> fields;
  for (AtlasField f : kGroupFields) {
    if (atlas.HasField(f)) fields.push_back(f);
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> groups, atlas.CountBy(fields, filter));
  std::vector<PromptCandidate> out;
  out.reserve(groups.size());
  for (const GroupCount& group : groups) {
    PromptCandidate c;
    c.strategy = kind;
    c.selection["atlas"] = atlas.name();
    for (size_t i = 0; i < fields.size(); ++i) {
      c.selection[std::string(DefaultColumnName(fields[i]))] = group.values[i];
    }
    c.n_cells_available = group.cells;
    c.relevance_score = relevance;
    c.rationale = rationale;
    out.push_back(std::move(c));
  }
  return out;
}

CellFilter& PerturbedOnly(const CellAtlas& atlas, CellFilter& filter) {
  if (atlas.HasField(AtlasField::kIsControl)) filter.Where(AtlasField::kIsControl, "false");
  return filter;
}

CellFilter& UnperturbedOnly(const CellAtlas& atlas, CellFilter& filter) {
  if (atlas.HasField(AtlasField::kIsControl)) filter.Where(AtlasField::kIsControl, "true");
  return filter;
}

std::vector<std::string> QueryCellTypeIds(const StructuredQuery& query) {
  std::vector<std::string> ids;
  for (const CellTypeSelection& s : query.cell_types_selected) ids.push_back(s.id);
  if (ids.empty() && query.cell_type_cl_id) ids.push_back(*query.cell_type_cl_id);
  return ids;
}

std::optional<std::string> QueryCondition(const CellAtlas& atlas, const StructuredQuery& query) {
  if (!query.target_condition || !atlas.HasField(AtlasField::kCondition)) return std::nullopt;
  const auto& columns = atlas.layout().columns;
  const auto condition = columns.find(AtlasField::kCondition);
  const auto perturbation = columns.find(AtlasField::kPerturbation);
  if (condition != columns.end() && perturbation != columns.end() &&
      condition->second == perturbation->second) {
    return std::nullopt;  // the demo's condition is its perturbation: already selected
  }
  return query.target_condition;
}

CellFilter& AtQueryCondition(const CellAtlas& atlas, const StructuredQuery& query,
                             CellFilter& filter) {
  if (auto condition = QueryCondition(atlas, query))
    filter.Where(AtlasField::kCondition, *condition);
  return filter;
}

absl::StatusOr<std::vector<std::string>> DistinctValues(const CellAtlas& atlas, AtlasField field,
                                                        const CellFilter& filter) {
  const AtlasField group[] = {field};
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> groups, atlas.CountBy(group, filter));
  std::vector<std::string> values;
  for (const GroupCount& g : groups) values.push_back(g.values.front());
  return values;
}

double Jaccard(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  if (a.empty() && b.empty()) return 0;
  std::vector<std::string> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
  return static_cast<double>(common.size()) /
         static_cast<double>(a.size() + b.size() - common.size());
}

std::vector<std::string> Shared(const std::vector<std::string>& a,
                                const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const std::string& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) out.push_back(x);
  }
  return out;
}

}  // namespace haystack::agent_internal
