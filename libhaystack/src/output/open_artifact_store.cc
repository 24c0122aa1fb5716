#include "haystack/output/open_artifact_store.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/output/gcs_artifact_store.h"
#include "haystack/output/local_artifact_store.h"

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
  std::optional<std::string> emulator = env.Get("STORAGE_EMULATOR_HOST");
  if (!emulator || emulator->empty()) emulator = env.Get("CLOUD_STORAGE_EMULATOR_ENDPOINT");
  if (emulator && !emulator->empty()) {
    options.endpoint = absl::StrContains(*emulator, "://") ? *emulator : "http://" + *emulator;
    while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
    opened.auth = std::make_unique<NoCredentials>();
    opened.description = absl::StrCat(view, " (emulator ", options.endpoint, ", no auth)");
  } else if (auto key_file = env.Get("GOOGLE_APPLICATION_CREDENTIALS");
             key_file && !key_file->empty()) {
    std::ifstream in(*key_file);
    if (!in) {
      return ConfigurationError(absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS names ", *key_file,
                                             ", which cannot be read"));
    }
    std::ostringstream key;
    key << in.rdbuf();
    auto source = ServiceAccountTokenSource::Create(key.str(), *opened.http, clock);
    if (!source.ok()) {
      return ConfigurationError(absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS (", *key_file,
                                             "): ", std::string(source.status().message())));
    }
    opened.auth = std::move(*source);
    opened.description = absl::StrCat(view, " (service account key)");
  } else {
    std::string metadata = "http://metadata.google.internal";
    if (auto host = env.Get("GCE_METADATA_HOST"); host && !host->empty()) {
      metadata = "http://" + *host;
    }
    opened.auth = std::make_unique<MetadataServerTokenSource>(*opened.http, clock, metadata);
    opened.description = absl::StrCat(view, " (metadata server credentials)");
  }
  opened.store = std::make_unique<GcsArtifactStore>(std::move(options), *opened.http, *opened.auth,
                                                    logger.With({{"component", "gcs"}}));
  return opened;
}

}  // namespace haystack
