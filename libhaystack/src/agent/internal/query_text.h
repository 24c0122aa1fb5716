// Word-level helpers for the rule-based query analyzer: tokens with byte offsets, stop words,
// cue words and a bounded edit distance.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_QUERY_TEXT_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_QUERY_TEXT_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace haystack::agent_internal {

struct Token {
  std::string_view text;  // as written, without surrounding quotes, brackets and punctuation
  std::string lower;      // ASCII-lowercased text
  size_t begin = 0;       // byte offsets of `text` in the query
  size_t end = 0;
  bool ends_clause = false;  // followed by , ; : ? ! . or the end of the query
};

// Splits on white space; strips opening quotes/brackets and closing punctuation from each word
// but keeps inner characters ("CD14+", "IFN-γ", "Crohn's").
std::vector<Token> Tokenize(std::string_view text);

// Articles, prepositions, auxiliaries and question words: never the first or last word of a
// mention of an atlas value ("medium change" may end in "change"; "of the" may not).
bool IsFunctionWord(std::string_view lower);

// Function words that never start or end an entity mention ("the", "of", "to", "how", ...).
bool IsStopWord(std::string_view lower);

// Words that mark a perturbation: "respond", "treated", "stimulation", "knockout", ...
bool IsPerturbationCue(std::string_view lower);

// True if `word` is one of `words`.
bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> words);

// Optimal-string-alignment distance between a and b, or cap + 1 once it exceeds `cap`.
int BoundedEditDistance(std::string_view a, std::string_view b, int cap);

// True if the text has at least one ASCII digit.
bool HasDigit(std::string_view text);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_QUERY_TEXT_H_
