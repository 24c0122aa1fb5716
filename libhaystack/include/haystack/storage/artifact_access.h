// How the inference side reaches the .h5ad artifacts a job names by URI. HDF5 reads and
// writes local files only, so a job fetches each input to a readable local file, writes its
// output to a local scratch file, and publishes that file at the output URI.
//
// LocalArtifactAccess handles local paths and file:// URIs (artifact_uri.h); GcsArtifactAccess
// (gcs_artifact_access.h) adds gs://bucket/object. Implementations are thread-safe: the two
// jobs of a synthetic-control request run in parallel.
#ifndef HAYSTACK_STORAGE_ARTIFACT_ACCESS_H_
#define HAYSTACK_STORAGE_ARTIFACT_ACCESS_H_

#include <filesystem>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace haystack {

// A local file holding an artifact while this object lives. A temporary one (a downloaded
// copy, a scratch file) is removed when the object is destroyed, so that an error or a
// cancellation never leaves a partial file behind.
class LocalFile {
 public:
  // A file this object does not own (a local artifact read in place).
  static LocalFile Borrowed(std::filesystem::path path) {
    return LocalFile(std::move(path), false);
  }
  // A file this object removes on destruction.
  static LocalFile Temporary(std::filesystem::path path) {
    return LocalFile(std::move(path), true);
  }

  LocalFile(LocalFile&& other) noexcept;
  LocalFile& operator=(LocalFile&& other) noexcept;
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;
  ~LocalFile();

  const std::filesystem::path& path() const { return path_; }

 private:
  LocalFile(std::filesystem::path path, bool temporary)
      : path_(std::move(path)), temporary_(temporary) {}
  void Remove();

  std::filesystem::path path_;
  bool temporary_ = false;
};

class ArtifactAccess {
 public:
  virtual ~ArtifactAccess() = default;

  // No I/O. InvalidArgument (kind kStorage) naming the URI when it is malformed or its scheme
  // is not supported here.
  virtual absl::Status CheckUri(std::string_view uri) const = 0;

  // Whether an artifact exists at `uri`. kStorage errors only when that cannot be told (for
  // example the store is unreachable).
  virtual absl::StatusOr<bool> Exists(std::string_view uri) = 0;

  // The artifact's bytes as a readable local file. NotFound (kStorage) naming the URI when
  // there is no such artifact.
  virtual absl::StatusOr<LocalFile> Fetch(std::string_view uri) = 0;

  // A fresh local path to write what will be published at `uri` (for a local target it lies
  // beside the target, so that publishing is a link, not a copy). Nothing exists there yet.
  virtual absl::StatusOr<LocalFile> Scratch(std::string_view uri) = 0;

  // Makes the bytes of the local file `file` the artifact at `uri`, atomically and
  // create-only: a reader never sees part of it, and an existing artifact is never replaced.
  // If `uri` already holds the same bytes, succeeds; if it holds other bytes, fails with
  // AlreadyExists (kind kStorage) naming the URI.
  virtual absl::Status Publish(const std::filesystem::path& file, std::string_view uri) = 0;

  // Whether Publish(file, uri) makes the scratch file itself the artifact (an fsync and a
  // link) rather than copying its bytes elsewhere. A writer can then write it durably
  // (H5adWriteOptions::sync), so that its writeback overlaps the writing instead of following
  // it in Publish's fsync; for a copied file that would be wasted disk time.
  virtual bool PublishesInPlace(std::string_view uri) const = 0;
};

// Local paths and file:// URIs: inputs are read in place; outputs are written beside the
// target and hard-linked into place (create-only). gs:// and other schemes are refused by
// CheckUri.
class LocalArtifactAccess final : public ArtifactAccess {
 public:
  absl::Status CheckUri(std::string_view uri) const override;
  absl::StatusOr<bool> Exists(std::string_view uri) override;
  absl::StatusOr<LocalFile> Fetch(std::string_view uri) override;
  absl::StatusOr<LocalFile> Scratch(std::string_view uri) override;
  absl::Status Publish(const std::filesystem::path& file, std::string_view uri) override;
  bool PublishesInPlace(std::string_view /*uri*/) const override { return true; }
};

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_ARTIFACT_ACCESS_H_
