#include "haystack/storage/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"

namespace haystack {
namespace {

absl::Status SysError(std::string_view call, const std::filesystem::path& path, int err) {
  return SystemCallError(ErrorKind::kStorage, err,
                         absl::StrCat(std::string(call), " ", path.string()));
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

// Writes a durable temporary file beside `path` and returns its name.
absl::StatusOr<std::filesystem::path> WriteDurableTemp(const std::filesystem::path& path,
                                                       std::string_view contents) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return SysError("mkdir", dir, ec.value());

  const std::filesystem::path temp =
      dir / absl::StrCat(".", path.filename().string(), ".tmp-", ::getpid(), "-", EntropyBits());
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return SysError("open", temp, errno);
  auto fail = [&temp](std::string_view call, int err) {
    ::unlink(temp.c_str());
    return SysError(call, temp, err);
  };
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  if (::close(fd.release()) != 0) return fail("close", errno);
  return temp;
}

// The new directory entry is durable only once the directory is.
void SyncDirectory(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
}

}  // namespace

absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  HAYSTACK_ASSIGN_OR_RETURN(std::filesystem::path temp, WriteDurableTemp(path, contents));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return SysError("rename", path, err);
  }
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::StatusOr<bool> CreateFileAtomically(const std::filesystem::path& path,
                                          std::string_view contents) {
  HAYSTACK_ASSIGN_OR_RETURN(std::filesystem::path temp, WriteDurableTemp(path, contents));
  const int linked = ::link(temp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (err == EEXIST) return false;
    return SysError("link", path, err);
  }
  SyncDirectory(path);
  return true;
}

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound,
                     absl::StrCat("cannot open ", path.string()));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                     absl::StrCat("cannot read ", path.string()));
  }
  return std::move(out).str();
}

}  // namespace haystack
