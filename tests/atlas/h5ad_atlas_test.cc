// H5adAtlas: metadata queries and gathers against the in-memory AnnData they come from.
#include "haystack/atlas/h5ad_atlas.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::TempDir;

// 40 cells × 7 genes: cell types, donors, perturbations and a control flag, with a
// deterministic sparse X.
AnnData MakeSmallAtlas(bool dense) {
  AnnData a;
  const int n = 40, g = 7;
  std::vector<std::string> cell_type, donor, perturbation;
  std::vector<bool> control;
  for (int i = 0; i < n; ++i) {
    a.obs.index.push_back("cell" + std::to_string(i));
    cell_type.push_back(i % 3 == 0 ? "CL:0000576" : i % 3 == 1 ? "CL:0000084" : "CL:0000236");
    donor.push_back(i < 20 ? "D1" : "D2");
    perturbation.push_back(i % 4 == 0 ? "PBS" : i % 4 == 1 ? "IFNG" : i % 4 == 2 ? "TNF" : "IL4");
    control.push_back(i % 4 == 0);
  }
  for (int j = 0; j < g; ++j) a.var.index.push_back("G" + std::to_string(j));
  a.obs.columns = {
      {"cell_type_ontology_term_id", Categorical::FromStrings(cell_type), std::nullopt},
      {"donor_id", donor, std::nullopt},  // a plain string column works too
      {"perturbation", Categorical::FromStrings(perturbation), std::nullopt},
      {"is_control", control, std::nullopt},
      {"n_counts", std::vector<double>(n, 1000.0), std::nullopt},
  };
  DenseMatrix x(n, g);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < g; ++j) {
      if ((i * 7 + j * 3) % 5 < 2)
        x.at(i, j) = static_cast<float>(i) + 0.125f * static_cast<float>(j);
    }
  }
  if (dense) {
    a.x = x;
  } else {
    a.x = ToCsr(x);
  }
  return a;
}

ExpressionMatrix TakeRows(const ExpressionMatrix& m, const std::vector<int64_t>& rows) {
  const DenseMatrix d = std::holds_alternative<DenseMatrix>(m) ? std::get<DenseMatrix>(m)
                                                               : ToDense(std::get<CsrMatrix>(m));
  DenseMatrix out(static_cast<int64_t>(rows.size()), d.cols);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int64_t j = 0; j < d.cols; ++j) out.at(static_cast<int64_t>(i), j) = d.at(rows[i], j);
  }
  if (std::holds_alternative<DenseMatrix>(m)) return out;
  return ToCsr(out);
}

TEST_CASE("H5adAtlas answers metadata queries with counts per group") {
  TempDir dir;
  const AnnData a = MakeSmallAtlas(false);
  REQUIRE(WriteH5ad(a, dir.File("atlas.h5ad")).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(dir.File("atlas.h5ad"));
  INFO(atlas.status().ToString());
  REQUIRE(atlas.ok());
  const CellAtlas& at = **atlas;
  CHECK(at.num_cells() == 40);
  CHECK(at.var().index.size() == 7);
  CHECK(at.HasField(AtlasField::kPerturbation));
  CHECK_FALSE(at.HasField(AtlasField::kTissue));

  absl::StatusOr<std::vector<int64_t>> monocytes_ifng =
      at.Select(CellFilter()
                    .Where(AtlasField::kCellType, "CL:0000576")
                    .Where(AtlasField::kPerturbation, "IFNG"));
  REQUIRE(monocytes_ifng.ok());
  std::vector<int64_t> expected;
  for (int64_t i = 0; i < 40; ++i) {
    if (i % 3 == 0 && i % 4 == 1) expected.push_back(i);
  }
  CHECK(*monocytes_ifng == expected);

  absl::StatusOr<std::vector<int64_t>> controls =
      at.Select(CellFilter().Where(AtlasField::kIsControl, "true").Where(AtlasField::kDonor, "D2"));
  REQUIRE(controls.ok());
  CHECK(*controls == std::vector<int64_t>{20, 24, 28, 32, 36});

  const AtlasField by[] = {AtlasField::kDonor, AtlasField::kIsControl};
  absl::StatusOr<std::vector<GroupCount>> groups = at.CountBy(by, CellFilter());
  REQUIRE(groups.ok());
  CHECK(*groups == std::vector<GroupCount>{{{"D1", "false"}, 15},
                                           {{"D1", "true"}, 5},
                                           {{"D2", "false"}, 15},
                                           {{"D2", "true"}, 5}});
  absl::StatusOr<std::vector<GroupCount>> perts = at.Values(AtlasField::kPerturbation);
  REQUIRE(perts.ok());
  CHECK(*perts ==
        std::vector<GroupCount>{{{"IFNG"}, 10}, {{"IL4"}, 10}, {{"PBS"}, 10}, {{"TNF"}, 10}});
  CHECK(*at.ValueOf(AtlasField::kDonor, 25) == "D2");

  absl::StatusOr<std::vector<int64_t>> none =
      at.Select(CellFilter().Where(AtlasField::kPerturbation, "not-a-perturbation"));
  REQUIRE(none.ok());
  CHECK(none->empty());
  absl::StatusOr<std::vector<int64_t>> no_column =
      at.Select(CellFilter().Where(AtlasField::kTissue, "UBERON:0000178"));
  CHECK(GetErrorKind(no_column.status()) == ErrorKind::kRetrieval);
  CHECK_THAT(std::string(no_column.status().message()), Catch::Contains("tissue_ontology_term_id"));
}

TEST_CASE("H5adAtlas gathers rows equal to the in-memory matrix, in any order") {
  TempDir dir;
  const std::vector<int64_t> cells = {39, 0, 5, 5, 6, 7, 8, 21, 1, 38};
  for (bool dense : {false, true}) {
    for (int gzip : {0, 3}) {
      for (int threads : {1, 4}) {
        const AnnData a = MakeSmallAtlas(dense);
        H5adWriteOptions wo;
        wo.gzip_level = gzip;
        wo.chunk_bytes = gzip > 0 ? 64 : 0;  // tiny chunks: many chunk reads
        const std::string path = dir.File("atlas.h5ad");
        REQUIRE(WriteH5ad(a, path, wo).ok());
        H5adAtlasOptions options;
        options.io_threads = threads;
        absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, options);
        REQUIRE(atlas.ok());
        INFO("dense " << dense << " gzip " << gzip << " threads " << threads);
        absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(cells);
        INFO(rows.status().ToString());
        REQUIRE(rows.ok());
        CHECK(*rows == TakeRows(*a.x, cells));

        absl::StatusOr<AnnData> subset = (*atlas)->Gather(cells);
        REQUIRE(subset.ok());
        const std::vector<int64_t> v(cells.begin(), cells.end());
        DataFrame obs = a.obs.TakeRows(v);
        CHECK(subset->obs == obs);
        CHECK(subset->var == a.var);
        REQUIRE(subset->uns.count("haystack_source") == 1);
        CHECK(subset->uns.at("haystack_source").Find("cell_indices")->as<std::vector<int64_t>>() ==
              v);

        REQUIRE((*atlas)->WriteSubset(cells, dir.File("prompt.h5ad")).ok());
        absl::StatusOr<AnnData> back = ReadH5ad(dir.File("prompt.h5ad"));
        REQUIRE(back.ok());
        CHECK(*back == *subset);
      }
    }
  }
}

// n cells × g genes, about 20% non-zero; `counts` makes the values whole numbers.
AnnData MakeRandomAtlas(int n, int g, bool counts, std::mt19937_64& rng) {
  AnnData a;
  std::vector<std::string> ct, donor;
  for (int i = 0; i < n; ++i) {
    a.obs.index.push_back("c" + std::to_string(i));
    ct.push_back("CL:" + std::to_string(i % 5));
    donor.push_back("D" + std::to_string(i % 3));
  }
  for (int j = 0; j < g; ++j) a.var.index.push_back("G" + std::to_string(j));
  a.obs.columns = {{"cell_type_ontology_term_id", Categorical::FromStrings(ct), std::nullopt},
                   {"donor_id", Categorical::FromStrings(donor), std::nullopt}};
  DenseMatrix x(n, g);
  std::uniform_real_distribution<float> u(0, 1);
  for (float& v : x.values) {
    if (u(rng) < 0.2f) v = counts ? std::floor(u(rng) * 20) + 1 : u(rng) * 5;
  }
  a.x = ToCsr(x);
  return a;
}

std::vector<int64_t> RandomCells(size_t k, int n, std::mt19937_64& rng) {
  std::vector<int64_t> cells(k);
  for (auto& c : cells) c = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  return cells;
}

// Replaces dataset `path` of the file with a contiguous one of `type` holding `values`.
template <class T>
void Rewrite(const std::string& file_path, const char* path, hid_t type,
             const std::vector<T>& values) {
  hid_t file = H5Fopen(file_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(file >= 0);
  REQUIRE(H5Ldelete(file, path, H5P_DEFAULT) >= 0);
  const hsize_t n = values.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(file, path, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(d >= 0);
  const hid_t memory = std::is_same_v<T, int64_t> ? H5T_NATIVE_INT64 : H5T_NATIVE_INT32;
  REQUIRE(H5Dwrite(d, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  H5Dclose(d);
  H5Sclose(space);
  H5Fclose(file);
}

// Evicts `path` from the page cache (its pages must be written first), so that the next read
// takes the cold path: missing rows are requested from the kernel up front.
void EvictFromPageCache(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(fdatasync(fd) == 0);
  REQUIRE(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
  close(fd);
}

TEST_CASE("H5adAtlas gathers many random rows of a larger atlas") {
  TempDir dir;
  std::mt19937_64 rng(7);
  const int n = 3000;
  const AnnData a = MakeRandomAtlas(n, 50, false, rng);
  H5adWriteOptions wo;
  wo.force_int64_indptr = true;
  const std::string path = dir.File("big.h5ad");
  REQUIRE(WriteH5ad(a, path, wo).ok());
  const std::vector<int64_t> cells = RandomCells(1000, n, rng);
  std::vector<int64_t> block(500);
  for (size_t i = 0; i < block.size(); ++i) block[i] = 1000 + static_cast<int64_t>(i);
  for (bool cold : {false, true}) {
    for (int threads : {1, 4}) {
      INFO((cold ? "cold" : "warm") << ", threads " << threads);
      H5adAtlasOptions options;
      options.io_threads = threads;
      absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, options);
      REQUIRE(atlas.ok());
      if (cold) EvictFromPageCache(path);
      absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(cells);
      REQUIRE(rows.ok());
      CHECK(*rows == TakeRows(*a.x, cells));
      // A contiguous block is one read per array and still exact.
      CHECK(*(*atlas)->GatherRows(block) == TakeRows(*a.x, block));
    }
  }
}

TEST_CASE("Gathers convert int64 column indices and integer counts") {
  TempDir dir;
  std::mt19937_64 rng(11);
  const int n = 600;
  const AnnData a = MakeRandomAtlas(n, 40, true, rng);
  const std::string path = dir.File("counts.h5ad");
  REQUIRE(WriteH5ad(a, path).ok());
  const CsrMatrix& x = std::get<CsrMatrix>(*a.x);
  Rewrite(path, "/X/indices", H5T_STD_I64LE,
          std::vector<int64_t>(x.indices.begin(), x.indices.end()));
  std::vector<int32_t> counts;
  for (float v : x.data) counts.push_back(static_cast<int32_t>(v));
  Rewrite(path, "/X/data", H5T_STD_I32LE, counts);
  const std::vector<int64_t> cells = RandomCells(300, n, rng);
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas =
      OpenH5adAtlas(path, {.normalize_counts = false});
  REQUIRE(atlas.ok());
  absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(cells);
  INFO(rows.status().ToString());
  REQUIRE(rows.ok());
  CHECK(*rows == TakeRows(*a.x, cells));
  // By default, counts are recognised and gathered as log1p(counts per 10k).
  absl::StatusOr<std::unique_ptr<CellAtlas>> normalising = OpenH5adAtlas(path);
  REQUIRE(normalising.ok());
  CHECK((*normalising)->layout().x_is_counts);
  CHECK_THAT((*normalising)->layout().expression, Catch::Contains("X holds counts"));
  absl::StatusOr<ExpressionMatrix> scaled = (*normalising)->GatherRows(cells);
  REQUIRE(scaled.ok());
  const CsrMatrix& raw = std::get<CsrMatrix>(*rows);
  const CsrMatrix& norm = std::get<CsrMatrix>(*scaled);
  REQUIRE(norm.indices == raw.indices);
  for (int64_t r = 0; r < raw.rows; ++r) {
    double total = 0;
    for (int64_t k = raw.indptr[r]; k < raw.indptr[r + 1]; ++k) total += raw.data[k];
    for (int64_t k = raw.indptr[r]; k < raw.indptr[r + 1]; ++k) {
      CHECK(norm.data[k] == Approx(std::log1p(raw.data[k] * 1e4 / total)).epsilon(1e-6));
    }
  }
}

// Where X/data starts in the file.
haddr_t DataOffset(const std::string& path) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  hid_t data = H5Dopen2(file, "/X/data", H5P_DEFAULT);
  const haddr_t offset = H5Dget_offset(data);
  H5Dclose(data);
  H5Fclose(file);
  REQUIRE(offset != HADDR_UNDEF);
  return offset;
}

TEST_CASE("A gather from a file truncated after opening is a storage error") {
  TempDir dir;
  std::mt19937_64 rng(3);
  const int n = 3000;
  const std::string path = dir.File("cut.h5ad");
  const std::vector<int64_t> few = {5, 2900}, many = RandomCells(1000, n, rng);
  for (int threads : {1, 4}) {
    REQUIRE(WriteH5ad(MakeRandomAtlas(n, 50, false, rng), path).ok());
    const haddr_t offset = DataOffset(path);
    H5adAtlasOptions options;
    options.io_threads = threads;
    absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path, options);
    REQUIRE(atlas.ok());
    std::filesystem::resize_file(path, offset + 4 * 1000);  // X/data ends within row ~100
    for (const auto* cells : {&few, &many}) {
      INFO("threads " << threads << ", " << cells->size() << " cells");
      absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(*cells);
      REQUIRE_FALSE(rows.ok());
      CHECK(GetErrorKind(rows.status()) == ErrorKind::kStorage);
      CHECK_THAT(std::string(rows.status().message()),
                 Catch::Contains("/X/data") && Catch::Contains("end of file"));
    }
  }
}

TEST_CASE("Categorical codes stored as int8, int16 or int32 answer the same queries and gathers") {
  // The atlas keeps codes at their stored width (the writer picks int8 below 128 categories,
  // int16 below 32,768, like pandas): every width must select, count and gather alike.
  TempDir dir;
  AnnData a = MakeSmallAtlas(false);
  const int64_t n = 40;
  auto spread_over = [&](int categories) {
    // Two used values per width, the rest of the categories unused: the width follows the
    // number of categories, not of values seen.
    Categorical c;
    for (int k = 0; k < categories; ++k) c.categories.push_back("donor-" + std::to_string(k));
    for (int64_t i = 0; i < n; ++i) c.codes.push_back(i < 20 ? 1 : categories - 1);
    c.codes[7] = -1;  // one missing value
    return c;
  };
  for (const int categories : {3, 300, 40'000}) {
    INFO(categories << " categories");
    a.obs.Find("donor_id")->values = spread_over(categories);
    const std::string path = dir.File("widths-" + std::to_string(categories) + ".h5ad");
    REQUIRE(WriteH5ad(a, path).ok());
    absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(path);
    INFO(atlas.status().ToString());
    REQUIRE(atlas.ok());
    const std::string last = "donor-" + std::to_string(categories - 1);
    absl::StatusOr<std::vector<int64_t>> last_donor =
        (*atlas)->Select(CellFilter().Where(AtlasField::kDonor, last));
    REQUIRE(last_donor.ok());
    CHECK(last_donor->size() == 20);
    CHECK(last_donor->front() == 20);
    CHECK(*(*atlas)->Values(AtlasField::kDonor) ==
          std::vector<GroupCount>{{{"donor-1"}, 19}, {{last}, 20}});
    const AtlasField by[] = {AtlasField::kDonor, AtlasField::kIsControl};
    absl::StatusOr<std::vector<GroupCount>> groups = (*atlas)->CountBy(by, CellFilter());
    REQUIRE(groups.ok());
    CHECK(groups->front() == GroupCount{{"", "false"}, 1});  // the missing donor, cell 7
    CHECK(*(*atlas)->ValueOf(AtlasField::kDonor, 7) == "");
    CHECK(*(*atlas)->ValueOf(AtlasField::kDonor, 39) == last);
    // Gathered obs: the same categories, codes of the gathered rows, as ReadH5ad gives them.
    absl::StatusOr<AnnData> gathered = (*atlas)->Gather(std::vector<int64_t>{39, 7, 0}, {});
    REQUIRE(gathered.ok());
    absl::StatusOr<AnnData> whole = ReadH5ad(path);
    REQUIRE(whole.ok());
    CHECK(gathered->obs.columns == whole->obs.TakeRows({39, 7, 0}).columns);
  }
}

TEST_CASE("A repeated query answers the same from its first scan and from the field's row lists") {
  // The first query of a field scans every cell; later ones go through row lists per code
  // (built on the second query). Both must select the same cells, in order.
  TempDir dir;
  REQUIRE(WriteH5ad(MakeSmallAtlas(false), dir.File("atlas.h5ad")).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(dir.File("atlas.h5ad"));
  REQUIRE(atlas.ok());
  const CellFilter filters[] = {
      CellFilter().Where(AtlasField::kPerturbation,
                         std::vector<std::string>{"TNF", "IFNG", "not-there"}),
      CellFilter()
          .Where(AtlasField::kCellType, std::vector<std::string>{"CL:0000236", "CL:0000576"})
          .Where(AtlasField::kPerturbation, std::vector<std::string>{"IFNG", "PBS"})
          .Where(AtlasField::kDonor, "D2"),
      CellFilter().Where(AtlasField::kIsControl, "true").Where(AtlasField::kCellType, "none"),
  };
  for (const CellFilter& filter : filters) {
    std::vector<int64_t> expected;
    for (int64_t i = 0; i < 40; ++i) {
      bool ok = true;
      for (const auto& [field, values] : filter.any_of) {
        const std::string value = *(*atlas)->ValueOf(field, i);
        ok = ok && std::find(values.begin(), values.end(), value) != values.end();
      }
      if (ok) expected.push_back(i);
    }
    for (int round = 0; round < 3; ++round) {
      INFO("round " << round);
      CHECK(*(*atlas)->Select(filter) == expected);
    }
  }
  const AtlasField by[] = {AtlasField::kPerturbation};
  const auto first = (*atlas)->CountBy(by, CellFilter().Where(AtlasField::kDonor, "D1"));
  const auto again = (*atlas)->CountBy(by, CellFilter().Where(AtlasField::kDonor, "D1"));
  REQUIRE(first.ok());
  CHECK(*first == *again);
}

TEST_CASE("A column mapping lets an atlas use its own column names") {
  TempDir dir;
  AnnData a = MakeSmallAtlas(false);
  a.obs.Find("cell_type_ontology_term_id")->name = "celltype_cl";
  a.obs.Find("donor_id")->name = "patient";
  REQUIRE(WriteH5ad(a, dir.File("custom.h5ad")).ok());

  absl::StatusOr<std::unique_ptr<CellAtlas>> unmapped = OpenH5adAtlas(dir.File("custom.h5ad"));
  REQUIRE_FALSE(unmapped.ok());
  CHECK(GetErrorKind(unmapped.status()) == ErrorKind::kStorage);
  CHECK_THAT(std::string(unmapped.status().message()),
             Catch::Contains("no column for the cell_type_ontology_term_id field") &&
                 Catch::Contains("celltype_cl"));

  testing::WriteFile(dir.path() / "mapping.json",
                     R"({"cell_type_ontology_term_id": "celltype_cl", "donor_id": "patient"})");
  absl::StatusOr<AtlasColumnMapping> mapping =
      AtlasColumnMapping::ReadFile(dir.File("mapping.json"));
  REQUIRE(mapping.ok());
  H5adAtlasOptions options;
  options.mapping = *mapping;
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas =
      OpenH5adAtlas(dir.File("custom.h5ad"), options);
  REQUIRE(atlas.ok());
  CHECK((*atlas)->Select(CellFilter().Where(AtlasField::kDonor, "D1"))->size() == 20);

  absl::StatusOr<AtlasColumnMapping> bad =
      AtlasColumnMapping::FromJson(R"({"celltype": "x"})", "m");
  CHECK(GetErrorKind(bad.status()) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("unknown field 'celltype'"));
}

TEST_CASE("Gathering a cell outside the atlas is a retrieval error") {
  TempDir dir;
  REQUIRE(WriteH5ad(MakeSmallAtlas(false), dir.File("a.h5ad")).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(dir.File("a.h5ad"));
  REQUIRE(atlas.ok());
  const std::vector<int64_t> cells = {1, 40};
  absl::StatusOr<ExpressionMatrix> rows = (*atlas)->GatherRows(cells);
  CHECK(GetErrorKind(rows.status()) == ErrorKind::kRetrieval);
  CHECK_THAT(std::string(rows.status().message()), Catch::Contains("cell index 40"));
}

}  // namespace
}  // namespace haystack

namespace haystack {
namespace {

TEST_CASE(
    "An is_control flag stored as text reads as true/false, and common column names are found") {
  TempDir dir;
  AnnData a = MakeSmallAtlas(false);
  DataFrameColumn* flag = a.obs.Find("is_control");
  const std::vector<bool> values = std::get<std::vector<bool>>(flag->values);
  std::vector<std::string> text;
  for (size_t i = 0; i < values.size(); ++i)
    text.push_back(values[i] ? (i % 2 ? "True" : "1") : "False");
  flag->values = Categorical::FromStrings(text);
  a.obs.Find("perturbation")->name = "cytokine";
  a.obs.Find("donor_id")->name = "patient";
  REQUIRE(WriteH5ad(a, dir.File("text_flag.h5ad")).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(dir.File("text_flag.h5ad"));
  REQUIRE(atlas.ok());
  auto flags = (*atlas)->Values(AtlasField::kIsControl);
  REQUIRE(flags.ok());
  int64_t controls = 0;
  for (const GroupCount& g : *flags) {
    CHECK((g.values[0] == "true" || g.values[0] == "false"));
    if (g.values[0] == "true") controls = g.cells;
  }
  CHECK(controls == std::count(values.begin(), values.end(), true));
  CHECK((*atlas)->layout().columns.at(AtlasField::kPerturbation) == "cytokine");
  CHECK((*atlas)->layout().columns.at(AtlasField::kDonor) == "patient");
}

}  // namespace
}  // namespace haystack
