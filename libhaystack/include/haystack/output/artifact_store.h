// Where a run's files go: a local directory or a Google Cloud Storage bucket (docs/output.md
// "Artifacts": <root>/runs/<run_id>/output.h5ad, report.md, report.html, log.json,
// iterations/<n>/…).
//
// Writes are create-only and atomic: a reader never sees half a file, and a retried job that
// writes the same bytes again succeeds without changing anything, while different bytes under
// an existing name are refused instead of silently replacing what a user may already have
// downloaded.
#ifndef HAYSTACK_OUTPUT_ARTIFACT_STORE_H_
#define HAYSTACK_OUTPUT_ARTIFACT_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace haystack {

struct ArtifactInfo {
  std::string uri;  // "gs://bucket/prefix/runs/…" or an absolute local path
  int64_t size = 0;
  uint32_t crc32c = 0;
  bool already_existed = false;  // an identical object was there (a retried write)
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Creates `path` (relative, '/'-separated, e.g. "runs/<run_id>/report.md") with `contents`.
  // If it exists with the same bytes, succeeds with already_existed; with other bytes, fails
  // (kStorage, kAlreadyExists). Transient failures are retried inside, within bounds.
  virtual absl::StatusOr<ArtifactInfo> Put(std::string_view path, std::string_view contents,
                                           std::string_view content_type) = 0;

  // Reads `path` back, verifying its checksum where the backend provides one.
  virtual absl::StatusOr<std::string> Get(std::string_view path) = 0;

  // Whether `path` exists, without reading it (a metadata request on GCS), so that a caller can
  // refuse a missing input cheaply. Errors only when that cannot be told (kStorage).
  virtual absl::StatusOr<bool> Exists(std::string_view path) = 0;

  // The URI `path` has (or would have) in this store.
  virtual std::string Uri(std::string_view path) const = 0;
};

// "runs/<run_id>/<name>": the layout of docs/output.md "Artifacts". `run_id` must be a valid run
// id.
std::string RunArtifactPath(std::string_view run_id, std::string_view name);

// Rejects empty paths, absolute paths, "." and ".." segments, empty segments, backslashes and
// control characters (kStorage, kInvalidArgument): artifact paths never escape the root.
absl::Status ValidateArtifactPath(std::string_view path);

}  // namespace haystack

#endif  // HAYSTACK_OUTPUT_ARTIFACT_STORE_H_
