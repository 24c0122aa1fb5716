// The real cells an observational prediction is judged against (docs/scoring.md §5), read from
// the atlas once per run: the cell type's cells and other types' cells (markers, coherence), the
// target tissue's and the target donor's signatures, and held-out cells of the type.
#ifndef HAYSTACK_AGENT_INTERNAL_OBSERVATIONAL_REFERENCES_H_
#define HAYSTACK_AGENT_INTERNAL_OBSERVATIONAL_REFERENCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/query.h"
#include "haystack/knowledge/knowledge_base.h"
#include "haystack/scoring/observational.h"

namespace haystack::agent_internal {

// Errors only from the atlas or the knowledge base; missing evidence is an unavailable reason.
// `genes` are the predictions' columns.
absl::StatusOr<scoring::ObservationalReferences> ReadObservationalReferences(
    const CellAtlas& atlas, const KnowledgeBase& knowledge, const StructuredQuery& query,
    const std::vector<int64_t>& query_cells, const std::vector<std::string>& genes);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_OBSERVATIONAL_REFERENCES_H_
