// Chooses the artifact store from the configured location.
#ifndef HAYSTACK_STORAGE_OPEN_ARTIFACT_STORE_H_
#define HAYSTACK_STORAGE_OPEN_ARTIFACT_STORE_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/core/clock.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/http/http_client.h"
#include "haystack/storage/artifact_store.h"
#include "haystack/storage/gcs_auth.h"

namespace haystack {

// The store and what it borrows, kept alive together.
struct OpenedArtifactStore {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<AccessTokenSource> auth;
  std::unique_ptr<ArtifactStore> store;
  std::string description;  // "gs://bucket/prefix (metadata server credentials)", a path, …
};

// `location` "gs://bucket[/prefix]" opens a GcsArtifactStore:
//   STORAGE_EMULATOR_HOST or CLOUD_STORAGE_EMULATOR_ENDPOINT set → that endpoint, no auth;
//   else GOOGLE_APPLICATION_CREDENTIALS → the service-account key file it names;
//   else the metadata server (http://$GCE_METADATA_HOST if set).
// Anything else is a local directory (LocalArtifactStore). Errors are kConfiguration.
absl::StatusOr<OpenedArtifactStore> OpenArtifactStore(std::string_view location,
                                                      const Environment& env, const Clock& clock,
                                                      const Logger& logger);

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_OPEN_ARTIFACT_STORE_H_
