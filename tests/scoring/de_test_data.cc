#include "de_test_data.h"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

float Sample(std::mt19937_64& rng, int64_t gene, bool treated) {
  std::uniform_real_distribution<double> u(0, 1);
  switch (gene % 6) {
    case 0: {  // sparse, shifted up in treated
      if (u(rng) < (treated ? 0.6 : 0.8)) return 0.f;
      return static_cast<float>(std::log1p(1 + 4 * u(rng) + (treated ? 2 : 0)));
    }
    case 1:  // dense continuous, shifted down in treated
      return static_cast<float>(2 + u(rng) - (treated ? 0.3 : 0));
    case 2: {  // small counts: many ties
      std::poisson_distribution<int> pois(treated ? 1.5 : 1.0);
      return static_cast<float>(std::log1p(pois(rng)));
    }
    case 3:  // negative and positive values around zero (e.g. scaled data)
      return u(rng) < 0.3 ? 0.f : static_cast<float>(u(rng) - 0.5 + (treated ? 0.2 : 0));
    case 4:  // null sparse gene
      return u(rng) < 0.75 ? 0.f : static_cast<float>(std::log1p(1 + 3 * u(rng)));
    default:  // null dense gene with ties
      return static_cast<float>(std::floor(4 * u(rng)) / 2);
  }
}

}  // namespace

DePair MakeDePair(int64_t n_treated, int64_t n_control, int64_t n_genes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  DePair p{DenseMatrix(n_treated, n_genes), DenseMatrix(n_control, n_genes), {}};
  for (int64_t g = 0; g < n_genes; ++g) p.genes.push_back("G" + std::to_string(g));
  for (int64_t r = 0; r < n_treated; ++r) {
    for (int64_t g = 0; g < n_genes; ++g) p.treated.at(r, g) = Sample(rng, g, true);
  }
  for (int64_t r = 0; r < n_control; ++r) {
    for (int64_t g = 0; g < n_genes; ++g) p.control.at(r, g) = Sample(rng, g, false);
  }
  if (n_genes >= 8) {  // the last two genes: all zero, constant
    for (int64_t r = 0; r < n_treated; ++r)
      p.treated.at(r, n_genes - 2) = 0, p.treated.at(r, n_genes - 1) = 1.5f;
    for (int64_t r = 0; r < n_control; ++r)
      p.control.at(r, n_genes - 2) = 0, p.control.at(r, n_genes - 1) = 1.5f;
  }
  return p;
}

std::vector<ReferenceRow> RunScipyReference(const DePair& pair) {
  TempDir dir;
  auto write = [&](const DenseMatrix& m, const std::string& name) {
    std::ofstream out(dir.File(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(m.values.data()),
              static_cast<std::streamsize>(m.values.size() * sizeof(float)));
  };
  write(pair.treated, "treated.f32");
  write(pair.control, "control.f32");
  WriteFile(dir.File("shape.txt"), std::to_string(pair.treated.rows) + " " +
                                       std::to_string(pair.control.rows) + " " +
                                       std::to_string(pair.genes.size()));
  const ProcessResult run = RunProcess(
      {"/usr/bin/python3", (SourceDir() / "tests/scoring/reference/de_reference.py").string(),
       dir.path().string()});
  if (run.exit_code != 0) throw std::runtime_error("de_reference.py failed: " + run.stderr_text);
  std::vector<ReferenceRow> rows;
  std::istringstream in(run.stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    ReferenceRow r{};
    std::string v[10];
    for (auto& s : v) fields >> s;
    double* out[10] = {&r.u,       &r.p_mwu, &r.z_scanpy, &r.p_scanpy, &r.t,
                       &r.p_welch, &r.lfc,   &r.tested,   &r.bh,       &r.bonferroni};
    for (int i = 0; i < 10; ++i) *out[i] = std::stod(v[i]);
    rows.push_back(r);
  }
  return rows;
}

bool RelativelyEqual(double a, double b, double rel) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace haystack::testing
