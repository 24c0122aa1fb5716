// Query understanding with a language model's help, never on its word alone.
//
// The model is given the atlas's vocabulary as its candidate list and asked for a small JSON
// object: the task type and the entity phrases exactly as the query writes them. Every field is
// then validated: the JSON against the schema, each phrase against the query text (it must
// appear in it: no invented entities), and each phrase against the atlas (it must resolve with
// the rule-based analyzer's own rules: the model picks the words, never what they name). An invalid
// answer gets one repair round in which the model is told what was wrong; a second invalid
// answer, a transport failure or a timeout falls back to `fallback` (normally the rule-based
// analyzer), with a note in StructuredQuery::notes saying why.
#ifndef HAYSTACK_AGENT_LLM_QUERY_ANALYZER_H_
#define HAYSTACK_AGENT_LLM_QUERY_ANALYZER_H_

#include <string>
#include <string_view>

#include "haystack/agent/query_analyzer.h"
#include "haystack/core/logging.h"
#include "haystack/llm/llm_client.h"

namespace haystack {

struct LlmQueryAnalyzerOptions {
  size_t max_query_bytes = 10'000;
  int max_tokens = 400;
};

class LlmQueryAnalyzer final : public QueryAnalyzer {
 public:
  // `llm`, `knowledge`, `vocabulary` and `fallback` must outlive the analyzer.
  LlmQueryAnalyzer(LlmClient& llm, const KnowledgeBase& knowledge,
                   const AtlasVocabulary& vocabulary, const QueryAnalyzer& fallback, Logger logger,
                   LlmQueryAnalyzerOptions options = {});

  absl::StatusOr<StructuredQuery> Analyze(std::string_view raw_query) const override;

  // The instructions sent as the system prompt (documented in docs/agent.md).
  static std::string_view SystemPrompt();

 private:
  absl::StatusOr<StructuredQuery> Interpret(std::string_view raw_query,
                                            std::string_view reply) const;
  absl::StatusOr<StructuredQuery> Fallback(std::string_view raw_query,
                                           const std::string& why) const;

  LlmClient& llm_;
  const KnowledgeBase& knowledge_;
  const AtlasVocabulary& vocabulary_;
  const QueryAnalyzer& fallback_;
  Logger logger_;
  LlmQueryAnalyzerOptions options_;
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_LLM_QUERY_ANALYZER_H_
