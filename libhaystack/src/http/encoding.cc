#include "haystack/http/encoding.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace haystack {

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#x27;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

// No whitespace, control characters, quotes, angle brackets or backslashes: nothing that could
// end an attribute or confuse a mail client's link detection.
bool HasOnlyUrlCharacters(std::string_view url) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsSafeHttpUrl(std::string_view url) {
  const absl::string_view view(url.data(), url.size());
  if (!absl::StartsWithIgnoreCase(view, "https://") &&
      !absl::StartsWithIgnoreCase(view, "http://")) {
    return false;
  }
  return HasOnlyUrlCharacters(url);
}

bool IsSafeFileUrl(std::string_view url) {
  const absl::string_view view(url.data(), url.size());
  return absl::StartsWith(view, "file:///") && HasOnlyUrlCharacters(url);
}

std::string UrlEncodePath(std::string_view path) {
  std::string out;
  for (size_t start = 0;;) {
    const size_t slash = path.find('/', start);
    out += UrlEncode(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

std::string FileUrl(std::string_view absolute_path) {
  return "file://" + UrlEncodePath(absolute_path);
}

}  // namespace haystack
