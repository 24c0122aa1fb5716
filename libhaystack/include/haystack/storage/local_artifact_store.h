// Artifacts in a local directory (the laptop default, ./haystack-results).
#ifndef HAYSTACK_STORAGE_LOCAL_ARTIFACT_STORE_H_
#define HAYSTACK_STORAGE_LOCAL_ARTIFACT_STORE_H_

#include <filesystem>

#include "haystack/storage/artifact_store.h"

namespace haystack {

// Files are written to a durable temporary file and hard-linked into place (create-only and
// atomic: see CreateFileAtomically), so a reader never sees half a file and an existing file is
// never replaced. URIs are absolute paths.
class LocalArtifactStore final : public ArtifactStore {
 public:
  explicit LocalArtifactStore(std::filesystem::path root);
  absl::StatusOr<ArtifactInfo> Put(std::string_view path, std::string_view contents,
                                   std::string_view content_type) override;
  absl::StatusOr<std::string> Get(std::string_view path) override;
  absl::StatusOr<bool> Exists(std::string_view path) override;
  absl::Status Remove(std::string_view path) override;
  std::string Uri(std::string_view path) const override;

 private:
  std::filesystem::path root_;
};

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_LOCAL_ARTIFACT_STORE_H_
