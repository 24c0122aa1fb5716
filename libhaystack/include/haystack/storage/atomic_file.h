// Local files: written so that a reader never sees half of one, and read whole.
#ifndef HAYSTACK_STORAGE_ATOMIC_FILE_H_
#define HAYSTACK_STORAGE_ATOMIC_FILE_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace haystack {

// Writes `contents` to a temporary file beside `path` (same directory, so the rename cannot
// cross file systems), fsyncs it, renames it over `path` and fsyncs the directory, so that
// after a crash `path` holds either its old or its new contents, never a mixture. Parent
// directories are created. Errors are kind kStorage and name the path and the failing call.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Like WriteFileAtomically, but never replaces an existing file: the durable temporary file is
// hard-linked to `path`, which fails atomically if `path` exists. Returns false (and leaves the
// existing file alone) in that case, true if `path` was created.
absl::StatusOr<bool> CreateFileAtomically(const std::filesystem::path& path,
                                          std::string_view contents);

// The whole contents of `path`. kStorage errors: kNotFound when it cannot be opened, kDataLoss
// when reading fails.
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_ATOMIC_FILE_H_
