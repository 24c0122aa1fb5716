#include "internal/scratch_files.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::storage_internal {

std::string ScratchName(std::string_view stem) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}", stem, static_cast<int64_t>(::getpid()), ++counter);
}

absl::StatusOr<LocalFile> WriteScratchFile(const std::filesystem::path& dir, std::string_view stem,
                                           std::string_view contents) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     fmt::format("cannot create the scratch directory {}: {}",
                                 QuoteForMessage(dir.string()), ec.message()));
  }
  LocalFile file = LocalFile::Temporary(dir / ScratchName(stem));
  std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) {
    // `file` removes what was written on the way out.
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     fmt::format("cannot write the scratch file {} ({} bytes)",
                                 QuoteForMessage(file.path().string()), contents.size()));
  }
  return file;
}

absl::StatusOr<std::string> ReadLocalFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  if (in) out << in.rdbuf();
  if (!in || in.bad()) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     fmt::format("cannot read {}", QuoteForMessage(path.string())));
  }
  return std::move(out).str();
}

}  // namespace haystack::storage_internal
