#include "haystack/storage/artifact_access.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/storage/artifact_uri.h"
#include "haystack/storage/atomic_file.h"
#include "internal/scratch_files.h"

namespace haystack {
namespace {

absl::Status FileError(absl::StatusCode code, std::string_view what,
                       const std::filesystem::path& path, std::string_view why) {
  return MakeError(ErrorKind::kStorage, code,
                   fmt::format("{} {}: {}", what, QuoteForMessage(path.string()), why));
}

// True if the two files hold the same bytes.
absl::StatusOr<bool> SameBytes(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  const auto size_a = std::filesystem::file_size(a, ec);
  if (ec) return FileError(absl::StatusCode::kUnavailable, "cannot stat", a, ec.message());
  const auto size_b = std::filesystem::file_size(b, ec);
  if (ec) return FileError(absl::StatusCode::kUnavailable, "cannot stat", b, ec.message());
  if (size_a != size_b) return false;
  std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
  if (!in_a || !in_b) {
    return FileError(absl::StatusCode::kUnavailable, "cannot open", in_a ? b : a, "unreadable");
  }
  std::string buf_a(1 << 16, '\0'), buf_b(1 << 16, '\0');
  while (in_a && in_b) {
    in_a.read(buf_a.data(), static_cast<std::streamsize>(buf_a.size()));
    in_b.read(buf_b.data(), static_cast<std::streamsize>(buf_b.size()));
    if (in_a.gcount() != in_b.gcount()) return false;
    if (buf_a.compare(0, static_cast<size_t>(in_a.gcount()), buf_b, 0,
                      static_cast<size_t>(in_b.gcount())) != 0) {
      return false;
    }
  }
  return true;
}

absl::Status AlreadyExistsError(std::string_view uri) {
  return MakeError(ErrorKind::kStorage, absl::StatusCode::kAlreadyExists,
                   fmt::format("artifact {} already exists with different contents; artifacts "
                               "are never replaced",
                               QuoteForMessage(uri)));
}

}  // namespace

LocalFile::LocalFile(LocalFile&& other) noexcept
    : path_(std::move(other.path_)), temporary_(std::exchange(other.temporary_, false)) {}

LocalFile& LocalFile::operator=(LocalFile&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    temporary_ = std::exchange(other.temporary_, false);
  }
  return *this;
}

LocalFile::~LocalFile() { Remove(); }

void LocalFile::Remove() {
  if (!temporary_) return;
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  temporary_ = false;
}

absl::Status LocalArtifactAccess::CheckUri(std::string_view uri) const {
  return LocalArtifactPath(uri).status();
}

absl::StatusOr<bool> LocalArtifactAccess::Exists(std::string_view uri) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::filesystem::path path, LocalArtifactPath(uri));
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

absl::StatusOr<LocalFile> LocalArtifactAccess::Fetch(std::string_view uri) {
  HAYSTACK_ASSIGN_OR_RETURN(std::filesystem::path path, LocalArtifactPath(uri));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound,
                     fmt::format("artifact {} does not exist", QuoteForMessage(uri)));
  }
  return LocalFile::Borrowed(std::move(path));
}

absl::StatusOr<LocalFile> LocalArtifactAccess::Scratch(std::string_view uri) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::filesystem::path target, LocalArtifactPath(uri));
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return FileError(absl::StatusCode::kUnavailable, "cannot create", dir, ec.message());
  return LocalFile::Temporary(dir /
                              storage_internal::ScratchName("." + target.filename().string()));
}

absl::Status LocalArtifactAccess::Publish(const std::filesystem::path& file, std::string_view uri) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::filesystem::path target, LocalArtifactPath(uri));
  // The bytes must be durable before the name appears (a crash must not leave a short file).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(absl::StatusCode::kNotFound, "cannot open", file, strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (!synced) {
    return FileError(absl::StatusCode::kUnavailable, "cannot fsync", file, strerror(sync_errno));
  }
  // link() is create-only and atomic: it fails with EEXIST rather than replace anything.
  if (::link(file.c_str(), target.c_str()) == 0) {
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    return absl::OkStatus();
  }
  const int err = errno;
  if (err == EEXIST) {
    HAYSTACK_ASSIGN_OR_RETURN(const bool same, SameBytes(file, target));
    return same ? absl::OkStatus() : AlreadyExistsError(uri);
  }
  if (err != EXDEV && err != EPERM && err != ENOTSUP) {
    return FileError(absl::StatusCode::kUnavailable, "cannot create", target, strerror(err));
  }
  // A file system without hard links (or a scratch file elsewhere): copy, still create-only.
  std::ifstream in(file, std::ios::binary);
  const std::string contents((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return FileError(absl::StatusCode::kUnavailable, "cannot read", file, "read error");
  }
  HAYSTACK_ASSIGN_OR_RETURN(const bool created, CreateFileAtomically(target, contents));
  if (created) return absl::OkStatus();
  HAYSTACK_ASSIGN_OR_RETURN(const bool same, SameBytes(file, target));
  return same ? absl::OkStatus() : AlreadyExistsError(uri);
}

}  // namespace haystack
