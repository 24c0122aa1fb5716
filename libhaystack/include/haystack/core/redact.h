// Removes credentials from text before it is logged, stored or emailed: the one mechanism every
// module uses for provider error text (SendGrid, LLM, GCS), log lines and recorded errors.
#ifndef HAYSTACK_CORE_REDACT_H_
#define HAYSTACK_CORE_REDACT_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace haystack {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Known secrets shorter than this are not searched for: they would match ordinary words, and a
// key that short protects nothing anyway.
inline constexpr size_t kMinKnownSecretBytes = 6;

// Replaces with [REDACTED]:
//   - the password of URLs ("postgresql://u:secret@h" → "postgresql://u:[REDACTED]@h"), and a
//     user part long enough to be a token ("https://<token>@host");
//   - bearer tokens ("Bearer abc…"), and the whole value of Authorization headers;
//   - values after secret-looking names, in key=value, header and JSON form ("password=…",
//     "api_key: …", "\"token\": \"…\"", "X-Goog-Signature=…");
//   - provider keys and tokens by their shape: SendGrid (SG.x.y), OpenAI and Anthropic (sk-…),
//     Google API keys (AIza…) and OAuth access tokens (ya29.…), JSON web tokens (eyJ….eyJ….…),
//     AWS access key ids (AKIA…), GitHub tokens (ghp_…), and PEM private key blocks.
// Linear in the length of `text` (no backtracking regular expression), so provider bodies of
// megabytes are safe to pass through.
std::string RedactSecrets(std::string_view text);

// The same, and every occurrence of each of `known_secrets` (the caller's own API keys, which
// a provider may echo in a form no pattern recognises). Secrets shorter than
// kMinKnownSecretBytes are ignored.
std::string RedactSecrets(std::string_view text,
                          std::initializer_list<std::string_view> known_secrets);

// Only the second half: every occurrence of each of `known_secrets`, for text whose other
// contents must stay exactly as they are (a language model's answer).
std::string RedactKnownSecrets(std::string_view text,
                               std::initializer_list<std::string_view> known_secrets);

}  // namespace haystack

#endif  // HAYSTACK_CORE_REDACT_H_
