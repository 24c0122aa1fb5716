// The phases of the rule-based analysis, each filling its part of the StructuredQuery or
// returning an EntityResolutionError that names what it could not resolve and what the atlas
// holds instead (nearest first). docs/agent.md describes the rules.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_QUERY_RESOLUTION_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_QUERY_RESOLUTION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/query.h"
#include "internal/query_mentions.h"

namespace haystack::agent_internal {

struct Analysis {
  const QueryContext& query;
  const std::vector<Mention>& mentions;
  int max_typo_edits = 2;
};

// The perturbation: a genetic wording of a gene ("knock out X", "X KO", "sgX", "X-/-", ...), a
// combination of named perturbations, one named perturbation, or (after a cue word such as
// "respond" or "treated") a typo of one. Sets perturbation_* and expected targets/pathways.
absl::Status ResolvePerturbation(const Analysis& a, StructuredQuery& query);

// The cell type and the atlas cell types it selects (itself and its descendants).
absl::Status ResolveCellType(const Analysis& a, StructuredQuery& query);

// Donors, tissue, disease, dataset and condition or time point.
absl::Status ResolveContext(const Analysis& a, StructuredQuery& query);

// The task type from what was resolved and the cue words.
absl::Status ChooseTaskType(const Analysis& a, StructuredQuery& query);

// True when the query names nothing to predict: no entity, no cue, no task verb.
bool NamesNothing(const Analysis& a);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_QUERY_RESOLUTION_H_
