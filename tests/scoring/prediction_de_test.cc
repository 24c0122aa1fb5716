// RunPredictionDe: predictions against their control, cell by cell, tested over the design's
// independent units (docs/scoring.md §1.2), checked against SciPy on the same data.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "catch2/catch.hpp"
#include "de_test_data.h"
#include "haystack/core/error.h"
#include "haystack/scoring/differential_expression.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::scoring {
namespace {

using testing::RelativelyEqual;

constexpr int kGenes = 160;

// Real-looking log1p values: zero with probability `zero`, else log1p of a level around `mean`.
float Draw(std::mt19937_64& rng, double mean, double zero) {
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng) < zero) return 0.f;
  return static_cast<float>(std::log1p(mean * (0.5 + u(rng))));
}

// A prediction made like the CPU baseline makes it: the query cells shifted gene by gene by what
// the prompt showed. Genes 0..19 respond (up for even, down for odd genes); in `donor_noise` the
// predicted shift also varies by donor; genes 150.. are never detected.
struct Case {
  DenseMatrix query, treated, control, evidence_t, evidence_c;
  std::vector<int32_t> units;
  std::vector<std::string> unit_names, genes;
};

Case MakeCase(int donors, int cells_per_donor, double donor_noise, bool real_effect,
              uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  Case c;
  for (int g = 0; g < kGenes; ++g) c.genes.push_back("G" + std::to_string(g));
  auto base = [](int g) { return 1.0 + (g % 13); };
  auto zero = [](int g) { return g >= 150 ? 1.0 : 0.2 + 0.05 * (g % 10); };
  auto effect = [&](int g) { return real_effect && g < 20 ? (g % 2 == 0 ? 2.0 : -0.8) : 0.0; };
  c.evidence_t = DenseMatrix(25, kGenes);
  c.evidence_c = DenseMatrix(40, kGenes);
  for (int64_t r = 0; r < 25; ++r) {
    for (int g = 0; g < kGenes; ++g) {
      c.evidence_t.at(r, g) = Draw(rng, base(g) * std::exp(effect(g)), zero(g));
    }
  }
  for (int64_t r = 0; r < 40; ++r) {
    for (int g = 0; g < kGenes; ++g) c.evidence_c.at(r, g) = Draw(rng, base(g), zero(g));
  }
  // The shift the prompt shows, as the baseline computes it (difference of log1p means).
  std::vector<double> shift(kGenes, 0);
  for (int g = 0; g < kGenes; ++g) {
    double mt = 0, mc = 0;
    for (int64_t r = 0; r < 25; ++r) mt += c.evidence_t.at(r, g) / 25.0;
    for (int64_t r = 0; r < 40; ++r) mc += c.evidence_c.at(r, g) / 40.0;
    shift[static_cast<size_t>(g)] = mt - mc;
  }
  const int rows = donors * cells_per_donor;
  c.query = DenseMatrix(rows, kGenes);
  c.treated = DenseMatrix(rows, kGenes);
  c.control = DenseMatrix(rows, kGenes);
  for (int d = 0; d < donors; ++d) c.unit_names.push_back("D" + std::to_string(d + 1));
  std::vector<double> donor_shift(static_cast<size_t>(donors * kGenes));
  for (double& v : donor_shift) v = donor_noise * normal(rng);
  for (int64_t r = 0; r < rows; ++r) {
    const int d = static_cast<int>(r) / cells_per_donor;
    c.units.push_back(d);
    for (int g = 0; g < kGenes; ++g) {
      const float q = Draw(rng, base(g) * (1 + 0.2 * d), zero(g));
      c.query.at(r, g) = q;
      c.control.at(r, g) = q;
      const double s = shift[static_cast<size_t>(g)] +
                       (g < 20 ? donor_shift[static_cast<size_t>(d * kGenes + g)] : 0);
      c.treated.at(r, g) = q == 0 ? 0.f : static_cast<float>(std::max(0.0, q + s));
    }
  }
  return c;
}

// A case's design: its donors as units and its prompt cells as evidence (the evidence matrices
// live as long as this object).
struct Designed {
  explicit Designed(const Case& c, bool with_evidence = true, bool with_units = true)
      : evidence_t(c.evidence_t), evidence_c(c.evidence_c) {
    if (with_units) {
      design.unit_of_row = c.units;
      design.unit_names = c.unit_names;
    }
    if (with_evidence) {
      design.evidence_treated = &evidence_t;
      design.evidence_control = &evidence_c;
      design.evidence_description = "25 prompt cells and 40 control cells of one donor";
    }
  }
  Designed(const Designed&) = delete;
  Designed& operator=(const Designed&) = delete;

  ExpressionMatrix evidence_t, evidence_c;
  PredictionDesign design;
};

DeResult MustRun(const Case& c, const PredictionDesign& d, DeOptions o = {}) {
  o.threads = 2;
  auto r = RunPredictionDe(ExpressionMatrix(c.treated), ToCsr(c.control), c.genes, d, o);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

struct ReferenceRow {
  double lfc, tested, p_units, p_evidence, p, q;
};

void WriteMatrix(const DenseMatrix& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(m.values.data()),
            static_cast<std::streamsize>(m.values.size() * sizeof(float)));
}

std::vector<ReferenceRow> Reference(const Case& c, const std::vector<int32_t>& ec_units) {
  testing::TempDir dir;
  WriteMatrix(c.treated, dir.File("treated.f32"));
  WriteMatrix(c.control, dir.File("control.f32"));
  WriteMatrix(c.evidence_t, dir.File("evidence_t.f32"));
  WriteMatrix(c.evidence_c, dir.File("evidence_c.f32"));
  auto write_ints = [&](const std::vector<int32_t>& v, const std::string& name) {
    std::ofstream out(dir.File(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(int32_t)));
  };
  write_ints(c.units, "units.i32");
  write_ints(ec_units, "ec_units.i32");
  testing::WriteFile(dir.File("shape.txt"), std::to_string(c.treated.rows) + " " +
                                                std::to_string(kGenes) + " " +
                                                std::to_string(c.evidence_t.rows) + " " +
                                                std::to_string(c.evidence_c.rows));
  const auto run = testing::RunProcess(
      {"/usr/bin/python3",
       (testing::SourceDir() / "tests/scoring/reference/prediction_de_reference.py").string(),
       dir.path().string()});
  REQUIRE(run.exit_code == 0);
  std::vector<ReferenceRow> rows;
  std::istringstream in(run.stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string v[6];
    for (auto& s : v) f >> s;
    rows.push_back({std::stod(v[0]), std::stod(v[1]), std::stod(v[2]), std::stod(v[3]),
                    std::stod(v[4]), std::stod(v[5])});
  }
  REQUIRE(rows.size() == static_cast<size_t>(kGenes));
  return rows;
}

void CheckAgainst(const DeResult& r, const std::vector<ReferenceRow>& ref) {
  for (size_t g = 0; g < ref.size(); ++g) {
    INFO("gene " << g);
    CHECK(r.tested[g] == (ref[g].tested == 1));
    CHECK(RelativelyEqual(r.log2_fold_change[g], ref[g].lfc, 1e-9));
    CHECK(RelativelyEqual(r.p_units[g], ref[g].p_units, 1e-9));
    CHECK(RelativelyEqual(r.p_evidence[g], ref[g].p_evidence, 1e-9));
    CHECK(RelativelyEqual(r.p_value[g], ref[g].p, 1e-9));
    CHECK(RelativelyEqual(r.adjusted_p_value[g], ref[g].q, 1e-9));
  }
}

TEST_CASE(
    "paired t across donors and Wilcoxon on the prompt's cells, combined by their maximum, "
    "equal SciPy (ttest_rel, mannwhitneyu) and BH over the detected genes") {
  const Case c = MakeCase(5, 40, 0.15, true, 7);
  Designed designed(c);
  PredictionDesign& d = designed.design;
  const DeResult r = MustRun(c, d);
  CheckAgainst(r, Reference(c, {}));
  CHECK(r.summary.n_units == 5);
  CHECK(r.summary.n_genes_filtered == 10);  // genes 150.. are never detected
  CHECK_THAT(r.summary.design, Catch::Contains("paired t across 5 donor_id units"));
  CHECK_THAT(r.summary.design, Catch::Contains("intersection-union"));
  // Most strongly induced genes are found, none of the genes that do not respond; every p is
  // bounded by the real evidence.
  int found = 0, false_calls = 0;
  for (size_t g = 0; g < r.genes.size(); ++g) {
    if (g < 20 && g % 2 == 0) found += r.is_de[g] && r.log2_fold_change[g] > 0;
    if (g >= 20) false_calls += r.is_de[g];
  }
  CHECK(found >= 5);  // the sparse ones need more than 25 vs 40 prompt cells
  CHECK(false_calls == 0);
  for (size_t g = 0; g < r.genes.size(); ++g) {
    if (r.tested[g]) CHECK(r.p_value[g] >= r.p_evidence[g]);
  }
}

TEST_CASE(
    "a prompt donor without matched controls is compared with other donors (Crawford-Howell)") {
  const Case c = MakeCase(4, 30, 0.2, true, 11);
  Designed designed(c);
  PredictionDesign& d = designed.design;
  // The 40 control cells come from 3 other donors.
  std::vector<int32_t> ec_units;
  for (int r = 0; r < 40; ++r) ec_units.push_back(r % 3 == 0 ? 0 : (r % 3 == 1 ? 1 : 2));
  // Each of the three donors needs 10+ cells: 14, 13, 13.
  d.evidence_control_unit = ec_units;
  d.evidence_control_unit_names = {"D7", "D8", "D9"};
  const DeResult r = MustRun(c, d);
  CheckAgainst(r, Reference(c, ec_units));
  CHECK_THAT(r.summary.design, Catch::Contains("Crawford"));
  CHECK_THAT(r.summary.caveats.back(), Catch::Contains("other donors"));
}

TEST_CASE("a deterministic shift is certain across donors, and the evidence bounds its p-value") {
  const Case c = MakeCase(6, 30, 0.0, true, 13);
  Designed designed(c);
  PredictionDesign& d = designed.design;
  const DeResult r = MustRun(c, d);
  // Every donor moved by nearly the same amount, so the unit test alone would be near 0; the
  // p-value is the prompt evidence's, whose n is its 25 + 40 real cells.
  double smallest = 1;
  for (size_t g = 0; g < r.genes.size(); ++g) {
    if (!r.tested[g]) continue;
    CHECK(r.p_value[g] == std::max(r.p_units[g], r.p_evidence[g]));
    smallest = std::min(smallest, r.p_value[g]);
  }
  CHECK(smallest > 1e-16);  // 25 vs 40 cells cannot say more
}

TEST_CASE("with one donor the p-value rests on the evidence alone, and the report says so") {
  const Case c = MakeCase(1, 60, 0.0, true, 17);
  Designed designed(c);
  PredictionDesign& d = designed.design;
  const DeResult r = MustRun(c, d);
  CHECK(r.summary.n_units == 1);
  REQUIRE_FALSE(r.summary.caveats.empty());
  CHECK_THAT(r.summary.caveats.front(), Catch::Contains("cannot be checked across donor_ids"));
  for (size_t g = 0; g < r.genes.size(); ++g) {
    if (!r.tested[g]) continue;
    CHECK(std::isnan(r.p_units[g]));
    CHECK(r.p_value[g] == r.p_evidence[g]);
  }
  CHECK_FALSE(r.up.empty());
}

TEST_CASE("without real evidence nothing is called, however consistent the donors") {
  const Case c = MakeCase(5, 30, 0.0, true, 19);
  Designed units_only(c, /*with_evidence=*/false);
  const DeResult r = MustRun(c, units_only.design);
  CHECK(r.up.empty());
  CHECK(r.down.empty());
  CHECK(r.summary.n_genes_tested == 0);
  CHECK_THAT(r.summary.design, Catch::Contains("none"));
  CHECK_THAT(r.summary.caveats.back(), Catch::Contains("No evidence test"));
  // A prompt of 4 cells is still evidence, only weak: nothing it cannot support is called.
  Case small = c;
  small.evidence_t = DenseMatrix(4, kGenes);
  for (int64_t r4 = 0; r4 < 4; ++r4) {
    for (int g = 0; g < kGenes; ++g) small.evidence_t.at(r4, g) = c.evidence_t.at(r4, g);
  }
  Designed weak(small);
  const DeResult w = MustRun(small, weak.design);
  CHECK(w.summary.n_genes_tested > 0);
  for (size_t g = 0; g < w.genes.size(); ++g) {
    if (w.tested[g]) CHECK(w.p_value[g] > 1e-4);
  }
}

TEST_CASE(
    "a prompt with no real effect (shuffled labels) gives no call below 1e-6, where cells as "
    "replicates give many") {
  int calls = 0, tiny = 0, cell_level_tiny = 0, tested = 0;
  for (uint64_t seed : {31, 32, 33, 34, 35}) {
    const Case c = MakeCase(6, 40, 0.0, /*real_effect=*/false, seed);
    Designed designed(c);
    const PredictionDesign& d = designed.design;
    const DeResult r = MustRun(c, d);
    for (size_t g = 0; g < r.genes.size(); ++g) {
      tested += r.tested[g];
      calls += r.is_de[g];
      tiny += r.tested[g] && r.p_value[g] < 1e-6;
    }
    // The same prediction with its cells taken as replicates: the noise shift the prompt
    // happened to show becomes "significant" 240 times over.
    auto naive = RunDifferentialExpression(c.treated, c.control, c.genes, DeOptions{});
    REQUIRE(naive.ok());
    for (size_t g = 0; g < naive->genes.size(); ++g) {
      cell_level_tiny += naive->tested[g] && naive->p_value[g] < 1e-6;
    }
  }
  INFO(calls << " calls, " << tiny << " p < 1e-6 among " << tested << " tested genes; cells as "
             << "replicates: " << cell_level_tiny);
  CHECK(tiny == 0);
  CHECK(calls <= tested / 100);
  CHECK(cell_level_tiny > 20);
}

TEST_CASE("log2 fold changes stay finite and bounded by the data, means are of the log values") {
  const Case c = MakeCase(3, 20, 0.2, true, 41);
  Designed designed(c);
  PredictionDesign& d = designed.design;
  const DeResult r = MustRun(c, d);
  double largest = 0;
  for (float v : c.treated.values) largest = std::max(largest, static_cast<double>(v));
  for (float v : c.control.values) largest = std::max(largest, static_cast<double>(v));
  const double bound = std::log2(std::expm1(largest) + 1);
  for (double lfc : r.log2_fold_change) {
    CHECK(std::isfinite(lfc));
    CHECK(std::fabs(lfc) <= bound);
  }
  for (int64_t g = 0; g < kGenes; ++g) {
    double treated = 0, control = 0;
    for (int64_t row = 0; row < c.treated.rows; ++row) {
      treated += c.treated.at(row, g);
      control += c.control.at(row, g);
    }
    const auto rows = static_cast<double>(c.treated.rows);
    CHECK(r.mean_treated[static_cast<size_t>(g)] == Approx(treated / rows).epsilon(1e-12));
    CHECK(r.mean_control[static_cast<size_t>(g)] == Approx(control / rows).epsilon(1e-12));
  }
}

TEST_CASE("mismatched rows, unit labels and genes are EvaluationErrors") {
  const Case c = MakeCase(2, 15, 0.1, true, 43);
  Designed designed(c, false);
  PredictionDesign& d = designed.design;
  auto fewer = RunPredictionDe(c.treated, c.evidence_c, c.genes, d, {});
  REQUIRE_FALSE(fewer.ok());
  CHECK(GetErrorKind(fewer.status()) == ErrorKind::kEvaluation);
  CHECK_THAT(std::string(fewer.status().message()), Catch::Contains("cell by cell"));
  d.unit_of_row.pop_back();
  CHECK_FALSE(RunPredictionDe(c.treated, c.control, c.genes, d, {}).ok());
  d.unit_of_row = c.units;
  d.unit_of_row[0] = 9;
  CHECK_FALSE(RunPredictionDe(c.treated, c.control, c.genes, d, {}).ok());
  d.unit_of_row = c.units;
  const std::vector<std::string> short_genes(c.genes.begin(), c.genes.end() - 1);
  CHECK_FALSE(RunPredictionDe(c.treated, c.control, short_genes, d, {}).ok());
}

}  // namespace
}  // namespace haystack::scoring
