#include "internal/query_text.h"

#include "catch2/catch.hpp"

namespace haystack::agent_internal {
namespace {

TEST_CASE("tokens keep inner punctuation and record offsets and clause ends") {
  const std::string text = "How would \"CD14+ monocytes\" respond to IFN-γ, today?";
  auto tokens = Tokenize(text);
  REQUIRE(tokens.size() == 8);
  CHECK(tokens[2].text == "CD14+");
  CHECK(tokens[2].lower == "cd14+");
  CHECK(text.substr(tokens[2].begin, tokens[3].end - tokens[2].begin) == "CD14+ monocytes");
  CHECK(tokens[6].text == "IFN-γ");
  CHECK(tokens[6].ends_clause);
  CHECK_FALSE(tokens[5].ends_clause);
  CHECK(tokens[7].text == "today");
  CHECK(tokens[7].ends_clause);
}

TEST_CASE("bounded edit distance counts transpositions as one edit and stops at the cap") {
  CHECK(BoundedEditDistance("dexamethasone", "dexamethazone", 2) == 1);
  CHECK(BoundedEditDistance("gamma", "gamam", 2) == 1);
  CHECK(BoundedEditDistance("il4", "il6", 2) == 1);
  CHECK(BoundedEditDistance("abc", "abc", 0) == 0);
  CHECK(BoundedEditDistance("monocyte", "fibroblast", 2) == 3);
  CHECK(BoundedEditDistance("", "abc", 5) == 3);
}

}  // namespace
}  // namespace haystack::agent_internal
