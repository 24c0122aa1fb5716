// RFC 5322 / RFC 2045 messages: what OutboxNotifier writes as .eml files.
#ifndef HAYSTACK_NOTIFY_MIME_MESSAGE_H_
#define HAYSTACK_NOTIFY_MIME_MESSAGE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace haystack {

struct EmailAddress {
  std::string email;
  std::string name;  // optional display name, any UTF-8
};

struct MimeMessage {
  EmailAddress from;
  EmailAddress to;
  std::optional<EmailAddress> reply_to;
  std::string subject;  // any UTF-8; control characters are removed
  std::string text;     // text/plain part
  std::string html;     // text/html part
  absl::Time date;
  std::string message_id;  // without angle brackets, e.g. "run.kind@haystack"
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. X-Haystack-Run-Id
};

// A multipart/alternative message (text/plain first, then text/html, both UTF-8 in base64)
// with CRLF line endings and no line over 78 characters. Header values have CR, LF and other
// control characters removed; non-ASCII header text is RFC 2047 encoded-words, folded.
std::string BuildMimeMessage(const MimeMessage& message);

// "=?UTF-8?B?…?=" words of 60 characters at most, split at code point boundaries and joined
// by CRLF + space (folding); short printable ASCII text is returned as is.
std::string EncodeHeaderText(std::string_view text);

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_MIME_MESSAGE_H_
