#include "haystack/storage/local_artifact_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/storage/atomic_file.h"
#include "haystack/storage/crc32c.h"

namespace haystack {

LocalArtifactStore::LocalArtifactStore(std::filesystem::path root)
    : root_(std::filesystem::absolute(std::move(root)).lexically_normal()) {}

std::string LocalArtifactStore::Uri(std::string_view path) const {
  return (root_ / std::filesystem::path(path)).string();
}

absl::StatusOr<ArtifactInfo> LocalArtifactStore::Put(std::string_view path,
                                                     std::string_view contents,
                                                     std::string_view /*content_type*/) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  ArtifactInfo info{
      .uri = Uri(path), .size = static_cast<int64_t>(contents.size()), .crc32c = Crc32c(contents)};
  HAYSTACK_ASSIGN_OR_RETURN(bool created, CreateFileAtomically(info.uri, contents));
  if (created) return info;
  // Something is there already: a retried write of the same bytes is a success.
  HAYSTACK_ASSIGN_OR_RETURN(std::string existing, ReadWholeFile(info.uri));
  if (existing != contents) {
    return MakeError(
        ErrorKind::kStorage, absl::StatusCode::kAlreadyExists,
        absl::StrCat(info.uri, " already exists with different contents (", existing.size(),
                     " bytes, crc32c ", Crc32cToBase64(Crc32c(existing)),
                     "; new: ", contents.size(), " bytes, crc32c ", Crc32cToBase64(info.crc32c),
                     "); artifacts are never replaced"));
  }
  info.already_existed = true;
  return info;
}

absl::StatusOr<std::string> LocalArtifactStore::Get(std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  return ReadWholeFile(Uri(path));
}

absl::StatusOr<bool> LocalArtifactStore::Exists(std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  std::error_code ec;
  const bool exists = std::filesystem::is_regular_file(Uri(path), ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     absl::StrCat("cannot tell whether ", Uri(path), " exists: ", ec.message()));
  }
  return exists;
}

absl::Status LocalArtifactStore::Remove(std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  std::filesystem::path file = Uri(path);
  std::error_code ec;
  std::filesystem::remove(file, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     absl::StrCat("cannot remove ", file.string(), ": ", ec.message()));
  }
  // Directories the removal emptied go too (runs/<id>/iterations/<n>/), never the root: a
  // directory that still holds something refuses, which ends the walk.
  const auto depth = std::count(path.begin(), path.end(), '/');
  for (int64_t up = 0; up < depth; ++up) {
    file = file.parent_path();
    if (!std::filesystem::remove(file, ec)) break;
  }
  return absl::OkStatus();
}

}  // namespace haystack
