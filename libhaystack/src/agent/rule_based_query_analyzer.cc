#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/agent/query_analyzer.h"
#include "haystack/core/error.h"
#include "internal/query_builder.h"
#include "internal/query_mentions.h"
#include "internal/query_resolution.h"
#include "internal/query_text.h"

namespace haystack {
namespace {

using agent_internal::Analysis;
using agent_internal::Mention;
using agent_internal::QueryContext;
using agent_internal::Quoted;

// One refusal naming every entity that failed, of the first failure's kind.
absl::Status Combine(const std::vector<absl::Status>& failures) {
  std::vector<std::string> messages;
  for (const absl::Status& s : failures) messages.emplace_back(s.message());
  const absl::Status& first = failures.front();
  return MakeError(GetErrorKind(first), first.code(), absl::StrJoin(messages, "; and "));
}

absl::Status CheckText(std::string_view raw_query, const std::vector<agent_internal::Token>& tokens,
                       const RuleBasedQueryAnalyzerOptions& options) {
  HAYSTACK_RETURN_IF_ERROR(agent_internal::ValidateQueryText(raw_query, options.max_query_bytes));
  size_t letters = 0;
  for (const agent_internal::Token& t : tokens) letters += t.text.size();
  if (letters < options.min_query_chars) {
    return QueryParsingError(absl::StrCat("the query ", Quoted(raw_query),
                                          " is too short: describe a cell type and a "
                                          "perturbation or context in at least ",
                                          options.min_query_chars, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

RuleBasedQueryAnalyzer::RuleBasedQueryAnalyzer(const KnowledgeBase& knowledge,
                                               const AtlasVocabulary& vocabulary,
                                               RuleBasedQueryAnalyzerOptions options)
    : knowledge_(knowledge), vocabulary_(vocabulary), options_(options) {}

absl::StatusOr<StructuredQuery> RuleBasedQueryAnalyzer::Analyze(std::string_view raw_query) const {
  const QueryContext context{raw_query, agent_internal::Tokenize(raw_query), vocabulary_,
                             knowledge_};
  HAYSTACK_RETURN_IF_ERROR(CheckText(raw_query, context.tokens, options_));
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<Mention> mentions, agent_internal::FindMentions(context));
  const Analysis analysis{context, mentions, options_.max_typo_edits};
  if (agent_internal::NamesNothing(analysis)) {
    return QueryParsingError(absl::StrCat(
        "the query ", Quoted(raw_query),
        " names no cell type, perturbation or context of the atlas: ask about a cell type, e.g. "
        "\"How would CD14+ monocytes respond to IFN-gamma?\""));
  }

  StructuredQuery query;
  query.raw_query = std::string(raw_query);
  query.analyzer = "rules";
  // Each phase reports what it could not resolve; all failures are refused together, so the
  // message names every entity at fault.
  std::vector<absl::Status> failures;
  for (auto phase : {agent_internal::ResolvePerturbation, agent_internal::ResolveCellType,
                     agent_internal::ResolveContext}) {
    if (absl::Status s = phase(analysis, query); !s.ok()) failures.push_back(std::move(s));
  }
  if (!failures.empty()) return Combine(failures);
  HAYSTACK_RETURN_IF_ERROR(agent_internal::ChooseTaskType(analysis, query));
  return query;
}

}  // namespace haystack
