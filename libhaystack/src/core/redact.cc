// A hand-written scanner rather than std::regex: libstdc++'s regex engine recurses once per
// character of a match, so a provider body of a few hundred kilobytes would overflow the stack,
// and its backtracking makes hostile text quadratic. Every rule below looks at each byte a
// bounded number of times.
#include "haystack/core/redact.h"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace haystack {
namespace {

using Range = std::pair<size_t, size_t>;  // [begin, end) of text to replace

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsBase64UrlChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
bool IsBearerChar(char c) {
  return IsAlnum(c) || std::string_view("._~+/=-").find(c) != std::string_view::npos;
}
bool IsNameChar(char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}
// What ends an unquoted secret value: whitespace, a URL parameter separator, quotes, list
// punctuation.
bool EndsValue(char c) {
  return absl::ascii_isspace(static_cast<unsigned char>(c)) ||
         std::string_view("&\"',;").find(c) != std::string_view::npos;
}

// Names whose value is a secret when they end a key ("DB_PASSWORD=", "x-api-key: ",
// "\"access_token\": "), after a '_', '-' or '.' or as the whole key.
constexpr std::array<std::string_view, 11> kSecretNames = {
    "password", "passwd",    "pwd",           "secret",      "token",      "key",
    "apikey",   "signature", "authorization", "credentials", "private_key"};

bool IsSecretName(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (std::string_view secret : kSecretNames) {
    if (!std::string_view(lower).ends_with(secret)) continue;
    const size_t before = lower.size() - secret.size();
    if (before == 0 || lower[before - 1] == '_' || lower[before - 1] == '-' ||
        lower[before - 1] == '.') {
      return true;
    }
  }
  return false;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void PrivateKeyBlocks() {
    for (size_t at = text_.find("-----BEGIN"); at != std::string_view::npos;
         at = text_.find("-----BEGIN", at + 1)) {
      const size_t header_end = text_.find("-----", at + 10);
      if (header_end == std::string_view::npos) return;
      if (text_.substr(at, header_end - at).find("PRIVATE KEY") == std::string_view::npos) {
        continue;
      }
      const size_t end_marker = text_.find("-----END", header_end);
      if (end_marker == std::string_view::npos) {
        Add(at, text_.size());  // a cut-off key is still a key
        return;
      }
      const size_t end_close = text_.find("-----", end_marker + 8);
      const size_t end = end_close == std::string_view::npos ? text_.size() : end_close + 5;
      Add(at, end);
      at = end - 1;
    }
  }

  // scheme://user:password@host and scheme://<token>@host.
  void UrlCredentials() {
    for (size_t at = text_.find("://"); at != std::string_view::npos;
         at = text_.find("://", at + 3)) {
      const size_t start = at + 3;
      size_t j = start;
      while (j < text_.size() && !absl::ascii_isspace(static_cast<unsigned char>(text_[j])) &&
             std::string_view("/?#@\"'<>").find(text_[j]) == std::string_view::npos) {
        ++j;
      }
      if (j >= text_.size() || text_[j] != '@' || j == start) continue;
      const std::string_view userinfo = text_.substr(start, j - start);
      const size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        if (colon + 1 < userinfo.size()) Add(start + colon + 1, j);
      } else if (userinfo.size() >= 16) {
        Add(start, j);
      }
    }
  }

  // "Bearer <token>", case-insensitive, at a word start.
  void BearerTokens() {
    constexpr std::string_view kBearer = "bearer";
    for (size_t i = 0; i + kBearer.size() < text_.size(); ++i) {
      if (!AtWordStart(i) || !EqualsIgnoreCase(text_.substr(i, kBearer.size()), kBearer)) {
        continue;
      }
      size_t j = i + kBearer.size();
      if (!IsSpace(text_[j])) continue;
      while (j < text_.size() && IsSpace(text_[j])) ++j;
      size_t end = j;
      while (end < text_.size() && IsBearerChar(text_[end])) ++end;
      if (end > j) Add(j, end);
      i = end;
    }
  }

  // name=value, name: value, "name": "value" for secret-looking names.
  void SecretValues() {
    for (size_t sep = 0; sep < text_.size(); ++sep) {
      if (text_[sep] != '=' && text_[sep] != ':') continue;
      if (text_[sep] == ':' && sep + 2 < text_.size() && text_.substr(sep, 3) == "://") continue;
      size_t k = sep;
      while (k > 0 && IsSpace(text_[k - 1])) --k;
      if (k > 0 && (text_[k - 1] == '"' || text_[k - 1] == '\'')) --k;
      size_t b = k;
      while (b > 0 && k - b < 64 && IsNameChar(text_[b - 1])) --b;
      if (b == k || !IsSecretName(text_.substr(b, k - b))) continue;
      const std::string_view name = text_.substr(b, k - b);
      const bool whole_line =
          name.size() >= 13 && EqualsIgnoreCase(name.substr(name.size() - 13), "authorization");
      sep = Value(sep + 1, whole_line);
    }
  }

  // Tokens recognisable by their shape alone.
  void ProviderKeys() {
    for (size_t i = 0; i < text_.size(); ++i) {
      if (!AtTokenStart(i)) continue;
      const size_t end = ProviderKeyEnd(i);
      if (end != std::string_view::npos) {
        Add(i, end);
        i = end - 1;
      }
    }
  }

  void KnownSecret(std::string_view secret) {
    if (secret.size() < kMinKnownSecretBytes) return;
    const std::boyer_moore_searcher searcher(secret.begin(), secret.end());
    for (auto it = text_.begin();;) {
      it = std::search(it, text_.end(), searcher);
      if (it == text_.end()) return;
      const size_t at = static_cast<size_t>(it - text_.begin());
      Add(at, at + secret.size());
      it += static_cast<std::ptrdiff_t>(secret.size());
    }
  }

  std::string Result() {
    std::sort(ranges_.begin(), ranges_.end());
    std::string out;
    out.reserve(text_.size());
    size_t pos = 0;
    for (size_t r = 0; r < ranges_.size();) {
      size_t begin = ranges_[r].first;
      size_t end = ranges_[r].second;
      for (++r; r < ranges_.size() && ranges_[r].first <= end; ++r) {
        end = std::max(end, ranges_[r].second);
      }
      begin = std::max(begin, pos);
      if (begin >= end) continue;
      out.append(text_.substr(pos, begin - pos)).append(kRedacted);
      pos = end;
    }
    out.append(text_.substr(pos));
    return out;
  }

 private:
  void Add(size_t begin, size_t end) {
    if (end > begin) ranges_.emplace_back(begin, end);
  }
  bool AtWordStart(size_t i) const { return i == 0 || !IsWordChar(text_[i - 1]); }
  bool AtTokenStart(size_t i) const {
    return i == 0 || !(IsBase64UrlChar(text_[i - 1]) || text_[i - 1] == '.');
  }
  size_t Span(size_t from, const std::function<bool(char)>& ok) const {
    size_t j = from;
    while (j < text_.size() && ok(text_[j])) ++j;
    return j - from;
  }

  // Marks the value that starts at `from` (after the separator); returns where it ends.
  size_t Value(size_t from, bool whole_line) {
    size_t j = from;
    while (j < text_.size() && IsSpace(text_[j])) ++j;
    if (j < text_.size() && (text_[j] == '"' || text_[j] == '\'')) {
      const char quote = text_[j];
      size_t end = ++j;
      while (end < text_.size() && text_[end] != quote && text_[end] != '\n') {
        end += text_[end] == '\\' && end + 1 < text_.size() ? 2 : 1;
      }
      end = std::min(end, text_.size());
      Add(j, end);
      return end;
    }
    if (whole_line) {
      // "Authorization: Bearer x" keeps the scheme, so that the log still says which one.
      const size_t scheme = Span(j, IsAlnum);
      if (scheme > 0 && j + scheme < text_.size() && IsSpace(text_[j + scheme])) {
        j += scheme;
        while (j < text_.size() && IsSpace(text_[j])) ++j;
      }
      size_t end = j;
      while (end < text_.size() && text_[end] != '\n' && text_[end] != '\r' && text_[end] != '"') {
        ++end;
      }
      Add(j, end);
      return end;
    }
    size_t end = j;
    while (end < text_.size() && !EndsValue(text_[end])) ++end;
    Add(j, end);
    return end;
  }

  size_t ProviderKeyEnd(size_t i) const {
    const std::string_view rest = text_.substr(i);
    const auto base64url = [&](size_t from) { return Span(i + from, IsBase64UrlChar); };
    if (rest.starts_with("SG.")) {  // SendGrid: SG.<id>.<secret>
      const size_t id = base64url(3);
      if (id >= 8 && i + 3 + id < text_.size() && text_[i + 3 + id] == '.') {
        const size_t secret = base64url(4 + id);
        if (secret >= 8) return i + 4 + id + secret;
      }
    } else if (rest.starts_with("sk-")) {  // OpenAI, Anthropic (sk-ant-…, sk-proj-…)
      const size_t n = base64url(3);
      if (n >= 16) return i + 3 + n;
    } else if (rest.starts_with("AIza")) {  // Google API key
      const size_t n = base64url(4);
      if (n >= 30) return i + 4 + n;
    } else if (rest.starts_with("ya29.")) {  // Google OAuth access token
      const size_t n = Span(i + 5, [](char c) { return IsBase64UrlChar(c) || c == '.'; });
      if (n >= 10) return i + 5 + n;
    } else if (rest.starts_with("eyJ")) {  // a JSON web token: header.claims.signature
      const size_t header = base64url(0);
      if (i + header < text_.size() && text_[i + header] == '.' &&
          text_.substr(i + header + 1).starts_with("eyJ")) {
        const size_t claims = base64url(header + 1);
        size_t end = i + header + 1 + claims;
        if (end < text_.size() && text_[end] == '.') end += 1 + base64url(end + 1 - i);
        return end;
      }
    } else if (rest.starts_with("AKIA")) {  // AWS access key id
      const size_t n = Span(i + 4, [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
      if (n == 16) return i + 20;
    } else if (rest.size() > 4 && rest[0] == 'g' && rest[1] == 'h' &&
               std::string_view("pousr").find(rest[2]) != std::string_view::npos &&
               rest[3] == '_') {  // GitHub tokens
      const size_t n = Span(i + 4, IsAlnum);
      if (n >= 30) return i + 4 + n;
    }
    return std::string_view::npos;
  }

  std::string_view text_;
  std::vector<Range> ranges_;
};

}  // namespace

std::string RedactKnownSecrets(std::string_view text,
                               std::initializer_list<std::string_view> known_secrets) {
  Scanner scanner(text);
  for (std::string_view secret : known_secrets) scanner.KnownSecret(secret);
  return scanner.Result();
}

std::string RedactSecrets(std::string_view text) { return RedactSecrets(text, {}); }

std::string RedactSecrets(std::string_view text,
                          std::initializer_list<std::string_view> known_secrets) {
  Scanner scanner(text);
  for (std::string_view secret : known_secrets) scanner.KnownSecret(secret);
  scanner.PrivateKeyBlocks();
  scanner.UrlCredentials();
  scanner.BearerTokens();
  scanner.SecretValues();
  scanner.ProviderKeys();
  return scanner.Result();
}

}  // namespace haystack
