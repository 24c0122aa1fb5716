// inference_bench: the CPU in-context baseline's throughput and its held-out accuracy.
//
//   build/bench/inference/inference_bench [--threads N] [--no-numpy]
//
// 1. Throughput: PredictIcl (effect estimation + prediction) on random log1p-like matrices of
//    2,000 and 20,000 query cells × 2,000 genes with 1,000 prompt and 1,000 reference cells;
//    best of 3. The same computation in NumPy (numpy_baseline.py, Debian's /usr/bin/python3)
//    runs on the same shapes in the same run, and the ratio is printed.
// 2. Held-out evaluation: on a seeded synthetic perturbation dataset (held_out_data.h), the
//    perturbed cells of one cell type are held out; the prompt is the perturbed cells of the
//    other types, the reference their control cells, the query the held-out type's control
//    cells. Printed: Pearson r and RMSE between predicted and observed pseudobulk shift
//    (mean over cells, per gene), against the "no change" baseline (prediction = query).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "haystack/inference/icl_baseline.h"
#include "held_out_data.h"

namespace {

using haystack::DenseMatrix;
using haystack::ExpressionMatrix;

DenseMatrix RandomExpression(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(0.f, 3.f);
  DenseMatrix m(rows, cols);
  for (float& v : m.values) v = (rng() % 10 < 4) ? value(rng) : 0.f;
  return m;
}

double NumpyCellsPerSecond(int64_t query, int64_t prompt, int64_t genes) {
  const std::string command = "/usr/bin/python3 " HAYSTACK_NUMPY_BASELINE_SCRIPT " " +
                              std::to_string(query) + " " + std::to_string(prompt) + " " +
                              std::to_string(genes);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return 0;
  char line[256] = {};
  double value = 0;
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::sscanf(line, "cells_per_second %lf", &value);
  }
  return value;
}

std::vector<double> ColumnMeans(const DenseMatrix& m) {
  std::vector<double> mean(static_cast<size_t>(m.cols), 0.0);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t g = 0; g < m.cols; ++g) mean[static_cast<size_t>(g)] += m.at(r, g);
  }
  for (double& v : mean) v /= static_cast<double>(m.rows);
  return mean;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

double Rmse(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s / static_cast<double>(a.size()));
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  bool numpy = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--no-numpy") == 0) numpy = false;
  }
  constexpr int64_t kGenes = 2000;
  constexpr int64_t kContext = 1000;
  const ExpressionMatrix prompt = RandomExpression(kContext, kGenes, 1);
  const ExpressionMatrix reference = RandomExpression(kContext, kGenes, 2);
  std::printf(
      "CPU ICL baseline throughput (%lld genes, %lld prompt + %lld reference cells, "
      "threads=%d (0 = all cores), best of 3)\n",
      static_cast<long long>(kGenes), static_cast<long long>(kContext),
      static_cast<long long>(kContext), threads);
  for (int64_t cells : {2'000, 20'000}) {
    const ExpressionMatrix query = RandomExpression(cells, kGenes, 3);
    double best = 1e300;
    for (int rep = 0; rep < 3; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      auto predicted =
          haystack::PredictIcl({.prompt = &prompt, .reference = &reference, .query = &query},
                               haystack::IclOptions{.threads = threads}, haystack::StopToken());
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!predicted.ok()) {
        std::fprintf(stderr, "PredictIcl failed: %s\n",
                     std::string(predicted.status().message()).c_str());
        return 1;
      }
      best = std::min(best, seconds);
    }
    const double ours = static_cast<double>(cells) / best;
    std::printf("  %6lld query cells: %12.0f cells/s (%.3f s)", static_cast<long long>(cells), ours,
                best);
    if (numpy) {
      const double theirs = NumpyCellsPerSecond(cells, kContext, kGenes);
      if (theirs > 0) std::printf("   numpy %12.0f cells/s   ratio %.2fx", theirs, ours / theirs);
    }
    std::printf("\n");
  }

  haystack::bench::HeldOutOptions data_options;
  const auto data = haystack::bench::MakeHeldOutDataset(data_options);
  std::printf(
      "\nHeld-out evaluation: synthetic dataset (seed %llu, %d genes, %d cell types, %d "
      "cells per type and condition); perturbed cells of the query type held out\n",
      static_cast<unsigned long long>(data_options.seed), data_options.genes,
      data_options.cell_types, data_options.cells_per_group);
  std::printf("  %-10s %18s %18s %18s\n", "held out", "r (baseline)", "RMSE (baseline)",
              "RMSE (no change)");
  for (int held_out = 0; held_out < data_options.cell_types; ++held_out) {
    const ExpressionMatrix p = haystack::bench::StackExcept(data.perturbed, held_out);
    const ExpressionMatrix r = haystack::bench::StackExcept(data.control, held_out);
    const ExpressionMatrix q = data.control[static_cast<size_t>(held_out)];
    auto predicted = haystack::PredictIcl({.prompt = &p, .reference = &r, .query = &q},
                                          haystack::IclOptions{.threads = threads, .seed = 1},
                                          haystack::StopToken());
    if (!predicted.ok()) return 1;
    const auto query_mean = ColumnMeans(std::get<DenseMatrix>(q));
    const auto truth_mean = ColumnMeans(data.perturbed[static_cast<size_t>(held_out)]);
    const auto predicted_mean = ColumnMeans(*predicted);
    std::vector<double> observed(query_mean.size()), shift(query_mean.size()),
        none(query_mean.size(), 0.0);
    for (size_t g = 0; g < query_mean.size(); ++g) {
      observed[g] = truth_mean[g] - query_mean[g];
      shift[g] = predicted_mean[g] - query_mean[g];
    }
    std::printf("  type %-5d %18.3f %18.4f %18.4f\n", held_out, Pearson(shift, observed),
                Rmse(shift, observed), Rmse(none, observed));
  }
  std::printf("  (\"no change\" predicts a zero shift: its correlation is undefined)\n");
  return 0;
}
