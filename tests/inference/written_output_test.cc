// Predictions are read back before they are published (artifacts are create-only): a file that
// does not read back as written — damaged bytes, other values, other cells — is refused as a
// transient storage error and never published.
#include <filesystem>
#include <fstream>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "internal/existing_output.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using inference_internal::ExpectedOutput;
using inference_internal::VerifyWrittenOutput;

struct Written {
  AnnData data;
  UnsValue info;
  std::string path;
};

// 30 cells × 12 genes, mostly zeros, written as predictions are (compact: CSR, gzip).
Written WritePredictions(const testing::TempDir& dir) {
  Written w;
  DenseMatrix x(30, 12);
  for (int64_t r = 0; r < 30; ++r) {
    for (int64_t c = r % 4; c < 12; c += 4) x.at(r, c) = 0.25f * static_cast<float>(r + c);
  }
  w.data.x = x;
  for (int i = 0; i < 30; ++i) w.data.obs.index.push_back("query-" + std::to_string(i));
  for (int j = 0; j < 12; ++j) w.data.var.index.push_back("GENE" + std::to_string(j));
  UnsValue::Dict info;
  info["backend"] = std::string("cpu-icl-baseline");
  info["seed"] = int64_t{3};
  w.info = UnsValue(info);
  w.data.uns["haystack_inference"] = w.info;
  w.path = dir.File("predictions.h5ad");
  REQUIRE(WriteH5ad(w.data, w.path, CompactH5adWriteOptions()).ok());
  return w;
}

TEST_CASE("written predictions are published only when they read back as written") {
  testing::TempDir dir;
  const Written w = WritePredictions(dir);
  const ExpectedOutput expected{
      .cells = &w.data.obs.index, .genes = &w.data.var.index, .info = &w.info};
  CHECK(VerifyWrittenOutput(w.path, "file:///out.h5ad", expected, *w.data.x).ok());

  auto refused = [](const absl::Status& status, const char* why) {
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kUnavailable);
    CHECK(IsTransient(status));
    CHECK(GetErrorKind(status) == ErrorKind::kStorage);
    CHECK_THAT(std::string(status.message()), Catch::Contains("do not read back as written") &&
                                                  Catch::Contains(why) &&
                                                  Catch::Contains("not published"));
  };
  SECTION("a value that differs from the one predicted") {
    DenseMatrix other = std::get<DenseMatrix>(*w.data.x);
    other.at(7, 3) += 1.f;
    refused(VerifyWrittenOutput(w.path, "file:///out.h5ad", expected, other), "X[7, 3] differs");
  }
  SECTION("other cells") {
    std::vector<std::string> cells = w.data.obs.index;
    std::swap(cells[0], cells[1]);
    const ExpectedOutput moved{.cells = &cells, .genes = &w.data.var.index, .info = &w.info};
    refused(VerifyWrittenOutput(w.path, "file:///out.h5ad", moved, *w.data.x), "other cells");
  }
  SECTION("damaged bytes: the file's second half overwritten") {
    const auto size = std::filesystem::file_size(w.path);
    {
      std::fstream f(w.path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(size / 2));
      const std::string junk(size - size / 2, '\x5a');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const absl::Status status =
        VerifyWrittenOutput(w.path, "file:///out.h5ad", expected, *w.data.x);
    INFO(status.ToString());
    CHECK(status.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(status.message()), Catch::Contains("not published"));
  }
}

}  // namespace
}  // namespace haystack
