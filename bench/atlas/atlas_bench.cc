// One atlas I/O measurement per run, printed as a JSON object (seconds, bytes, peak RSS):
//   atlas_bench write-dense --out F [--cells 50000 --genes 5000 --gzip 0]
//                           [--writer haystack|haystack-sync|haystack-names|hdf5] [--fsync]
//                           [--fresh-pages]
//                           [--no-atomic]
//       haystack: WriteH5ad of the whole AnnData (X + obs/var names); haystack-sync: the same
//       with sync on (durable when it returns: its own fsync, after a write whose writeback
//       starts as X is copied); haystack-names: WriteH5ad without X (the rest of the file
//       alone); hdf5: X alone through the HDF5 C API (H5Dcreate2 contiguous + one H5Dwrite), the
//       C twin of h5py's create_dataset.
//       --fsync: the timed span ends after an fsync of the written file.
//   atlas_bench open --atlas F
//   atlas_bench gather --atlas F [--cells 50000 --seed 1 --threads 4]
//   atlas_bench select --atlas F --where field=value[,value...]...  (Select on an open atlas;
//                                                   fields by canonical name: cell_type, ...)
//   atlas_bench sequential --atlas F --elements N   (N elements of X/data and X/indices read
//                                                   front to back: the same bytes, in order)
// compare.py runs these next to Python anndata/h5py and prints the ratios.
#include <fcntl.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "CLI/CLI.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long PeakRssBytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss * 1024L;
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "atlas_bench: %s\n", std::string(st.message()).c_str());
  return 1;
}

// Writes `bytes` of `data` twice into a scratch file and deletes it (see WriteDense).
void RecyclePageCache(const std::string& path, const void* data, size_t bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  for (size_t done = 0; done < 2 * bytes;) {
    const size_t at = done % bytes;
    const ssize_t n =
        pwrite(fd, static_cast<const char*>(data) + at, bytes - at, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  unlink(path.c_str());
}

int FsyncFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  const int rc = fsync(fd);
  close(fd);
  return rc;
}

// X alone through the HDF5 C API, as h5py's create_dataset does it.
bool WriteRawHdf5(const std::string& out, const haystack::DenseMatrix& x) {
  const hid_t file = H5Fcreate(out.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) return false;
  const hsize_t dims[2] = {static_cast<hsize_t>(x.rows), static_cast<hsize_t>(x.cols)};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t dset =
      H5Dcreate2(file, "X", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const bool ok = dset >= 0 && H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                        x.values.data()) >= 0;
  if (dset >= 0) H5Dclose(dset);
  H5Sclose(space);
  return H5Fclose(file) >= 0 && ok;
}

int WriteDense(const std::string& out, int64_t cells, int64_t genes, int gzip,
               const std::string& writer, bool do_fsync, bool fresh_pages, bool atomic) {
  haystack::AnnData a;
  for (int64_t i = 0; i < cells; ++i) a.obs.index.push_back("cell" + std::to_string(i));
  for (int64_t j = 0; j < genes; ++j) a.var.index.push_back("gene" + std::to_string(j));
  haystack::DenseMatrix x(cells, genes);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.f, 4.f);
  for (float& v : x.values) v = u(rng);
  a.x = std::move(x);
  haystack::H5adWriteOptions options;
  options.gzip_level = gzip;
  options.atomic = atomic;
  options.sync = writer == "haystack-sync";
  // On this VM, writing into page-cache pages the guest has not used recently costs several
  // times more than the copy itself (docs/atlas.md); pages freed by deleting a file are
  // reused cheaply. So every writer in compare.py first writes and deletes a scratch file of
  // twice X's size, and the timed write lands on recycled pages (--fresh-pages skips this).
  // Twice, because with one copy the C++ writers still hit unused pages and measured 0.7x
  // the Python ones for the same HDF5 call; the Python writers had another 1 GB of recently
  // freed memory (numpy's temporary for `random() * 4`).
  const auto& dense = std::get<haystack::DenseMatrix>(*a.x);
  if (!fresh_pages) {
    RecyclePageCache(out + ".scratch", dense.values.data(), dense.values.size() * sizeof(float));
  }
  if (writer == "haystack-names") a.x.reset();  // (freeing 1 GB is not part of the write)
  std::remove(out.c_str());
  double fsync_s = 0;
  const auto t = Clock::now();
  if (writer == "hdf5") {
    if (!WriteRawHdf5(out, dense)) return Fail(absl::UnavailableError("HDF5 write failed"));
  } else {
    if (absl::Status st = haystack::WriteH5ad(a, out, options); !st.ok()) return Fail(st);
  }
  if (do_fsync) {
    const auto f = Clock::now();
    if (FsyncFile(out) != 0) return Fail(absl::UnavailableError("fsync failed"));
    fsync_s = Since(f);
  }
  const double s = Since(t);
  const double bytes = static_cast<double>(cells * genes * 4);
  std::printf(
      "{\"seconds\": %.4f, \"fsync_seconds\": %.4f, \"bytes\": %.0f, \"gb_per_s\": %.4f, "
      "\"peak_rss\": %ld}\n",
      s, fsync_s, bytes, bytes / s / 1e9, PeakRssBytes());
  return 0;
}

int Open(const std::string& path) {
  const long before = PeakRssBytes();
  const auto t = Clock::now();
  absl::StatusOr<std::unique_ptr<haystack::CellAtlas>> atlas = haystack::OpenH5adAtlas(path);
  if (!atlas.ok()) return Fail(atlas.status());
  const double s = Since(t);
  std::printf("{\"seconds\": %.4f, \"cells\": %lld, \"peak_rss\": %ld, \"rss_before\": %ld}\n", s,
              static_cast<long long>((*atlas)->num_cells()), PeakRssBytes(), before);
  return 0;
}

std::vector<int64_t> RandomCells(int64_t n_cells, int64_t k, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> all(static_cast<size_t>(n_cells));
  for (int64_t i = 0; i < n_cells; ++i) all[static_cast<size_t>(i)] = i;
  // Partial Fisher-Yates: k distinct cells, then sorted (anndata's backed X[idx] needs that).
  for (int64_t i = 0; i < k; ++i) {
    std::uniform_int_distribution<int64_t> d(i, n_cells - 1);
    std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(d(rng))]);
  }
  all.resize(static_cast<size_t>(k));
  std::sort(all.begin(), all.end());
  return all;
}

int Gather(const std::string& path, int64_t k, unsigned seed, int threads,
           const std::string& indices_file) {
  haystack::H5adAtlasOptions options;
  options.io_threads = threads;
  absl::StatusOr<std::unique_ptr<haystack::CellAtlas>> atlas =
      haystack::OpenH5adAtlas(path, options);
  if (!atlas.ok()) return Fail(atlas.status());
  std::vector<int64_t> cells;
  if (indices_file.empty()) {
    cells = RandomCells((*atlas)->num_cells(), k, seed);
  } else {  // one index per line (compare.py passes the cells anndata gathers)
    std::FILE* f = std::fopen(indices_file.c_str(), "r");
    if (f == nullptr) return Fail(absl::NotFoundError(indices_file));
    long long v;
    while (std::fscanf(f, "%lld", &v) == 1) cells.push_back(v);
    std::fclose(f);
    k = static_cast<int64_t>(cells.size());
  }
  const long before = PeakRssBytes();
  const auto t = Clock::now();
  absl::StatusOr<haystack::ExpressionMatrix> rows = (*atlas)->GatherRows(cells);
  if (!rows.ok()) return Fail(rows.status());
  const double s = Since(t);
  const auto& m = std::get<haystack::CsrMatrix>(*rows);
  // The bytes a gather must read: the rows' data and indices (4 + 4 bytes per non-zero).
  const long bytes = m.nnz() * 8;
  std::printf(
      "{\"seconds\": %.4f, \"cells\": %lld, \"nnz\": %lld, \"bytes\": %ld, \"peak_rss\": %ld, "
      "\"rss_before\": %ld}\n",
      s, static_cast<long long>(k), static_cast<long long>(m.nnz()), bytes, PeakRssBytes(), before);
  return 0;
}

// Select on an opened atlas (the open is not timed): the cells matching every --where.
int Select(const std::string& path, const std::vector<std::string>& where) {
  absl::StatusOr<std::unique_ptr<haystack::CellAtlas>> atlas = haystack::OpenH5adAtlas(path);
  if (!atlas.ok()) return Fail(atlas.status());
  haystack::CellFilter filter;
  for (const std::string& w : where) {
    const size_t eq = w.find('=');
    const auto field = haystack::AtlasFieldFromName(w.substr(0, eq));
    if (eq == std::string::npos || !field) {
      return Fail(absl::InvalidArgumentError("--where wants field=value[,value...]: " + w));
    }
    std::vector<std::string> values;
    for (size_t at = eq + 1; at <= w.size();) {
      const size_t comma = std::min(w.find(',', at), w.size());
      values.push_back(w.substr(at, comma - at));
      at = comma + 1;
    }
    filter.Where(*field, std::move(values));
  }
  const auto t = Clock::now();
  absl::StatusOr<std::vector<int64_t>> cells = (*atlas)->Select(filter);
  if (!cells.ok()) return Fail(cells.status());
  const double s = Since(t);
  std::printf("{\"seconds\": %.4f, \"cells\": %zu, \"peak_rss\": %ld}\n", s, cells->size(),
              PeakRssBytes());
  return 0;
}

int Sequential(const std::string& path, int64_t elements) {
  // Locate X/data and X/indices through a tiny atlas open (the offsets are not public), then
  // read `elements` of each from their starts with large preads.
  absl::StatusOr<std::unique_ptr<haystack::CellAtlas>> atlas = haystack::OpenH5adAtlas(path);
  if (!atlas.ok()) return Fail(atlas.status());
  // Reading the same number of rows from the start of the file through a gather of a
  // contiguous block: one pread per array, i.e. a sequential read of the same bytes.
  int64_t rows = 0, nnz = 0;
  {
    // Find how many leading rows hold `elements` non-zeros.
    std::vector<int64_t> probe;
    const int64_t step = 4096;
    while (nnz < elements && rows < (*atlas)->num_cells()) {
      probe.clear();
      for (int64_t i = rows; i < std::min(rows + step, (*atlas)->num_cells()); ++i) {
        probe.push_back(i);
      }
      absl::StatusOr<haystack::ExpressionMatrix> m = (*atlas)->GatherRows(probe);
      if (!m.ok()) return Fail(m.status());
      nnz += std::get<haystack::CsrMatrix>(*m).nnz();
      rows += static_cast<int64_t>(probe.size());
    }
  }
  std::vector<int64_t> block(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) block[static_cast<size_t>(i)] = i;
  const auto t = Clock::now();
  absl::StatusOr<haystack::ExpressionMatrix> m = (*atlas)->GatherRows(block);
  if (!m.ok()) return Fail(m.status());
  const double s = Since(t);
  std::printf("{\"seconds\": %.4f, \"rows\": %lld, \"bytes\": %lld}\n", s,
              static_cast<long long>(rows),
              static_cast<long long>(std::get<haystack::CsrMatrix>(*m).nnz() * 8));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"atlas_bench"};
  app.require_subcommand(1);
  std::string out, atlas;
  int64_t cells = 50'000, genes = 5'000, elements = 0;
  int gzip = 0, threads = 4;
  unsigned seed = 1;
  auto* wd = app.add_subcommand("write-dense");
  wd->add_option("--out", out)->required();
  wd->add_option("--cells", cells);
  wd->add_option("--genes", genes);
  wd->add_option("--gzip", gzip);
  std::string writer = "haystack";
  bool do_fsync = false, fresh_pages = false, no_atomic = false;
  wd->add_option("--writer", writer)
      ->check(CLI::IsMember({"haystack", "haystack-sync", "haystack-names", "hdf5"}));
  wd->add_flag("--fsync", do_fsync);
  wd->add_flag("--fresh-pages", fresh_pages);
  wd->add_flag("--no-atomic", no_atomic);
  auto* op = app.add_subcommand("open");
  op->add_option("--atlas", atlas)->required();
  auto* ga = app.add_subcommand("gather");
  ga->add_option("--atlas", atlas)->required();
  ga->add_option("--cells", cells);
  ga->add_option("--seed", seed);
  ga->add_option("--threads", threads);
  std::string indices_file;
  ga->add_option("--indices", indices_file);
  auto* se = app.add_subcommand("select");
  se->add_option("--atlas", atlas)->required();
  std::vector<std::string> where;
  se->add_option("--where", where)->required();
  auto* sq = app.add_subcommand("sequential");
  sq->add_option("--atlas", atlas)->required();
  sq->add_option("--elements", elements)->required();
  CLI11_PARSE(app, argc, argv);
  if (*wd) return WriteDense(out, cells, genes, gzip, writer, do_fsync, fresh_pages, !no_atomic);
  if (*op) return Open(atlas);
  if (*ga) return Gather(atlas, cells, seed, threads, indices_file);
  if (*se) return Select(atlas, where);
  return Sequential(atlas, elements);
}
