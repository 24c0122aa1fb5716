// Removes credentials from text before it is logged, stored or emailed.
#ifndef HAYSTACK_CORE_REDACT_H_
#define HAYSTACK_CORE_REDACT_H_

#include <string>
#include <string_view>

namespace haystack {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces the password of URLs ("postgresql://u:secret@h" → "postgresql://u:[REDACTED]@h"),
// bearer tokens, "password=…"/"key=…"-style parameters and SendGrid/OpenAI/Anthropic style API
// keys (SG.…, sk-…) with [REDACTED].
std::string RedactSecrets(std::string_view text);

}  // namespace haystack

#endif  // HAYSTACK_CORE_REDACT_H_
