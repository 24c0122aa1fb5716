#include "support/small_filesystem.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace haystack::testing {
namespace {

std::string Options(int64_t bytes) {
  // Whole pages; mode 0777 so that a non-root child could write too.
  const int64_t page = 4096;
  return "size=" + std::to_string((bytes + page - 1) / page * page) + ",mode=0777";
}

}  // namespace

SmallFilesystem::SmallFilesystem(int64_t bytes, bool read_only) {
  if (::geteuid() != 0) {
    why_ = "mounting a small tmpfs needs root";
    return;
  }
  const unsigned long flags = read_only ? MS_RDONLY : 0;
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", flags, Options(bytes).c_str()) != 0) {
    why_ = std::string("mount tmpfs: ") + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

SmallFilesystem::~SmallFilesystem() {
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

bool SmallFilesystem::Resize(int64_t bytes) {
  return mounted_ &&
         ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT, Options(bytes).c_str()) == 0;
}

}  // namespace haystack::testing
