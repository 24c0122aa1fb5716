#include "haystack/core/text.h"

#include "catch2/catch.hpp"
#include "haystack/core/error.h"

namespace haystack {
namespace {

TEST_CASE("UTF-8 validation accepts real text and rejects malformed bytes") {
  CHECK(IsValidUtf8("IFN-γ stimulates monocytes 🧬 مرحبا"));
  CHECK_FALSE(IsValidUtf8("\xff"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST_CASE("truncation never splits a code point") {
  const std::string text = "aγb";  // γ is 2 bytes
  CHECK(TruncateUtf8(text, 2) == "a");
  CHECK(TruncateUtf8(text, 3) == "aγ");
  CHECK(TruncateUtf8(text, 10) == text);
}

TEST_CASE("quoting for messages escapes control bytes and shortens") {
  CHECK(QuoteForMessage("a\nb\x01") == "a\\x0ab\\x01");
  CHECK(QuoteForMessage("abcdef", 3) == "abc…");
  CHECK(QuoteForMessage("\xff") == "\\xff");
}

TEST_CASE("text validation names the problem and its offset") {
  CHECK(ValidateText("query", "How do T cells respond?", {}).ok());
  auto nul = ValidateText("query", std::string("ab\0cd", 5), {});
  CHECK(std::string(nul.message()) == "query contains a control character (0x00) at offset 2");
  CHECK(GetErrorKind(nul) == ErrorKind::kQueryParsing);
  auto bad = ValidateText("query", "ok\xff", {});
  CHECK(std::string(bad.message()) == "query is not valid UTF-8 (bad byte 0xff at offset 2)");
  auto big = ValidateText("query", std::string(1 << 20, 'a'), {.max_bytes = 8192});
  CHECK(std::string(big.message()) == "query is 1048576 bytes long; the limit is 8192 bytes");
  CHECK_FALSE(ValidateText("subject", "a\r\nBcc: x", {.allow_newlines = false}).ok());
  CHECK(ValidateText("query", "line one\nline two\ttab", {}).ok());
}

TEST_CASE("control characters can be stripped for headers") {
  CHECK(StripControlCharacters("Run\r\nBcc: evil@example.com") == "RunBcc: evil@example.com");
}

}  // namespace
}  // namespace haystack
