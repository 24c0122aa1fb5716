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

#include "atlas_held_out.h"
#include "haystack/inference/icl_baseline.h"
#include "haystack/synth/curated_vocabulary.h"
#include "haystack/synth/synthetic_atlas.h"
#include "held_out_data.h"
#include "shift_metrics.h"

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
    const auto c = haystack::bench::CompareShifts(std::get<DenseMatrix>(q), *predicted,
                                                  data.perturbed[static_cast<size_t>(held_out)]);
    std::printf("  type %-5d %18.3f %18.4f %18.4f\n", held_out, c.r, c.rmse, c.rmse_no_change);
  }
  std::printf("  (\"no change\" predicts a zero shift: its correlation is undefined)\n");

  // The demo atlas (issue 3's generator, the data `haystack-atlas synth` writes).
  auto vocabulary = haystack::synth::ReadCuratedVocabulary(HAYSTACK_CURATED_DIR);
  if (!vocabulary.ok()) {
    std::fprintf(stderr, "%s\n", std::string(vocabulary.status().message()).c_str());
    return 1;
  }
  haystack::synth::SyntheticAtlasOptions atlas_options;
  atlas_options.cells = 40'000;
  auto atlas = haystack::synth::GenerateSyntheticAtlas(*vocabulary, atlas_options);
  if (!atlas.ok()) {
    std::fprintf(stderr, "%s\n", std::string(atlas.status().message()).c_str());
    return 1;
  }
  auto cases = haystack::bench::EvaluateHeldOut(*atlas, 30, threads);
  if (!cases.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cases.status().message()).c_str());
    return 1;
  }
  std::printf(
      "\nHeld-out evaluation on the demo atlas (GenerateSyntheticAtlas, seed %llu, %lld "
      "cells, %lld genes; cases with >= 30 cells in each group)\n",
      static_cast<unsigned long long>(atlas_options.seed), static_cast<long long>(atlas->n_obs()),
      static_cast<long long>(atlas->n_vars()));
  std::printf("  %-14s %-28s %7s %7s %7s %7s %8s %9s %9s\n", "perturbation", "held-out cell type",
              "prompt", "ref", "query", "truth", "r", "RMSE", "RMSE none");
  double sum_r = 0, sum_gain = 0;
  int wins = 0;
  for (const auto& c : *cases) {
    std::printf("  %-14s %-28s %7lld %7lld %7lld %7lld %8.3f %9.4f %9.4f\n", c.perturbation.c_str(),
                c.cell_type.c_str(), static_cast<long long>(c.prompt_cells),
                static_cast<long long>(c.reference_cells), static_cast<long long>(c.query_cells),
                static_cast<long long>(c.truth_cells), c.r_baseline, c.rmse_baseline,
                c.rmse_no_change);
    sum_r += c.r_baseline;
    sum_gain += 1 - c.rmse_baseline / c.rmse_no_change;
    wins += c.rmse_baseline < c.rmse_no_change;
  }
  if (!cases->empty()) {
    const double n = static_cast<double>(cases->size());
    std::printf("  %zu cases: mean r %.3f; RMSE below \"no change\" in %d, mean reduction %.1f%%\n",
                cases->size(), sum_r / n, wins, 100 * sum_gain / n);
  }
  return 0;
}
