// A directory that exists for the life of a test.
#ifndef HAYSTACK_TESTS_SUPPORT_TEMP_DIR_H_
#define HAYSTACK_TESTS_SUPPORT_TEMP_DIR_H_

#include <filesystem>
#include <string>
#include <string_view>

namespace haystack::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `path`, creating parent directories.
void WriteFile(const std::filesystem::path& path, std::string_view contents);
std::string ReadFile(const std::filesystem::path& path);

// Source tree root (HAYSTACK_SOURCE_DIR, set by CTest), for fixtures under tests/.
std::filesystem::path SourceDir();

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_TEMP_DIR_H_
