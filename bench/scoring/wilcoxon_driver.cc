// Times RunDifferentialExpression (Wilcoxon, exact_ties) on a synthetic CSR comparison and
// reports wall time per thread count and peak memory. bench/scoring/compare_scipy.py runs it
// next to SciPy's vectorised mannwhitneyu and prints the ratios. Then times RunPredictionDe on
// the same matrices taken as a prediction and its control (rows in 6 donors) with the first 500
// rows of each as the prompt's evidence: the per-iteration cost of the design-aware DE.
//
//   bench_scoring_wilcoxon [--genes N] [--cells N] [--zeros F] [--threads 1,2] [--write DIR]
//
// --write DIR also writes both groups as raw CSR arrays and the p-values for the comparison
// script: {treated,control}_{indptr.i64,indices.i32,data.f32}, pvalues.f64, shape.txt.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "haystack/scoring/differential_expression.h"

namespace {

// Cells × genes with the given fraction of zeros; non-zeros look like log1p-normalised counts
// (small integer counts times a per-cell size factor, so values tie within a cell only).
haystack::CsrMatrix Generate(int64_t cells, int64_t genes, double zeros, double shift,
                             uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::geometric_distribution<int> counts(0.5);
  haystack::CsrMatrix m;
  m.rows = cells;
  m.cols = genes;
  m.indptr.reserve(static_cast<size_t>(cells) + 1);
  m.indptr.push_back(0);
  for (int64_t r = 0; r < cells; ++r) {
    const double size_factor = 0.5 + 1.5 * u(rng);
    for (int64_t g = 0; g < genes; ++g) {
      // Every tenth gene responds: more often expressed and higher in the shifted group.
      const bool responds = g % 10 == 0;
      if (u(rng) < zeros - (responds ? shift * 0.1 : 0)) continue;
      const double count = 1 + counts(rng) + (responds ? shift : 0);
      m.indices.push_back(static_cast<int32_t>(g));
      m.data.push_back(static_cast<float>(std::log1p(count * size_factor)));
    }
    m.indptr.push_back(static_cast<int64_t>(m.data.size()));
  }
  return m;
}

template <class T>
void WriteRaw(const std::string& path, const std::vector<T>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()),
            static_cast<std::streamsize>(v.size() * sizeof(T)));
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct Flags {
  int64_t genes = 20000;
  int64_t cells = 5000;
  double zeros = 0.75;
  std::vector<int> threads = {1, 2};
  std::string write_dir;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--genes") {
      f.genes = std::stoll(value);
    } else if (flag == "--cells") {
      f.cells = std::stoll(value);
    } else if (flag == "--zeros") {
      f.zeros = std::stod(value);
    } else if (flag == "--write") {
      f.write_dir = value;
    } else if (flag == "--threads") {
      f.threads.clear();
      for (size_t p = 0; p < value.size();) {
        size_t q = value.find(',', p);
        if (q == std::string::npos) q = value.size();
        f.threads.push_back(std::stoi(value.substr(p, q - p)));
        p = q + 1;
      }
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return false;
    }
  }
  return true;
}

// Runs `run` once, prints "<what> threads=N: wall, CPU (<detail of the result>)"; nullopt (the
// error printed) when it fails.
template <class Run, class Detail>
auto Timed(const std::string& what, int threads, const Run& run, const Detail& detail)
    -> std::optional<typename decltype(run())::value_type> {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  auto r = run();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return std::nullopt;
  }
  std::printf("%s threads=%d: %.3f s wall, %.3f s CPU (%s)\n", what.c_str(), threads, s, cpu,
              detail(*r).c_str());
  return *std::move(r);
}

// The first `n` rows of `m`.
haystack::ExpressionMatrix FirstRows(const haystack::CsrMatrix& m, int64_t n) {
  n = std::min(n, m.rows);
  const auto rows = static_cast<size_t>(n);
  const auto end = m.indptr[rows];
  haystack::CsrMatrix out;
  out.rows = n;
  out.cols = m.cols;
  out.indptr.assign(m.indptr.begin(), m.indptr.begin() + static_cast<std::ptrdiff_t>(rows) + 1);
  out.indices.assign(m.indices.begin(), m.indices.begin() + end);
  out.data.assign(m.data.begin(), m.data.begin() + end);
  return out;
}

// The per-iteration cost of the design-aware DE: the pair as a prediction and its control, rows
// in 6 donors, the first 500 rows of each as the prompt's evidence.
bool BenchPredictionDe(const haystack::ExpressionMatrix& treated,
                       const haystack::ExpressionMatrix& control,
                       const std::vector<std::string>& names, const std::vector<int>& threads) {
  haystack::scoring::PredictionDesign design;
  design.unit_names = {"D1", "D2", "D3", "D4", "D5", "D6"};
  for (int64_t r = 0; r < haystack::Rows(treated); ++r) {
    design.unit_of_row.push_back(static_cast<int32_t>(r % 6));
  }
  const haystack::ExpressionMatrix evidence_t =
      FirstRows(std::get<haystack::CsrMatrix>(treated), 500);
  const haystack::ExpressionMatrix evidence_c =
      FirstRows(std::get<haystack::CsrMatrix>(control), 500);
  design.evidence_treated = &evidence_t;
  design.evidence_control = &evidence_c;
  const std::string what = "haystack prediction DE (6 donors, " +
                           std::to_string(haystack::Rows(evidence_t)) + " vs " +
                           std::to_string(haystack::Rows(evidence_c)) + " evidence cells)";
  for (int n : threads) {
    haystack::scoring::DeOptions options;
    options.threads = n;
    const auto r = Timed(
        what, n,
        [&] {
          return haystack::scoring::RunPredictionDe(treated, control, names, design, options);
        },
        [](const haystack::scoring::DeResult& de) {
          return std::to_string(de.summary.n_genes_tested) + " tested";
        });
    if (!r) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  const int64_t genes = flags.genes, cells = flags.cells;
  const auto t0 = std::chrono::steady_clock::now();
  const haystack::ExpressionMatrix treated = Generate(cells, genes, flags.zeros, 1.0, 1);
  const haystack::ExpressionMatrix control = Generate(cells, genes, flags.zeros, 0.0, 2);
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& t = std::get<haystack::CsrMatrix>(treated);
  const auto& c = std::get<haystack::CsrMatrix>(control);
  const double input_mb =
      static_cast<double>((t.nnz() + c.nnz()) * 8 + (t.rows + c.rows + 2) * 8) / 1048576.0;
  std::printf(
      "data: %lld genes, %lld vs %lld cells, %.1f%% zeros, nnz %lld, CSR input %.0f MiB, "
      "generated in %.1f s\n",
      static_cast<long long>(genes), static_cast<long long>(cells), static_cast<long long>(cells),
      100.0 * (1 - static_cast<double>(t.nnz() + c.nnz()) / (2.0 * cells * genes)),
      static_cast<long long>(t.nnz() + c.nnz()), input_mb, gen_s);
  const double rss_before = PeakRssMb();
  std::vector<std::string> names;
  for (int64_t g = 0; g < genes; ++g) names.push_back("G" + std::to_string(g));
  haystack::scoring::DeResult last;
  for (int n : flags.threads) {
    haystack::scoring::DeOptions options;
    options.threads = n;
    options.min_detection_fraction = 0;  // every gene, as SciPy tests them
    auto r = Timed(
        "haystack wilcoxon", n,
        [&] {
          return haystack::scoring::RunDifferentialExpression(treated, control, names, options);
        },
        [](const haystack::scoring::DeResult& de) {
          return std::to_string(de.summary.n_up) + " up, " + std::to_string(de.summary.n_down) +
                 " down";
        });
    if (!r) return 1;
    last = *std::move(r);
  }
  if (!BenchPredictionDe(treated, control, names, flags.threads)) return 1;
  std::printf("peak RSS: %.0f MiB (%.0f MiB after generating the input)\n", PeakRssMb(),
              rss_before);
  if (!flags.write_dir.empty()) {
    const std::string& dir = flags.write_dir;
    WriteRaw(dir + "/treated_indptr.i64", t.indptr);
    WriteRaw(dir + "/treated_indices.i32", t.indices);
    WriteRaw(dir + "/treated_data.f32", t.data);
    WriteRaw(dir + "/control_indptr.i64", c.indptr);
    WriteRaw(dir + "/control_indices.i32", c.indices);
    WriteRaw(dir + "/control_data.f32", c.data);
    WriteRaw(dir + "/pvalues.f64", last.p_value);
    std::ofstream(dir + "/shape.txt") << cells << ' ' << cells << ' ' << genes << '\n';
  }
  return 0;
}
