// Text hygiene for strings that come from users, files and databases.
#ifndef HAYSTACK_CORE_TEXT_H_
#define HAYSTACK_CORE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "haystack/core/error.h"

namespace haystack {

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD,
// so that it can go into JSON, a log line or a header (paths and database values can hold any
// bytes). Valid text is returned unchanged.
std::string SanitizeUtf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a code point boundary.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// Renders untrusted text for an error or log message: control characters and invalid bytes
// are shown as \xNN escapes and the result is cut to about `max_chars` with "…".
std::string QuoteForMessage(std::string_view text, size_t max_chars = 80);

struct TextLimits {
  size_t max_bytes = 0;        // 0 = unlimited
  bool allow_newlines = true;  // \n, \r and \t are the only control characters ever allowed
  ErrorKind kind = ErrorKind::kQueryParsing;  // the kind of the error ValidateText returns
};

// Checks user-facing text: valid UTF-8, no NUL or other control characters, within limits.
// The error names `what` and the byte offset of the first problem.
absl::Status ValidateText(std::string_view what, std::string_view text, const TextLimits& limits);

// Removes CR and LF (and other control characters), e.g. for an email header value.
std::string StripControlCharacters(std::string_view text);

}  // namespace haystack

#endif  // HAYSTACK_CORE_TEXT_H_
