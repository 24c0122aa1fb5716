#include "internal/query_text.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace haystack::agent_internal {
namespace {

constexpr std::string_view kLeadingJunk = "\"'([{`<";
constexpr std::string_view kTrailingJunk = "\"')]}`>,;:?!.";
constexpr std::string_view kClauseEnd = ",;:?!.";

}  // namespace

bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) break;
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    size_t b = i;
    size_t e = end;
    while (b < e && kLeadingJunk.find(text[b]) != std::string_view::npos) ++b;
    bool clause = end == text.size();
    while (e > b && kTrailingJunk.find(text[e - 1]) != std::string_view::npos) {
      const char c = text[e - 1];
      const char open = c == ')' ? '(' : c == ']' ? '[' : c == '}' ? '{' : '\0';
      if (open != '\0' && text.substr(b, e - 1 - b).find(open) != std::string_view::npos) break;
      if (kClauseEnd.find(c) != std::string_view::npos) clause = true;
      --e;
    }
    if (e > b) {
      Token token;
      token.text = text.substr(b, e - b);
      token.begin = b;
      token.end = e;
      token.ends_clause = clause;
      token.lower.reserve(token.text.size());
      for (char c : token.text) {
        token.lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      tokens.push_back(std::move(token));
    } else if (clause && !tokens.empty()) {
      tokens.back().ends_clause = true;  // a lone "?" or "," closes the previous word's clause
    }
    i = end;
  }
  return tokens;
}

bool IsFunctionWord(std::string_view w) {
  return IsOneOf(
      w, {"a",     "an",   "the",   "of",     "to",   "in",     "on",     "at",   "by",
          "for",   "from", "with",  "and",    "or",   "plus",   "how",    "what", "which",
          "would", "will", "could", "should", "do",   "does",   "did",    "be",   "is",
          "are",   "was",  "were",  "if",     "when", "after",  "under",  "upon", "into",
          "their", "its",  "these", "those",  "this", "that",   "there",  "we",   "i",
          "me",    "my",   "our",   "can",    "you",  "please", "versus", "vs",   "between"});
}

bool IsStopWord(std::string_view w) {
  return IsFunctionWord(w) ||
         IsOneOf(w, {"look",    "looks",      "like",     "predict",  "model",
                     "show",    "expression", "control",  "controls", "untreated",
                     "vehicle", "respond",    "response", "responds", "react",
                     "change",  "changes",    "profile",  "profiles", "state"});
}

bool IsPerturbationCue(std::string_view w) {
  return IsOneOf(
      w, {"respond",     "responds",  "responding",  "response",   "responses", "react",
          "reacts",      "treated",   "treatment",   "treat",      "treating",  "stimulated",
          "stimulation", "stimulate", "exposed",     "exposure",   "perturbed", "perturbation",
          "knockout",    "knock-out", "knockdown",   "knock-down", "ko",        "deletion",
          "deficient",   "induced",   "inhibited",   "inhibition", "inhibitor", "dosed",
          "challenged",  "challenge", "administered"});
}

int BoundedEditDistance(std::string_view a, std::string_view b, int cap) {
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  if (std::abs(n - m) > cap) return cap + 1;
  // Three rolling rows: optimal string alignment needs the row before the previous one.
  std::vector<int> before(m + 1), prev(m + 1), cur(m + 1);
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > cap) return cap + 1;
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], cap + 1);
}

bool HasDigit(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace haystack::agent_internal
