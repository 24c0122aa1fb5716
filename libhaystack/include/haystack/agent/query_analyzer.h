// Query understanding: a natural-language question → StructuredQuery
// (docs/agent.md, "Query analysis").
//
// The default, RuleBasedQueryAnalyzer, is deterministic and offline. The atlas is its
// vocabulary (AtlasVocabulary): it finds mentions of the atlas's cell types, perturbations,
// tissues, diseases, donors, datasets and time points, with the knowledge base adding synonyms,
// ontology parents and the targets and pathways of perturbations it knows. It reads the task
// type from cue words. Unresolvable queries fail with QueryParsingError (nothing to work with)
// or EntityResolutionError naming every entity that failed and what the atlas holds instead,
// nearest first. The analyzer never sets the control-strategy fields: the orchestrator does.
#ifndef HAYSTACK_AGENT_QUERY_ANALYZER_H_
#define HAYSTACK_AGENT_QUERY_ANALYZER_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/agent/atlas_vocabulary.h"
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
  // Typo tolerance: a perturbation phrase within this normalised edit distance of one of the
  // atlas's perturbation names (and at most a quarter of its length), or a cell type within it
  // (and a fifth of its length), resolves to it, with a note.
  int max_typo_edits = 2;
};

class RuleBasedQueryAnalyzer final : public QueryAnalyzer {
 public:
  // `knowledge` and `vocabulary` must outlive the analyzer.
  RuleBasedQueryAnalyzer(const KnowledgeBase& knowledge, const AtlasVocabulary& vocabulary,
                         RuleBasedQueryAnalyzerOptions options = {});

  absl::StatusOr<StructuredQuery> Analyze(std::string_view raw_query) const override;

 private:
  const KnowledgeBase& knowledge_;
  const AtlasVocabulary& vocabulary_;
  RuleBasedQueryAnalyzerOptions options_;
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_QUERY_ANALYZER_H_
