// Round trips of .h5ad files: C++ → C++, C++ → Python anndata 0.8, Python anndata → C++.
#include <filesystem>
#include <tuple>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "python_dump.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::CanonicalJson;
using testing::FirstDifference;
using testing::MakeFeatureRichAnnData;
using testing::RunAnndataReference;
using testing::TempDir;

TEST_CASE("An AnnData written and read back here is unchanged") {
  TempDir dir;
  const AnnData original = MakeFeatureRichAnnData();
  for (int gzip : {0, 6}) {
    H5adWriteOptions options;
    options.gzip_level = gzip;
    const std::string path = dir.File("a" + std::to_string(gzip) + ".h5ad");
    REQUIRE(WriteH5ad(original, path, options).ok());
    absl::StatusOr<AnnData> read = ReadH5ad(path);
    INFO(read.status().ToString());
    REQUIRE(read.ok());
    CHECK(read->obs == original.obs);
    CHECK(read->var == original.var);
    CHECK(read->x == original.x);
    CHECK(read->layers == original.layers);
    CHECK(read->obsm == original.obsm);
    CHECK(read->uns == original.uns);
  }
}

TEST_CASE("A dense X round-trips, also chunked") {
  TempDir dir;
  AnnData a;
  a.obs.index = {"c0", "c1", "c2"};
  a.var.index = {"g0", "g1"};
  DenseMatrix x(3, 2);
  for (size_t i = 0; i < x.values.size(); ++i) x.values[i] = static_cast<float>(i) * 0.5f;
  a.x = x;
  H5adWriteOptions options;
  options.chunk_bytes = 8;  // one row per chunk
  absl::Status written = WriteH5ad(a, dir.File("d.h5ad"), options);
  INFO(written.ToString());
  REQUIRE(written.ok());
  absl::StatusOr<AnnData> read = ReadH5ad(dir.File("d.h5ad"));
  REQUIRE(read.ok());
  CHECK(*read == a);
  CHECK(FirstDifference(RunAnndataReference({"dump", dir.File("d.h5ad")}), CanonicalJson(a)) == "");
}

TEST_CASE("Large arrays written durably read back equal, here and in Python") {
  // With sync, contiguous X and CSR data/indices above 4 MiB are written by a helper thread with
  // pwrite into the space HDF5 allocated for them, next to HDF5 writing the rest, and the file
  // is fsynced (h5ad_writer.cc); without, everything goes through H5Dwrite.
  TempDir dir;
  AnnData a;
  const int64_t rows = 1050, cols = 1000;  // 4.2 MB of float32
  for (int64_t i = 0; i < rows; ++i) a.obs.index.push_back("c" + std::to_string(i));
  for (int64_t j = 0; j < cols; ++j) a.var.index.push_back("g" + std::to_string(j));
  DenseMatrix x(rows, cols);
  for (size_t i = 0; i < x.values.size(); ++i) x.values[i] = static_cast<float>(i % 997) * 0.25f;
  a.x = x;
  CsrMatrix csr;  // every entry stored: 1.05 M non-zeros
  csr.rows = rows;
  csr.cols = cols;
  csr.indptr.push_back(0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      csr.indices.push_back(static_cast<int32_t>(j));
      csr.data.push_back(static_cast<float>((i + j) % 13) + 1.0f);
    }
    csr.indptr.push_back(static_cast<int64_t>(csr.data.size()));
  }
  a.layers["counts"] = csr;
  // Every combination of the options that change how the bytes reach the file: atomic (temp
  // file + rename), sync (durable on return: writeback started per piece, fsync, directory
  // fsync) and background writes (helper thread or H5Dwrite).
  // Every combination of the options that change how the bytes reach the file: atomic (temp
  // file + rename) and sync (helper thread, writeback, fsync of file and directory).
  for (const bool atomic : {true, false}) {
    for (const bool sync : {false, true}) {
      H5adWriteOptions options;
      options.atomic = atomic;
      options.sync = sync;
      const std::string name =
          std::string("big") + (atomic ? "_atomic" : "") + (sync ? "_sync" : "") + ".h5ad";
      const std::string path = dir.File(name);
      INFO(name);
      absl::Status written = WriteH5ad(a, path, options);
      INFO(written.ToString());
      REQUIRE(written.ok());
      absl::StatusOr<AnnData> read = ReadH5ad(path);
      INFO(read.status().ToString());
      REQUIRE(read.ok());
      CHECK(*read == a);
      if (atomic && sync) {  // (the Python dump of 2 M values takes a while: once)
        CHECK(FirstDifference(RunAnndataReference({"dump", path}), CanonicalJson(a)) == "");
      }
    }
  }
  // Nothing but the finished files: no temporary file survives any of the writes.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    INFO(entry.path().string());
    CHECK(entry.path().extension() == ".h5ad");
    ++files;
  }
  CHECK(files == 4);
}

TEST_CASE(
    "Compact artifacts store a mostly-zero dense X as compressed CSR, read back here and in "
    "Python") {
  TempDir dir;
  AnnData a;
  for (int i = 0; i < 40; ++i) a.obs.index.push_back("c" + std::to_string(i));
  for (int j = 0; j < 30; ++j) a.var.index.push_back("g" + std::to_string(j));
  DenseMatrix sparse(40, 30), full(40, 30);
  for (size_t k = 0; k < sparse.values.size(); ++k) {
    if (k % 7 == 0) sparse.values[k] = 0.25f * static_cast<float>(k % 11 + 1);
    full.values[k] = 1.f + static_cast<float>(k % 5);
  }
  const H5adWriteOptions compact = CompactH5adWriteOptions();
  for (const auto& [name, x, stays_dense] :
       {std::tuple{"sparse", sparse, false}, std::tuple{"full", full, true}}) {
    INFO(name);
    a.x = x;
    a.layers["counts"] = x;
    const std::string path = dir.File(std::string(name) + ".h5ad");
    REQUIRE(WriteH5ad(a, path, compact).ok());
    absl::StatusOr<AnnData> read = ReadH5ad(path);
    REQUIRE(read.ok());
    REQUIRE(read->x.has_value());
    if (stays_dense) {
      CHECK(*read == a);
    } else {
      CHECK(*read->x == ExpressionMatrix(ToCsr(x)));
      CHECK(read->layers.at("counts") == ExpressionMatrix(ToCsr(x)));
      CHECK(read->obs == a.obs);
    }
    // anndata reads the same values: its canonical dump of X is the dense values either way.
    AnnData as_read = *read;
    CHECK(FirstDifference(RunAnndataReference({"dump", path}), CanonicalJson(as_read)) == "");
  }
  // Each CSR chunked and gzip-compressed, as anndata's compression="gzip" writes them.
  testing::ProcessResult r =
      testing::RunProcess({"/usr/bin/python3", "-c",
                           "import sys, h5py\n"
                           "f = h5py.File(sys.argv[1])\n"
                           "print(f['X'].attrs['encoding-type'], f['X/data'].compression, "
                           "f['X/data'].compression_opts)\n",
                           dir.File("sparse.h5ad")});
  CHECK(r.stdout_text == "csr_matrix gzip 4\n");
}

TEST_CASE("Python anndata 0.8 reads files written here with types intact") {
  TempDir dir;
  const AnnData original = MakeFeatureRichAnnData();
  for (int gzip : {0, 4}) {
    H5adWriteOptions options;
    options.gzip_level = gzip;
    options.force_int64_indptr = gzip > 0;
    const std::string path = dir.File("py" + std::to_string(gzip) + ".h5ad");
    REQUIRE(WriteH5ad(original, path, options).ok());
    const std::string python = RunAnndataReference({"dump", path});
    CHECK(FirstDifference(python, CanonicalJson(original)) == "");
  }
}

TEST_CASE("Files written by Python anndata 0.8 are read here equal") {
  TempDir dir;
  const std::string path = dir.File("ref.h5ad");
  const std::string python = RunAnndataReference({"write", path});
  absl::StatusOr<AnnData> read = ReadH5ad(path);
  INFO(read.status().ToString());
  REQUIRE(read.ok());
  CHECK(FirstDifference(python, CanonicalJson(*read)) == "");
  // Spot checks of the types the encodings carry.
  const DataFrameColumn* cell_type = read->obs.Find("cell_type");
  REQUIRE(cell_type != nullptr);
  REQUIRE(std::holds_alternative<Categorical>(cell_type->values));
  CHECK(std::get<Categorical>(cell_type->values).codes == std::vector<int32_t>{2, 0, 2, -1, 1, 0});
  CHECK(std::get<Categorical>(read->obs.Find("stage")->values).ordered);
  CHECK(read->obs.Find("nullable_int")->mask ==
        std::vector<bool>{false, true, false, false, false, false});
  CHECK(read->var.index_name == "gene_ids");
  CHECK(std::holds_alternative<CsrMatrix>(*read->x));
  const UnsValue* haystack = read->uns.count("haystack") ? &read->uns.at("haystack") : nullptr;
  REQUIRE(haystack != nullptr);
  CHECK(haystack->Find("converged")->as<bool>());
  CHECK(haystack->Find("params")->Find("nested")->Find("deep")->as<std::string>() == "yes");

  // And what we read writes back to a file Python reads the same way.
  REQUIRE(WriteH5ad(*read, dir.File("again.h5ad")).ok());
  CHECK(FirstDifference(python, RunAnndataReference({"dump", dir.File("again.h5ad")})) == "");
}

TEST_CASE("A list of records in uns comes back as a list") {
  TempDir dir;
  AnnData a;
  a.obs.index = {"c0"};
  a.var.index = {"g0"};
  a.uns["history"] =
      UnsValue::List{UnsValue::Dict{{"i", 0}}, UnsValue::Dict{{"i", 1}}, UnsValue::Dict{{"i", 2}},
                     UnsValue::Dict{{"i", 3}}, UnsValue::Dict{{"i", 4}}, UnsValue::Dict{{"i", 5}},
                     UnsValue::Dict{{"i", 6}}, UnsValue::Dict{{"i", 7}}, UnsValue::Dict{{"i", 8}},
                     UnsValue::Dict{{"i", 9}}, UnsValue::Dict{{"i", 10}}};
  REQUIRE(WriteH5ad(a, dir.File("l.h5ad")).ok());
  absl::StatusOr<AnnData> read = ReadH5ad(dir.File("l.h5ad"));
  REQUIRE(read.ok());
  // Positions 10 and 2 sort as strings ("10" < "2") in HDF5; the list order is restored.
  CHECK(read->uns == a.uns);
}

TEST_CASE("Writing validates shapes and names before touching the disk") {
  TempDir dir;
  AnnData a = MakeFeatureRichAnnData();
  a.obsm["X_pca"].shape = {5, 2};
  absl::Status st = WriteH5ad(a, dir.File("bad.h5ad"));
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(st.message()), Catch::Contains("obsm['X_pca']"));
  CHECK_FALSE(std::filesystem::exists(dir.File("bad.h5ad")));

  AnnData b = MakeFeatureRichAnnData();
  b.uns["a/b"] = 1;
  st = WriteH5ad(b, dir.File("bad.h5ad"));
  CHECK_THAT(std::string(st.message()), Catch::Contains("'/'"));

  AnnData c = MakeFeatureRichAnnData();
  c.obs.columns.push_back(c.obs.columns[0]);
  st = WriteH5ad(c, dir.File("bad.h5ad"));
  CHECK_THAT(std::string(st.message()), Catch::Contains("duplicate column"));
}

}  // namespace
}  // namespace haystack

namespace haystack {
namespace {

TEST_CASE("Newer anndata encodings (nullable strings, null, unsigned indices, CSC) are read") {
  testing::TempDir dir;
  const std::string path = dir.File("new.h5ad");
  testing::RunAnndataReference({"write-new-layout", path});
  absl::StatusOr<AnnData> read = ReadH5ad(path);
  INFO(read.status().ToString());
  REQUIRE(read.ok());
  CHECK(read->obs.index == std::vector<std::string>{"a", "b", "c"});
  const DataFrameColumn* label = read->obs.Find("label");
  REQUIRE(label != nullptr);
  CHECK(std::get<std::vector<std::string>>(label->values) ==
        std::vector<std::string>{"x", "", "z"});
  CHECK(label->mask == std::vector<bool>{false, true, false});
  DenseMatrix x(3, 2);
  x.at(0, 1) = 1;
  x.at(2, 0) = 2;
  x.at(2, 1) = 3;
  CHECK(*read->x == ExpressionMatrix(ToCsr(x)));
  DenseMatrix csc(3, 2);  // columns: rows {0, 2} = 5, 6; row {1} = 7
  csc.at(0, 0) = 5;
  csc.at(2, 0) = 6;
  csc.at(1, 1) = 7;
  CHECK(read->layers.at("csc") == ExpressionMatrix(ToCsr(csc)));
  CHECK(read->uns.at("nothing").is<std::monostate>());
  CHECK(read->uns.at("title").as<std::string>() == "déjà vu");
}

}  // namespace
}  // namespace haystack
