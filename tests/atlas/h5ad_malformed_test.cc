// Malformed .h5ad inputs give clear errors (never a crash); these tests also run under
// ASan/UBSan (scripts/test builds build-sanitize for the atlas suite).
#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/core/error.h"
#include "python_dump.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::TempDir;

// Writes the feature-rich fixture (CSR X with int32 indptr), then lets `edit` damage it
// through the HDF5 C API.
template <class Edit>
std::string Damaged(const TempDir& dir, const std::string& name, Edit edit) {
  const std::string path = dir.File(name);
  REQUIRE(WriteH5ad(testing::MakeFeatureRichAnnData(), path).ok());
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  edit(file);
  H5Fclose(file);
  return path;
}

void WriteInts(hid_t file, const char* dataset, std::vector<int32_t> values) {
  hid_t d = H5Dopen2(file, dataset, H5P_DEFAULT);
  REQUIRE(d >= 0);
  REQUIRE(H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  H5Dclose(d);
}

void SetStringAttr(hid_t file, const char* object, const char* name, const char* value) {
  hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
  REQUIRE(obj >= 0);
  H5Adelete(obj, name);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(H5Awrite(attr, type, &value) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Oclose(obj);
}

// The fixture has no CELLxGENE columns; map its cell_type and batch columns.
H5adAtlasOptions FixtureAtlasOptions() {
  H5adAtlasOptions options;
  options.mapping.columns = {{AtlasField::kCellType, "cell_type"}, {AtlasField::kDonor, "batch"}};
  return options;
}

void ExpectError(const std::string& path, absl::StatusCode code, const std::string& fragment) {
  absl::StatusOr<AnnData> read = ReadH5ad(path);
  INFO(read.status().ToString());
  REQUIRE_FALSE(read.ok());
  CHECK(GetErrorKind(read.status()) == ErrorKind::kStorage);
  CHECK(read.status().code() == code);
  CHECK_THAT(std::string(read.status().message()), Catch::Contains(fragment));
}

TEST_CASE("Missing, non-HDF5 and truncated files are reported, not crashed on") {
  TempDir dir;
  ExpectError(dir.File("nope.h5ad"), absl::StatusCode::kNotFound, "no such file");
  testing::WriteFile(dir.path() / "text.h5ad", "this is not HDF5\n");
  ExpectError(dir.File("text.h5ad"), absl::StatusCode::kInvalidArgument, "not an HDF5 file");

  const std::string path = dir.File("whole.h5ad");
  REQUIRE(WriteH5ad(testing::MakeFeatureRichAnnData(), path).ok());
  const auto size = std::filesystem::file_size(path);
  for (double keep : {0.9, 0.5, 0.1}) {
    const std::string cut = dir.File("cut.h5ad");
    std::filesystem::copy_file(path, cut, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(cut, static_cast<uintmax_t>(static_cast<double>(size) * keep));
    absl::StatusOr<AnnData> read = ReadH5ad(cut);
    INFO("kept " << keep << ": " << read.status().ToString());
    CHECK_FALSE(read.ok());
    absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(cut);
    CHECK_FALSE(atlas.ok());
  }
}

TEST_CASE("uns that contains itself, shares groups or nests without end is refused") {
  TempDir dir;
  // A hard link makes /uns a member of itself: reading it recursed until the stack overflowed.
  const std::string cycle = Damaged(dir, "cycle.h5ad", [](hid_t file) {
    REQUIRE(H5Lcreate_hard(file, "/uns", file, "/uns/loop", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  });
  ExpectError(cycle, absl::StatusCode::kInvalidArgument,
              "/uns/loop: this uns group is linked more than once");

  // Every group of a chain of 40 linked twice from its parent: 2^40 paths through 40 groups
  // (found by tests/fuzz as a reader that never finished).
  const std::string diamond = Damaged(dir, "diamond.h5ad", [](hid_t file) {
    std::string parent = "/uns";
    for (int i = 0; i < 40; ++i) {
      const std::string child = "/uns/g" + std::to_string(i);
      hid_t group = H5Gcreate2(file, child.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      REQUIRE(group >= 0);
      H5Gclose(group);
      if (i > 0) {
        REQUIRE(H5Lcreate_hard(file, child.c_str(), file, (parent + "/a").c_str(), H5P_DEFAULT,
                               H5P_DEFAULT) >= 0);
        REQUIRE(H5Lcreate_hard(file, child.c_str(), file, (parent + "/b").c_str(), H5P_DEFAULT,
                               H5P_DEFAULT) >= 0);
      }
      parent = child;
    }
  });
  ExpectError(diamond, absl::StatusCode::kInvalidArgument, "linked more than once");

  const std::string deep = Damaged(dir, "deep.h5ad", [](hid_t file) {
    std::string path = "/uns";
    for (int i = 0; i < 100; ++i) {
      path += "/d";
      hid_t group = H5Gcreate2(file, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      REQUIRE(group >= 0);
      H5Gclose(group);
    }
  });
  ExpectError(deep, absl::StatusCode::kInvalidArgument, "/uns/d/d/d");
  ExpectError(deep, absl::StatusCode::kInvalidArgument, "nested deeper than 64 levels");
}

TEST_CASE("A wrong encoding-type is named") {
  TempDir dir;
  ExpectError(
      Damaged(dir, "root.h5ad", [](hid_t f) { SetStringAttr(f, "/", "encoding-type", "zarr"); }),
      absl::StatusCode::kInvalidArgument, "encoding-type is 'zarr', expected 'anndata'");
  ExpectError(
      Damaged(dir, "obs.h5ad", [](hid_t f) { SetStringAttr(f, "/obs", "encoding-type", "dict"); }),
      absl::StatusCode::kInvalidArgument, "/obs: encoding-type is 'dict', expected 'dataframe'");
  ExpectError(Damaged(dir, "x.h5ad",
                      [](hid_t f) { SetStringAttr(f, "/X", "encoding-type", "coo_matrix"); }),
              absl::StatusCode::kInvalidArgument, "/X: encoding-type is 'coo_matrix'");
}

TEST_CASE("A CSR indptr that is not monotone is rejected") {
  TempDir dir;
  // The fixture's X has 6 rows with 2, 0, 2, 1, 4, 1 non-zeros.
  const std::string path = Damaged(dir, "indptr.h5ad", [](hid_t f) {
    WriteInts(f, "/X/indptr", {0, 2, 2, 1, 5, 9, 10});
  });
  ExpectError(path, absl::StatusCode::kInvalidArgument, "/X/indptr is not monotone");
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, FixtureAtlasOptions());
  REQUIRE_FALSE(atlas.ok());
  CHECK_THAT(std::string(atlas.status().message()), Catch::Contains("not monotone"));
  ExpectError(Damaged(dir, "end.h5ad",
                      [](hid_t f) {
                        WriteInts(f, "/X/indptr", {0, 2, 2, 4, 5, 9, 9});
                      }),
              absl::StatusCode::kInvalidArgument, "stored values");
}

TEST_CASE("Column indices out of range are rejected, also when gathering") {
  TempDir dir;
  const std::string path = Damaged(dir, "indices.h5ad", [](hid_t f) {
    WriteInts(f, "/X/indices", {1, 3, 0, 2, 3, 0, 1, 2, 400, 1});
  });
  ExpectError(path, absl::StatusCode::kInvalidArgument, "/X/indices[8] = 400 is out of range");
  // The atlas does not read all indices when opening; the gather of the bad row fails.
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, FixtureAtlasOptions());
  REQUIRE(atlas.ok());
  const std::vector<int64_t> good = {0, 1, 2}, bad = {4};
  CHECK((*atlas)->GatherRows(good).ok());
  absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(bad);
  REQUIRE_FALSE(rows.ok());
  CHECK_THAT(std::string(rows.status().message()), Catch::Contains("out of range"));
}

// Replaces dataset `path` with a 1-D int64 one holding `values`.
void ReplaceWithInt64s(hid_t file, const char* path, const std::vector<int64_t>& values) {
  REQUIRE(H5Ldelete(file, path, H5P_DEFAULT) >= 0);
  const hsize_t n = values.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(file, path, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(d >= 0);
  REQUIRE(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  H5Dclose(d);
  H5Sclose(space);
}

// Codes are read straight into 32 bits when the file's type fits (anndata's int8) and through
// 64 bits otherwise; both name the bad code as stored, for the reader and the atlas.
TEST_CASE("Categorical codes out of range are named with the value stored") {
  TempDir dir;
  // cell_type has 3 categories.
  const std::string narrow = Damaged(dir, "narrow.h5ad", [](hid_t f) {
    WriteInts(f, "/obs/cell_type/codes", {2, 0, 3, -1, 1, 0});
  });
  const std::string wide = Damaged(dir, "wide.h5ad", [](hid_t f) {
    ReplaceWithInt64s(f, "/obs/cell_type/codes", {2, 0, 2, -1, int64_t{1} << 40, 0});
  });
  for (const auto& [path, fragment] :
       {std::pair<std::string, std::string>{narrow, "/obs/cell_type/codes[2] = 3 is out of range"},
        {wide, "/obs/cell_type/codes[4] = 1099511627776 is out of range"}}) {
    ExpectError(path, absl::StatusCode::kInvalidArgument, fragment);
    absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, FixtureAtlasOptions());
    REQUIRE_FALSE(atlas.ok());
    CHECK_THAT(std::string(atlas.status().message()), Catch::Contains(fragment));
  }
  // Valid int64 codes read as the int8 ones do.
  const std::string valid = Damaged(dir, "valid.h5ad", [](hid_t f) {
    ReplaceWithInt64s(f, "/obs/cell_type/codes", {2, 0, 2, -1, 1, 0});
  });
  absl::StatusOr<AnnData> read = ReadH5ad(valid);
  REQUIRE(read.ok());
  CHECK(std::get<Categorical>(read->obs.Find("cell_type")->values).codes ==
        std::vector<int32_t>{2, 0, 2, -1, 1, 0});
}

TEST_CASE("Shapes that disagree are named") {
  TempDir dir;
  ExpectError(
      Damaged(dir, "shape.h5ad",
              [](hid_t f) {
                hid_t g = H5Gopen2(f, "/X", H5P_DEFAULT);
                H5Adelete(g, "shape");
                const hsize_t two = 2;
                hid_t space = H5Screate_simple(1, &two, nullptr);
                hid_t attr = H5Acreate2(g, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
                const int64_t shape[2] = {7, 4};
                H5Awrite(attr, H5T_NATIVE_INT64, shape);
                H5Aclose(attr);
                H5Sclose(space);
                H5Gclose(g);
              }),
      absl::StatusCode::kInvalidArgument, "/X: shape (7, 4) does not match obs × var (6, 4)");
  // A column shorter than the index.
  ExpectError(Damaged(dir, "column.h5ad",
                      [](hid_t f) {
                        H5Ldelete(f, "/obs/pct_mito", H5P_DEFAULT);
                        const hsize_t n = 5;
                        hid_t space = H5Screate_simple(1, &n, nullptr);
                        hid_t d = H5Dcreate2(f, "/obs/pct_mito", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                             H5P_DEFAULT, H5P_DEFAULT);
                        const double v[5] = {1, 2, 3, 4, 5};
                        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
                        H5Dclose(d);
                        H5Sclose(space);
                      }),
              absl::StatusCode::kInvalidArgument, "/obs/pct_mito: 5 values but the index has 6");
  // Categorical codes past the categories.
  ExpectError(Damaged(dir, "codes.h5ad",
                      [](hid_t f) {
                        hid_t d = H5Dopen2(f, "/obs/cell_type/codes", H5P_DEFAULT);
                        const int8_t codes[6] = {2, 0, 2, -1, 9, 0};
                        H5Dwrite(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes);
                        H5Dclose(d);
                      }),
              absl::StatusCode::kInvalidArgument, "/obs/cell_type/codes[4] = 9 is out of range");
}

TEST_CASE("A missing obs column is named, by the reader and by the atlas") {
  TempDir dir;
  const std::string path =
      Damaged(dir, "missing.h5ad", [](hid_t f) { H5Ldelete(f, "/obs/batch", H5P_DEFAULT); });
  ExpectError(path, absl::StatusCode::kInvalidArgument, "/obs/batch: column is missing");

  // A valid file without the atlas's required columns.
  const std::string plain = dir.File("plain.h5ad");
  REQUIRE(WriteH5ad(testing::MakeFeatureRichAnnData(), plain).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(plain);
  REQUIRE_FALSE(atlas.ok());
  CHECK(atlas.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(atlas.status().message()),
             Catch::Contains("obs has no column for the cell_type_ontology_term_id field") &&
                 Catch::Contains(plain));
}

}  // namespace
}  // namespace haystack
