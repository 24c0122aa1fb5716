// Where Cloud Storage credentials come from, as Google's client libraries look for them: shared
// by OpenArtifactStore (tokens for reads and writes) and OpenUrlSigner (signed links).
#ifndef HAYSTACK_OUTPUT_INTERNAL_GCS_CREDENTIALS_H_
#define HAYSTACK_OUTPUT_INTERNAL_GCS_CREDENTIALS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "haystack/core/environment.h"

namespace haystack::output_internal {

// STORAGE_EMULATOR_HOST, else CLOUD_STORAGE_EMULATOR_ENDPOINT, with "http://" added when it has
// no scheme and without a trailing '/'; nullopt when neither is set.
std::optional<std::string> EmulatorEndpoint(const Environment& env);

struct CredentialsFile {
  std::string path;
  std::string json;
};

// The key file GOOGLE_APPLICATION_CREDENTIALS names, read; nullopt when the variable is unset.
// An unreadable file is a kConfiguration error naming the variable and the path.
absl::StatusOr<std::optional<CredentialsFile>> ReadCredentialsFile(const Environment& env);

// http://metadata.google.internal, or http://$GCE_METADATA_HOST.
std::string MetadataServerUrl(const Environment& env);

}  // namespace haystack::output_internal

#endif  // HAYSTACK_OUTPUT_INTERNAL_GCS_CREDENTIALS_H_
