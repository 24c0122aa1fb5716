// Artifact URIs as the inference contract names them. This module reads and writes local
// files only: absolute or relative paths and file:// URIs. gs:// artifacts go through the
// output module's ArtifactStore (GCS) once it is wired into the worker; until then they are
// reported as unsupported, not silently mishandled.
#ifndef HAYSTACK_INFERENCE_ARTIFACT_URI_H_
#define HAYSTACK_INFERENCE_ARTIFACT_URI_H_

#include <filesystem>
#include <string_view>

#include "absl/status/statusor.h"

namespace haystack {

// "/data/p.h5ad", "runs/x/p.h5ad", "file:///data/p.h5ad", "file://localhost/data/p%20x.h5ad"
// → a filesystem path (percent-escapes decoded for file:// URIs). InvalidArgument (kind
// kStorage) for an empty or malformed URI, a file:// URI with a remote host, or another scheme.
absl::StatusOr<std::filesystem::path> LocalArtifactPath(std::string_view uri);

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_ARTIFACT_URI_H_
