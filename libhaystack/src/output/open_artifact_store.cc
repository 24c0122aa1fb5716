#include "haystack/output/open_artifact_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/output/gcs_artifact_store.h"
#include "haystack/output/local_artifact_store.h"
#include "internal/gcs_credentials.h"

namespace haystack {

absl::StatusOr<OpenedArtifactStore> OpenArtifactStore(std::string_view location,
                                                      const Environment& env, const Clock& clock,
                                                      const Logger& logger) {
  OpenedArtifactStore opened;
  const absl::string_view view(location.data(), location.size());
  if (!absl::StartsWith(view, "gs://")) {
    if (location.empty()) return ConfigurationError("the artifact location is empty");
    opened.store = std::make_unique<LocalArtifactStore>(std::string(location));
    opened.description = opened.store->Uri("");
    return opened;
  }
  HAYSTACK_ASSIGN_OR_RETURN(GcsLocation gcs, ParseGcsUri(location));
  GcsOptions options{.location = gcs};
  opened.http =
      std::make_unique<HttpClient>(HttpClientOptions{}, clock, logger.With({{"component", "gcs"}}));
  if (auto emulator = output_internal::EmulatorEndpoint(env)) {
    options.endpoint = *emulator;
    opened.auth = std::make_unique<NoCredentials>();
    opened.description = absl::StrCat(view, " (emulator ", options.endpoint, ", no auth)");
  } else {
    HAYSTACK_ASSIGN_OR_RETURN(auto key_file, output_internal::ReadCredentialsFile(env));
    if (key_file) {
      auto source = ServiceAccountTokenSource::Create(key_file->json, *opened.http, clock);
      if (!source.ok()) {
        return ConfigurationError(absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS (", key_file->path,
                                               "): ", std::string(source.status().message())));
      }
      opened.auth = std::move(*source);
      opened.description = absl::StrCat(view, " (service account key)");
    } else {
      opened.auth = std::make_unique<MetadataServerTokenSource>(
          *opened.http, clock, output_internal::MetadataServerUrl(env));
      opened.description = absl::StrCat(view, " (metadata server credentials)");
    }
  }
  opened.store = std::make_unique<GcsArtifactStore>(std::move(options), *opened.http, *opened.auth,
                                                    logger.With({{"component", "gcs"}}));
  return opened;
}

}  // namespace haystack
