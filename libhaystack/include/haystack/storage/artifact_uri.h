// Local artifact URIs as the inference contract names them: absolute or relative paths and
// file:// URIs. gs:// URIs are handled by GcsArtifactAccess (gcs_artifact_access.h), not here.
#ifndef HAYSTACK_STORAGE_ARTIFACT_URI_H_
#define HAYSTACK_STORAGE_ARTIFACT_URI_H_

#include <filesystem>
#include <string_view>

#include "absl/status/statusor.h"

namespace haystack {

// "/data/p.h5ad", "runs/x/p.h5ad", "file:///data/p.h5ad", "file://localhost/data/p%20x.h5ad"
// → a filesystem path (percent-escapes decoded for file:// URIs). InvalidArgument (kind
// kStorage) for an empty or malformed URI, a file:// URI with a remote host, or another scheme
// (gs:// included: the message says that GCS access was not configured).
absl::StatusOr<std::filesystem::path> LocalArtifactPath(std::string_view uri);

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_ARTIFACT_URI_H_
