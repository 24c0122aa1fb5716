#include "internal/query_mentions.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_replace.h"
#include "haystack/core/error.h"

namespace haystack::agent_internal {
namespace {

constexpr size_t kMaxSpanTokens = 6;

// Kinds in the order that breaks ties between equally long, equally good mentions.
constexpr VocabularyKind kKindOrder[] = {VocabularyKind::kPerturbation, VocabularyKind::kCellType,
                                         VocabularyKind::kTissue, VocabularyKind::kDisease,
                                         VocabularyKind::kCondition};

int KindRank(VocabularyKind kind) {
  return static_cast<int>(std::find(std::begin(kKindOrder), std::end(kKindOrder), kind) -
                          std::begin(kKindOrder));
}

std::optional<EntityKind> KnowledgeKind(VocabularyKind kind) {
  switch (kind) {
    case VocabularyKind::kCellType:
      return EntityKind::kCellType;
    case VocabularyKind::kPerturbation:
      return EntityKind::kPerturbation;
    case VocabularyKind::kTissue:
      return EntityKind::kTissue;
    case VocabularyKind::kDisease:
      return EntityKind::kDisease;
    default:
      return std::nullopt;
  }
}

// "cells" alone would resolve to the Cell Ontology root; it names nothing in a question.
bool IsGenericSpan(const std::vector<Token>& tokens, size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) {
    const std::string& w = tokens[i].lower;
    if (!IsStopWord(w) && w != "cell" && w != "cells" && w != "type" && w != "types") return false;
  }
  return true;
}

// The mentions one span makes: atlas values named by it (or by the knowledge base's entity it
// names), else the knowledge base's entity alone.
absl::Status MentionsOfSpan(const QueryContext& q, size_t first, size_t last,
                            std::vector<Mention>& out) {
  const std::string text(q.Span(first, last));
  const std::string normalized = NormalizeEntityText(text);
  const std::string positive =
      NormalizeEntityText(absl::StrReplaceAll(normalized, {{"+", " positive "}}));
  const bool function_ends =
      IsFunctionWord(q.tokens[first].lower) || IsFunctionWord(q.tokens[last - 1].lower);
  const bool stop_ends = IsStopWord(q.tokens[first].lower) || IsStopWord(q.tokens[last - 1].lower);
  for (VocabularyKind kind : kKindOrder) {
    Mention m{kind, first, last, text, {}, std::nullopt, 1.0};
    if (!function_ends) {
      m.atlas = q.vocabulary.Named(kind, normalized);
      if (m.atlas.empty() && positive != normalized) {
        m.atlas = q.vocabulary.Named(kind, positive);
        m.score = 0.9;
      }
    }
    const std::optional<EntityKind> entity = KnowledgeKind(kind);
    if (entity && !stop_ends && !IsGenericSpan(q.tokens, first, last)) {
      HAYSTACK_ASSIGN_OR_RETURN(std::vector<EntityMatch> matches,
                                q.knowledge.Resolve(*entity, text, 1));
      if (!matches.empty() && matches.front().IsDictionaryMatch()) {
        m.knowledge = matches.front();
        if (m.atlas.empty()) {
          m.atlas = q.vocabulary.Named(kind, NormalizeEntityText(matches.front().id));
          m.score = matches.front().score;
        }
      }
    }
    if (!m.atlas.empty() || m.knowledge) out.push_back(std::move(m));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view QueryContext::Span(size_t first, size_t last) const {
  return raw.substr(tokens[first].begin, tokens[last - 1].end - tokens[first].begin);
}

absl::StatusOr<std::vector<Mention>> FindMentions(const QueryContext& q) {
  std::vector<Mention> candidates;
  const std::vector<Token>& tokens = q.tokens;
  for (size_t first = 0; first < tokens.size(); ++first) {
    if (IsFunctionWord(tokens[first].lower)) continue;
    const size_t end = std::min(tokens.size(), first + kMaxSpanTokens);
    for (size_t last = first + 1; last <= end; ++last) {
      if (last - 1 > first && tokens[last - 2].ends_clause) break;  // mentions stop at a comma
      HAYSTACK_RETURN_IF_ERROR(MentionsOfSpan(q, first, last, candidates));
    }
  }
  auto key = [](const Mention& m) {
    return std::make_tuple(-static_cast<int64_t>(m.last - m.first), m.atlas.empty() ? 1 : 0,
                           -m.score, KindRank(m.kind), m.first);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Mention& a, const Mention& b) { return key(a) < key(b); });
  std::vector<bool> used(tokens.size(), false);
  std::vector<Mention> chosen;
  for (Mention& candidate : candidates) {
    const auto b = used.begin() + static_cast<std::ptrdiff_t>(candidate.first);
    const auto e = used.begin() + static_cast<std::ptrdiff_t>(candidate.last);
    if (std::any_of(b, e, [](bool u) { return u; })) continue;
    std::fill(b, e, true);
    chosen.push_back(std::move(candidate));
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const Mention& a, const Mention& b) { return a.first < b.first; });
  return chosen;
}

std::vector<const Mention*> MentionsOf(const std::vector<Mention>& mentions, VocabularyKind kind) {
  std::vector<const Mention*> out;
  for (const Mention& m : mentions) {
    if (m.kind == kind) out.push_back(&m);
  }
  return out;
}

std::vector<bool> MentionMask(size_t n_tokens, const std::vector<Mention>& mentions) {
  std::vector<bool> used(n_tokens, false);
  for (const Mention& m : mentions) {
    for (size_t i = m.first; i < m.last; ++i) used[i] = true;
  }
  return used;
}

}  // namespace haystack::agent_internal
