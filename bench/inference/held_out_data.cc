#include "held_out_data.h"

#include <cmath>
#include <random>

namespace haystack::bench {
namespace {

DenseMatrix SampleCells(const std::vector<double>& log_rate, int cells, std::mt19937_64& rng) {
  const int genes = static_cast<int>(log_rate.size());
  std::lognormal_distribution<double> library(std::log(3000.0), 0.35);
  constexpr double kDispersion = 5.0;  // NB: Gamma(θ, μ/θ)-Poisson mixture
  DenseMatrix m(cells, genes);
  std::vector<double> counts(static_cast<size_t>(genes));
  for (int c = 0; c < cells; ++c) {
    const double size = library(rng);
    double total = 0;
    for (int g = 0; g < genes; ++g) {
      const double mean = size * std::exp(log_rate[static_cast<size_t>(g)]);
      std::gamma_distribution<double> gamma(kDispersion, mean / kDispersion);
      std::poisson_distribution<int64_t> poisson(std::max(gamma(rng), 1e-12));
      counts[static_cast<size_t>(g)] = static_cast<double>(poisson(rng));
      total += counts[static_cast<size_t>(g)];
    }
    for (int g = 0; g < genes; ++g) {
      m.at(c, g) =
          total > 0 ? static_cast<float>(std::log1p(counts[static_cast<size_t>(g)] / total * 1e4))
                    : 0.f;
    }
  }
  return m;
}

}  // namespace

HeldOutDataset MakeHeldOutDataset(const HeldOutOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  const int genes = options.genes;

  // Baseline abundance: a long-tailed profile normalised to sum 1 (log proportions).
  std::vector<double> base(static_cast<size_t>(genes));
  double sum = 0;
  for (double& b : base) {
    b = std::exp(1.5 * normal(rng));
    sum += b;
  }
  for (double& b : base) b = std::log(b / sum);

  // Shared response program: up or down by ~1 log unit.
  std::vector<double> program(static_cast<size_t>(genes), 0.0);
  for (double& p : program) {
    if (uniform(rng) < options.program_fraction)
      p = (uniform(rng) < 0.7 ? 1 : -1) * (0.6 + 0.8 * uniform(rng));
  }

  HeldOutDataset data;
  for (int t = 0; t < options.cell_types; ++t) {
    std::vector<double> type_rate = base;
    for (double& r : type_rate) r += 0.5 * normal(rng);  // cell-type identity
    const double strength = 0.5 + uniform(rng);          // program strength in this type
    std::vector<double> perturbed_rate = type_rate;
    for (int g = 0; g < genes; ++g) {
      double effect = strength * program[static_cast<size_t>(g)];
      if (uniform(rng) < options.specific_fraction) effect += 0.8 * normal(rng);
      perturbed_rate[static_cast<size_t>(g)] += effect;
    }
    data.control.push_back(SampleCells(type_rate, options.cells_per_group, rng));
    data.perturbed.push_back(SampleCells(perturbed_rate, options.cells_per_group, rng));
  }
  return data;
}

DenseMatrix StackExcept(const std::vector<DenseMatrix>& parts, int skip) {
  DenseMatrix out;
  for (int i = 0; i < static_cast<int>(parts.size()); ++i) {
    if (i == skip) continue;
    out.cols = parts[static_cast<size_t>(i)].cols;
    out.rows += parts[static_cast<size_t>(i)].rows;
    out.values.insert(out.values.end(), parts[static_cast<size_t>(i)].values.begin(),
                      parts[static_cast<size_t>(i)].values.end());
  }
  return out;
}

}  // namespace haystack::bench
