#include "haystack/core/ids.h"

#include <unistd.h>

#include <array>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

bool IsRunIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool IsValidRunId(std::string_view run_id) { return ValidateRunId(run_id).ok(); }

absl::Status ValidateRunId(std::string_view run_id, std::string_view what) {
  if (run_id.empty()) return ConfigurationError(fmt::format("{} is empty", what));
  if (run_id.size() > kMaxRunIdLength) {
    return ConfigurationError(fmt::format("{} is {} bytes long; run ids have at most {}", what,
                                          run_id.size(), kMaxRunIdLength));
  }
  for (size_t i = 0; i < run_id.size(); ++i) {
    const char c = run_id[i];
    const bool first_ok = i > 0 || (c != '.' && c != '_' && c != '-');
    if (!IsRunIdCharacter(c) || !first_ok) {
      return ConfigurationError(fmt::format(
          "{} '{}' has {} at byte {}: run ids are letters, digits, '.', '_' and '-', starting "
          "with a letter or digit",
          what, QuoteForMessage(run_id, 80),
          IsRunIdCharacter(c) ? fmt::format("a leading '{}'", c)
                              : fmt::format("the byte 0x{:02x}", static_cast<unsigned char>(c)),
          i));
    }
  }
  return absl::OkStatus();
}

std::string NewRunId(absl::Time now) {
  const std::string date = absl::FormatTime("%Y%m%d", now, absl::UTCTimeZone());
  return fmt::format("hay_{}_{:012x}", date, EntropyBits() & 0xFFFFFFFFFFFFull);
}

std::string NewWorkerId() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}:{:08x}", host.data(), getpid(), EntropyBits() & 0xFFFFFFFFu);
}

std::string NewRequestId() {
  return fmt::format("req_{:016x}{:016x}", EntropyBits(), EntropyBits());
}

std::string BatchSafeId(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (std::string_view part : parts) {
    if (!joined.empty()) joined.push_back('-');
    joined.append(part);
  }
  std::string id;
  for (char c : joined) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      id.push_back(c);
    } else if (!id.empty() && id.back() != '-') {
      id.push_back('-');
    }
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  if (id.empty()) {
    id = "h";
  } else if (id.front() < 'a' || id.front() > 'z') {
    id.insert(0, "h-");
  }
  constexpr size_t kMaxLength = 63;
  if (id.size() > kMaxLength) {
    // Keep the id unique: a prefix plus a hash of the whole.
    const std::string suffix = fmt::format("-{:010x}", StableHash(joined) & 0xFFFFFFFFFFull);
    id.resize(kMaxLength - suffix.size());
    while (!id.empty() && id.back() == '-') id.pop_back();
    id += suffix;
  }
  return id;
}

}  // namespace haystack
