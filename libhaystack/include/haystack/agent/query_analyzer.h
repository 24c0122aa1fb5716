// Query understanding: a natural-language question → StructuredQuery
// (spec-digest/orchestrator.md §2.2).
//
// The default, RuleBasedQueryAnalyzer, is deterministic and offline: it finds entity mentions
// with the knowledge base's dictionaries (cell types, perturbations, tissues, diseases, genes),
// reads the task type from cue words, and fills targets, expected pathways and markers from the
// knowledge base. Unresolvable queries fail with QueryParsingError (nothing to work with) or
// EntityResolutionError (a named entity that matches nothing), naming the text and the closest
// known entities. The analyzer never sets the control-strategy fields: the orchestrator does.
#ifndef HAYSTACK_AGENT_QUERY_ANALYZER_H_
#define HAYSTACK_AGENT_QUERY_ANALYZER_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/core/query.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

class QueryAnalyzer {
 public:
  virtual ~QueryAnalyzer() = default;
  virtual absl::StatusOr<StructuredQuery> Analyze(std::string_view raw_query) const = 0;
};

struct RuleBasedQueryAnalyzerOptions {
  size_t min_query_chars = 10;      // the web API's minimum
  size_t max_query_bytes = 10'000;  // longer text is refused, not truncated
  // Typo tolerance: a perturbation phrase within this normalised edit distance of a known name
  // or synonym (and at most a third of its length) resolves to it, with a note.
  int max_typo_edits = 2;
  size_t max_marker_genes = 12;
};

class RuleBasedQueryAnalyzer final : public QueryAnalyzer {
 public:
  explicit RuleBasedQueryAnalyzer(const KnowledgeBase& knowledge,
                                  RuleBasedQueryAnalyzerOptions options = {});

  absl::StatusOr<StructuredQuery> Analyze(std::string_view raw_query) const override;

 private:
  const KnowledgeBase& knowledge_;
  RuleBasedQueryAnalyzerOptions options_;
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_QUERY_ANALYZER_H_
