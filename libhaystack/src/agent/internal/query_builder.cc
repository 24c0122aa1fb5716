#include "internal/query_builder.h"

#include <optional>
#include <string>

#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::agent_internal {

std::string Quoted(std::string_view text) { return "\"" + QuoteForMessage(text) + "\""; }

absl::Status ValidateQueryText(std::string_view raw_query, size_t max_bytes) {
  return ValidateText(
      "query", raw_query,
      {.max_bytes = max_bytes, .allow_newlines = true, .kind = ErrorKind::kQueryParsing});
}

void ApplyPerturbation(const Perturbation& perturbation, std::string_view text,
                       StructuredQuery& query) {
  query.perturbation_query = std::string(text);
  query.perturbation_resolved = perturbation.name;
  query.perturbation_type = perturbation.type;
  query.expected_targets = perturbation.targets;
  query.expected_pathways = perturbation.expected_pathways;
}

absl::Status ApplyCellType(const KnowledgeBase& knowledge, const EntityMatch& match,
                           std::string_view text, StructuredQuery& query) {
  query.cell_type_query = std::string(text);
  query.cell_type_cl_id = match.id;
  query.cell_type_name = match.name;
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<OntologyTerm> term, knowledge.GetTerm(match.id));
  if (term) query.cell_type_synonyms = term->synonyms;
  return absl::OkStatus();
}

}  // namespace haystack::agent_internal
