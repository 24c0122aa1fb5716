// Building candidates from atlas groups; shared by every strategy.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_CANDIDATES_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_CANDIDATES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"

namespace haystack::agent_internal {

// One candidate per dataset × donor × cell type × perturbation group of the cells matching
// `filter` (fields the atlas lacks are left out of the grouping). Each gets `relevance`,
// `rationale` and n_cells_available; its selection holds the group's values and "atlas".
absl::StatusOr<std::vector<PromptCandidate>> CandidatesFromGroups(const CellAtlas& atlas,
                                                                  const CellFilter& filter,
                                                                  PromptStrategyKind kind,
                                                                  double relevance,
                                                                  const std::string& rationale);

// `filter` with is_control = "false" when the atlas has that field: perturbed cells only.
CellFilter& PerturbedOnly(const CellAtlas& atlas, CellFilter& filter);
// `filter` restricted to unperturbed cells (is_control = "true") when the atlas says so.
CellFilter& UnperturbedOnly(const CellAtlas& atlas, CellFilter& filter);

// The atlas cell types the query selects (StructuredQuery::cell_types_selected; a record
// written before that field existed: cell_type_cl_id alone).
std::vector<std::string> QueryCellTypeIds(const StructuredQuery& query);

// The query's time point or condition, when it names one the atlas records in a condition
// column other than the perturbation column.
std::optional<std::string> QueryCondition(const CellAtlas& atlas, const StructuredQuery& query);

// `filter` restricted to QueryCondition, when there is one.
CellFilter& AtQueryCondition(const CellAtlas& atlas, const StructuredQuery& query,
                             CellFilter& filter);

// The distinct values of `field` among cells matching `filter`.
absl::StatusOr<std::vector<std::string>> DistinctValues(const CellAtlas& atlas, AtlasField field,
                                                        const CellFilter& filter);

// |a ∩ b| / |a ∪ b| over sets of strings (0 when both are empty).
double Jaccard(std::vector<std::string> a, std::vector<std::string> b);
// The elements of a that are also in b, in a's order.
std::vector<std::string> Shared(const std::vector<std::string>& a,
                                const std::vector<std::string>& b);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_CANDIDATES_H_
