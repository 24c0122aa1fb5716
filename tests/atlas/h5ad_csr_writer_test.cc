// CsrH5adWriter: an .h5ad whose CSR X is written in row blocks reads back as the same AnnData
// WriteH5ad writes, here, through H5adAtlas's gathers and in Python anndata; misuse is refused
// and never leaves a file behind.
#include "haystack/atlas/h5ad_csr_writer.h"

#include <filesystem>
#include <thread>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/core/error.h"
#include "python_dump.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::TempDir;

// 300 cells × 50 genes with rows of 0 to 12 non-zeros (some empty), and the obs columns an
// atlas needs.
AnnData MakeAtlas() {
  AnnData a;
  const int n = 300, g = 50;
  std::vector<std::string> type, donor;
  for (int i = 0; i < n; ++i) {
    a.obs.index.push_back("cell" + std::to_string(i));
    type.push_back(i % 3 == 0 ? "CL:0000576" : "CL:0000084");
    donor.push_back("D" + std::to_string(i % 4));
  }
  for (int j = 0; j < g; ++j) a.var.index.push_back("G" + std::to_string(j));
  a.obs.columns = {
      {"cell_type_ontology_term_id", Categorical::FromStrings(type), std::nullopt},
      {"donor_id", Categorical::FromStrings(donor), std::nullopt},
  };
  CsrMatrix x;
  x.rows = n;
  x.cols = g;
  x.indptr.push_back(0);
  for (int i = 0; i < n; ++i) {
    for (int j = (i * 7) % 5; j < g && j < (i % 13) * 4; j += 4) {
      x.indices.push_back(j);
      x.data.push_back(0.5f * static_cast<float>(i % 17) + static_cast<float>(j));
    }
    x.indptr.push_back(x.nnz());
  }
  a.x = x;
  a.uns["title"] = std::string("streamed");
  return a;
}

// Writes `a` with CsrH5adWriter: blocks of `block` rows, the odd blocks from a second thread
// and the even ones in reverse order from this one.
absl::Status StreamWrite(const AnnData& a, const std::string& path, int64_t block,
                         const H5adWriteOptions& options = {}) {
  AnnData metadata = a;
  metadata.x.reset();
  const auto& x = std::get<CsrMatrix>(*a.x);
  auto writer = CsrH5adWriter::Create(path, metadata, x.indptr, options);
  if (!writer.ok()) return writer.status();
  auto write_block = [&](int64_t b) {
    const int64_t first = b * block, end = std::min(x.rows, first + block);
    const auto begin = static_cast<size_t>(x.indptr[static_cast<size_t>(first)]);
    const auto count = static_cast<size_t>((*writer)->NonZeros(first, end));
    return (*writer)->WriteRows(first, end - first, std::span(x.data).subspan(begin, count),
                                std::span(x.indices).subspan(begin, count));
  };
  const int64_t blocks = (x.rows + block - 1) / block;
  absl::Status odd;
  std::thread helper([&] {
    for (int64_t b = 1; b < blocks && odd.ok(); b += 2) odd = write_block(b);
  });
  absl::Status even;
  for (int64_t b = (blocks - 1) / 2 * 2; b >= 0 && even.ok(); b -= 2) even = write_block(b);
  helper.join();
  if (!odd.ok()) return odd;
  if (!even.ok()) return even;
  return (*writer)->Finish();
}

TEST_CASE("a CSR X written in row blocks reads back like WriteH5ad's, here and in Python") {
  TempDir dir;
  const AnnData a = MakeAtlas();
  for (const bool sync : {false, true}) {
    H5adWriteOptions options;
    options.sync = sync;
    const std::string path = dir.File(sync ? "sync.h5ad" : "plain.h5ad");
    absl::Status written = StreamWrite(a, path, 32, options);
    INFO(written.ToString());
    REQUIRE(written.ok());
    absl::StatusOr<AnnData> read = ReadH5ad(path);
    INFO(read.status().ToString());
    REQUIRE(read.ok());
    CHECK(*read == a);
  }
  CHECK(testing::FirstDifference(testing::RunAnndataReference({"dump", dir.File("sync.h5ad")}),
                                 testing::CanonicalJson(a)) == "");
  // Gathers read the rows at their offsets (the contiguous fast path).
  auto atlas = OpenH5adAtlas(dir.File("plain.h5ad"));
  REQUIRE(atlas.ok());
  const std::vector<int64_t> cells = {299, 0, 13, 14, 150, 13};
  auto rows = (*atlas)->GatherRows(cells);
  REQUIRE(rows.ok());
  const auto& got = std::get<CsrMatrix>(*rows);
  const auto& x = std::get<CsrMatrix>(*a.x);
  REQUIRE(got.rows == static_cast<int64_t>(cells.size()));
  for (size_t r = 0; r < cells.size(); ++r) {
    const auto from = static_cast<size_t>(x.indptr[static_cast<size_t>(cells[r])]);
    const auto to = static_cast<size_t>(x.indptr[static_cast<size_t>(cells[r]) + 1]);
    const auto at = static_cast<size_t>(got.indptr[r]);
    REQUIRE(got.indptr[r + 1] - got.indptr[r] == static_cast<int64_t>(to - from));
    for (size_t k = 0; k < to - from; ++k) {
      CHECK(got.indices[at + k] == x.indices[from + k]);
      CHECK(got.data[at + k] == x.data[from + k]);
    }
  }
  // No temporary file survives.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    CHECK(entry.path().extension() == ".h5ad");
    ++files;
  }
  CHECK(files == 2);
}

TEST_CASE("misused, the streaming writer says what was wrong and leaves no file") {
  TempDir dir;
  const AnnData a = MakeAtlas();
  AnnData metadata = a;
  metadata.x.reset();
  const auto& x = std::get<CsrMatrix>(*a.x);
  const std::string path = dir.File("bad.h5ad");
  auto no_file_left = [&] { CHECK(std::filesystem::is_empty(dir.path())); };

  SECTION("metadata with X, compression, or an indptr that does not fit obs") {
    auto with_x = CsrH5adWriter::Create(path, a, x.indptr);
    CHECK(with_x.status().code() == absl::StatusCode::kInvalidArgument);
    H5adWriteOptions gzip;
    gzip.gzip_level = 4;
    auto compressed = CsrH5adWriter::Create(path, metadata, x.indptr, gzip);
    CHECK(GetErrorKind(compressed.status()) == ErrorKind::kConfiguration);
    std::vector<int64_t> short_indptr(x.indptr.begin(), x.indptr.end() - 1);
    auto mismatched = CsrH5adWriter::Create(path, metadata, short_indptr);
    CHECK_THAT(std::string(mismatched.status().message()), Catch::Contains("300 obs rows"));
    std::vector<int64_t> decreasing = x.indptr;
    decreasing[5] = decreasing[6] + 1;
    auto not_monotone = CsrH5adWriter::Create(path, metadata, decreasing);
    CHECK_THAT(std::string(not_monotone.status().message()), Catch::Contains("not monotone"));
    no_file_left();
  }
  SECTION("rows with the wrong number of non-zeros, bad columns, or rows missing at the end") {
    {
      auto writer = CsrH5adWriter::Create(path, metadata, x.indptr);
      REQUIRE(writer.ok());
      const auto n = static_cast<size_t>((*writer)->NonZeros(0, 10));
      std::vector<float> data(x.data.begin(), x.data.begin() + static_cast<ptrdiff_t>(n));
      std::vector<int32_t> indices(x.indices.begin(),
                                   x.indices.begin() + static_cast<ptrdiff_t>(n));
      auto too_few = (*writer)->WriteRows(0, 10, std::span(data).first(n - 1),
                                          std::span(indices).first(n - 1));
      CHECK_THAT(std::string(too_few.message()), Catch::Contains("non-zeros"));
      REQUIRE(x.indptr[2] > x.indptr[1]);  // row 1 has a non-zero: make its column too large
      indices[static_cast<size_t>(x.indptr[1])] = 50;
      auto out_of_range = (*writer)->WriteRows(0, 10, data, indices);
      CHECK_THAT(std::string(out_of_range.message()), Catch::Contains("below 50"));
      auto outside = (*writer)->WriteRows(295, 10, data, indices);
      CHECK_THAT(std::string(outside.message()), Catch::Contains("outside [0, 300)"));
      auto unfinished = (*writer)->Finish();
      CHECK_THAT(std::string(unfinished.message()), Catch::Contains("0 of 300 rows"));
    }  // abandoned: the writer removes its file
    no_file_left();
  }
}

}  // namespace
}  // namespace haystack
