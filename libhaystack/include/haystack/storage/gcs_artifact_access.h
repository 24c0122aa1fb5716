// Artifact access by URI with Google Cloud Storage: gs://bucket/object through the output
// module's GcsArtifactStore, and every other URI as LocalArtifactAccess handles it (local
// paths, file://). This is what the worker and the in-process backend use in production, where
// the orchestrator's artifact store is gs://bucket/prefix.
#ifndef HAYSTACK_STORAGE_GCS_ARTIFACT_ACCESS_H_
#define HAYSTACK_STORAGE_GCS_ARTIFACT_ACCESS_H_

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "haystack/core/clock.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/storage/artifact_access.h"
#include "haystack/storage/open_artifact_store.h"

namespace haystack {

// One store per bucket, opened on first use with OpenArtifactStore("gs://<bucket>", …), so
// credentials and the endpoint come from the environment exactly as for the orchestrator's
// store (STORAGE_EMULATOR_HOST / CLOUD_STORAGE_EMULATOR_ENDPOINT, GOOGLE_APPLICATION_CREDENTIALS,
// the metadata server). The object name is everything after "gs://<bucket>/".
//
// Fetch downloads the object (checksum verified) into a temporary file in `scratch_dir`;
// Publish reads the local file and uploads it create-only (ArtifactStore::Put). Both hold the
// whole artifact in memory once. Errors are kind kStorage and name the gs:// URI.
class GcsArtifactAccess final : public ArtifactAccess {
 public:
  // The variables OpenArtifactStore reads are copied from `env` here, so `env` need not
  // outlive this object. An empty `scratch_dir` means the system temporary directory
  // (TMPDIR, else /tmp).
  GcsArtifactAccess(const Environment& env, Logger logger, std::filesystem::path scratch_dir = {},
                    const Clock& clock = SystemClock());

  absl::Status CheckUri(std::string_view uri) const override;
  absl::StatusOr<bool> Exists(std::string_view uri) override;
  absl::StatusOr<LocalFile> Fetch(std::string_view uri) override;
  absl::StatusOr<LocalFile> Scratch(std::string_view uri) override;
  absl::Status Publish(const std::filesystem::path& file, std::string_view uri) override;
  bool PublishesInPlace(std::string_view uri) const override;

 private:
  struct Object {
    ArtifactStore* store = nullptr;  // owned by stores_
    std::string name;
  };
  // The store of the URI's bucket (opened once) and the object name.
  absl::StatusOr<Object> Resolve(std::string_view uri);

  MapEnvironment env_;
  Logger logger_;
  std::filesystem::path scratch_dir_;
  const Clock& clock_;
  LocalArtifactAccess local_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<OpenedArtifactStore>> stores_;  // by bucket
};

// True for "gs://…" URIs.
bool IsGcsUri(std::string_view uri);

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_GCS_ARTIFACT_ACCESS_H_
