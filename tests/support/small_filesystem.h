// A file system that fills: a tmpfs of a chosen size mounted on a temporary directory, for
// full-disk tests (ENOSPC where the artifacts go). Mounting needs root and mount(2) (CI runs as
// root); elsewhere available() is false and the test skips with a warning that says why.
#ifndef HAYSTACK_TESTS_SUPPORT_SMALL_FILESYSTEM_H_
#define HAYSTACK_TESTS_SUPPORT_SMALL_FILESYSTEM_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/temp_dir.h"

namespace haystack::testing {

class SmallFilesystem {
 public:
  // `read_only`: mounted read-only (a file system no process can write, root included).
  explicit SmallFilesystem(int64_t bytes, bool read_only = false);
  ~SmallFilesystem();  // unmounts
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool available() const { return mounted_; }
  const std::string& why_unavailable() const { return why_; }
  const std::filesystem::path& path() const { return dir_.path(); }

  // Grows or shrinks it (remount); false on failure.
  bool Resize(int64_t bytes);

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_SMALL_FILESYSTEM_H_
