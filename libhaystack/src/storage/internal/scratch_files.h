// Names and writes of the local scratch files the artifact accessors use.
#ifndef HAYSTACK_SRC_STORAGE_INTERNAL_SCRATCH_FILES_H_
#define HAYSTACK_SRC_STORAGE_INTERNAL_SCRATCH_FILES_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/storage/artifact_access.h"

namespace haystack::storage_internal {

// "<stem>.tmp-<pid>-<n>": unique within the process (a counter) and across processes (the
// pid), so that concurrent jobs and workers sharing a directory never collide.
std::string ScratchName(std::string_view stem);

// Writes `contents` to a new temporary file in `dir` (created if missing) named after `stem`.
// The file is removed again on any error and when the returned LocalFile is destroyed.
absl::StatusOr<LocalFile> WriteScratchFile(const std::filesystem::path& dir, std::string_view stem,
                                           std::string_view contents);

// The whole file, for an upload (kStorage errors naming the path).
absl::StatusOr<std::string> ReadLocalFile(const std::filesystem::path& path);

}  // namespace haystack::storage_internal

#endif  // HAYSTACK_SRC_STORAGE_INTERNAL_SCRATCH_FILES_H_
