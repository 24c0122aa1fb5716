#include "haystack/core/redact.h"

#include <regex>

namespace haystack {

std::string RedactSecrets(std::string_view text) {
  // Compiled once; std::regex is slow to build but these run only on log and error text.
  static const std::regex kUrlPassword(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@)");
  static const std::regex kBearer(R"((\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]+)");
  static const std::regex kKeyValue(
      R"(((?:password|passwd|pwd|api[_-]?key|apikey|secret|token|access_token|key)\s*[=:]\s*"?)[^\s&"',;]+)",
      std::regex::icase);
  static const std::regex kProviderKeys(
      R"(\b(SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|sk-[A-Za-z0-9_-]{16,}))");
  std::string out(text);
  out = std::regex_replace(out, kUrlPassword, "$1[REDACTED]@");
  out = std::regex_replace(out, kBearer, "$1[REDACTED]");
  out = std::regex_replace(out, kKeyValue, "$1[REDACTED]");
  out = std::regex_replace(out, kProviderKeys, "[REDACTED]");
  return out;
}

}  // namespace haystack
