// Entity mentions in a query: spans of up to six words that name an atlas value (directly, or
// through a knowledge-base synonym of it) or only a knowledge-base entity.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_QUERY_MENTIONS_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_QUERY_MENTIONS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/knowledge/knowledge_base.h"
#include "internal/query_text.h"

namespace haystack::agent_internal {

struct Mention {
  VocabularyKind kind = VocabularyKind::kCellType;
  size_t first = 0;  // token range [first, last)
  size_t last = 0;
  std::string text;           // as written
  std::vector<size_t> atlas;  // the atlas entries it names (empty: the knowledge base only)
  std::optional<EntityMatch> knowledge;  // the knowledge base's entity, when it knows one
  double score = 0;                      // 1 name or synonym, 0.9 "+" read as "positive"
};

// The query, tokenised, with what the analysis needs to look words up.
struct QueryContext {
  std::string_view raw;
  std::vector<Token> tokens;
  const AtlasVocabulary& vocabulary;
  const KnowledgeBase& knowledge;

  std::string_view Span(size_t first, size_t last) const;
};

// All non-overlapping mentions, in query order. Longer spans win; then atlas values over
// knowledge-base-only entities, better scores, the kind order perturbation > cell type >
// tissue > disease > condition, and earlier spans.
absl::StatusOr<std::vector<Mention>> FindMentions(const QueryContext& query);

// The mentions of one kind, in query order.
std::vector<const Mention*> MentionsOf(const std::vector<Mention>& mentions, VocabularyKind kind);

// Which tokens lie inside a mention.
std::vector<bool> MentionMask(size_t n_tokens, const std::vector<Mention>& mentions);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_QUERY_MENTIONS_H_
