#include "haystack/storage/artifact_uri.h"

#include <string>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

absl::Status UriError(std::string_view uri, std::string_view why) {
  return InvalidInputError(ErrorKind::kStorage,
                           fmt::format("artifact URI {}: {}", QuoteForMessage(uri), why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::filesystem::path> LocalArtifactPath(std::string_view uri) {
  if (uri.empty()) return UriError(uri, "is empty");
  for (char c : uri) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return UriError(uri, "contains a control character");
    }
  }
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::filesystem::path(std::string(uri));
  const std::string_view scheme = uri.substr(0, scheme_end);
  if (scheme != "file") {
    if (scheme == "gs") {
      return UriError(uri,
                      "gs:// artifacts need GCS access (GcsArtifactAccess), which this backend "
                      "was not given; use a local path or a file:// URI");
    }
    return UriError(uri, "unsupported scheme (expected a local path or file://)");
  }
  std::string_view rest = uri.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return UriError(uri, "has no path");
  const std::string_view host = rest.substr(0, slash);
  if (!host.empty() && host != "localhost") {
    return UriError(uri, "names a remote host; only local file:// URIs are supported");
  }
  const std::string_view encoded = rest.substr(slash);
  std::string path;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      path.push_back(encoded[i]);
      continue;
    }
    const int hi = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
    const int lo = i + 2 < encoded.size() ? HexValue(encoded[i + 2]) : -1;
    if (hi < 0 || lo < 0) return UriError(uri, "has an invalid percent-escape");
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0') return UriError(uri, "encodes a NUL byte");
    path.push_back(decoded);
    i += 2;
  }
  return std::filesystem::path(path);
}

}  // namespace haystack
