#include "haystack/output/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"

namespace haystack {
namespace {

absl::Status SysError(std::string_view call, const std::filesystem::path& path, int err) {
  const absl::StatusCode code =
      (err == ENOSPC || err == EDQUOT)                ? absl::StatusCode::kResourceExhausted
      : (err == EACCES || err == EPERM)               ? absl::StatusCode::kPermissionDenied
      : (err == EIO || err == EINTR || err == EAGAIN) ? absl::StatusCode::kUnavailable
                                                      : absl::StatusCode::kFailedPrecondition;
  return MakeError(ErrorKind::kStorage, code,
                   absl::StrCat(std::string(call), " ", path.string(), ": ", std::strerror(err)));
}

// Closes the descriptor on every path out of WriteFileAtomically.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return SysError("mkdir", dir, ec.value());

  std::random_device random;
  const std::filesystem::path temp =
      dir / absl::StrCat(".", path.filename().string(), ".tmp-", ::getpid(), "-", random());
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return SysError("open", temp, errno);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::unlink(temp.c_str());
      return SysError("write", temp, err);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return SysError("fsync", temp, err);
  }
  if (::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return SysError("close", temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return SysError("rename", path, err);
  }
  // The rename is durable only once the directory entry is.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return absl::OkStatus();
}

}  // namespace haystack
