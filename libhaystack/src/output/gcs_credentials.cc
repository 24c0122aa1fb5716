#include "internal/gcs_credentials.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"

namespace haystack::output_internal {

std::optional<std::string> EmulatorEndpoint(const Environment& env) {
  std::optional<std::string> emulator = env.Get("STORAGE_EMULATOR_HOST");
  if (!emulator || emulator->empty()) emulator = env.Get("CLOUD_STORAGE_EMULATOR_ENDPOINT");
  if (!emulator || emulator->empty()) return std::nullopt;
  std::string endpoint = absl::StrContains(*emulator, "://") ? *emulator : "http://" + *emulator;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

absl::StatusOr<std::optional<CredentialsFile>> ReadCredentialsFile(const Environment& env) {
  auto path = env.Get("GOOGLE_APPLICATION_CREDENTIALS");
  if (!path || path->empty()) return std::nullopt;
  std::ifstream in(*path);
  if (!in) {
    return ConfigurationError(
        absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS names ", *path, ", which cannot be read"));
  }
  std::ostringstream json;
  json << in.rdbuf();
  return CredentialsFile{*path, json.str()};
}

std::string MetadataServerUrl(const Environment& env) {
  if (auto host = env.Get("GCE_METADATA_HOST"); host && !host->empty()) {
    return "http://" + *host;
  }
  return "http://metadata.google.internal";
}

}  // namespace haystack::output_internal
