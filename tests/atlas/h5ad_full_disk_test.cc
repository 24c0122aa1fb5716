// A full disk at every point of an .h5ad write (a small tmpfs, one page larger each time): both
// writers report kResourceExhausted — retryable — with the system's message, never another code,
// and leave no file behind. HDF5 meets ENOSPC in different calls depending on where the disk fills
// (H5Fcreate writes the superblock, dataset writes, the closing flush); each must say the same.
#include <filesystem>
#include <functional>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_csr_writer.h"
#include "haystack/core/error.h"
#include "support/small_filesystem.h"

namespace haystack {
namespace {

namespace fs = std::filesystem;
using testing::SmallFilesystem;

constexpr int64_t kPage = 4096;

// 400 cells × 60 genes, about a third non-zero: a few pages written, compressed or not.
AnnData MakeData() {
  AnnData a;
  const int n = 400, g = 60;
  std::vector<std::string> type;
  for (int i = 0; i < n; ++i) {
    a.obs.index.push_back("cell" + std::to_string(i));
    type.push_back(i % 3 == 0 ? "CL:0000576" : "CL:0000084");
  }
  for (int j = 0; j < g; ++j) a.var.index.push_back("ENSG" + std::to_string(100000 + j));
  a.obs.columns = {{"cell_type_ontology_term_id", Categorical::FromStrings(type), std::nullopt}};
  CsrMatrix x;
  x.rows = n;
  x.cols = g;
  x.indptr.push_back(0);
  for (int i = 0; i < n; ++i) {
    for (int j = i % 3; j < g; j += 3) {
      x.indices.push_back(j);
      x.data.push_back(static_cast<float>((i * 31 + j * 17) % 97) / 7.0f);
    }
    x.indptr.push_back(x.nnz());
  }
  a.x = x;
  return a;
}

absl::Status StreamWrite(const AnnData& a, const std::string& path) {
  AnnData metadata = a;
  metadata.x.reset();
  const auto& x = std::get<CsrMatrix>(*a.x);
  auto writer = CsrH5adWriter::Create(path, metadata, x.indptr, H5adWriteOptions{});
  if (!writer.ok()) return writer.status();
  HAYSTACK_RETURN_IF_ERROR((*writer)->WriteRows(0, x.rows, x.data, x.indices));
  return (*writer)->Finish();
}

struct Writer {
  const char* name;
  std::function<absl::Status(const AnnData&, const std::string&)> write;
};

TEST_CASE("a full disk anywhere in an .h5ad write is kResourceExhausted and leaves no file",
          "[faults][disk]") {
  const AnnData data = MakeData();
  const Writer writer =
      GENERATE(Writer{"WriteH5ad",
                      [](const AnnData& a, const std::string& p) { return WriteH5ad(a, p, {}); }},
               Writer{"WriteH5ad compact",
                      [](const AnnData& a, const std::string& p) {
                        return WriteH5ad(a, p, CompactH5adWriteOptions());
                      }},
               Writer{"CsrH5adWriter", StreamWrite});
  INFO(writer.name);
  int failures = 0;
  bool fitted = false;
  // From one page (a tmpfs of size 0 would be unlimited) to room enough: each page count fails
  // somewhere else.
  for (int64_t pages = 1; pages <= 64 && !fitted; ++pages) {
    SmallFilesystem disk(pages * kPage);
    if (!disk.available()) {
      WARN("skipping the full-disk test: " << disk.why_unavailable());
      return;
    }
    const std::string path = (disk.path() / "x.h5ad").string();
    const absl::Status written = writer.write(data, path);
    INFO(pages << " pages: " << written.ToString());
    if (written.ok()) {
      fitted = true;
      break;
    }
    ++failures;
    CHECK(written.code() == absl::StatusCode::kResourceExhausted);
    CHECK(IsTransient(written));
    CHECK(GetErrorKind(written) == ErrorKind::kStorage);
    CHECK_THAT(std::string(written.message()), Catch::Contains("No space left on device"));
    CHECK(fs::is_empty(disk.path()));  // neither the target nor a temporary file
  }
  CHECK(fitted);
  CHECK(failures >= 3);  // the sweep did cross several failing points
}

}  // namespace
}  // namespace haystack
