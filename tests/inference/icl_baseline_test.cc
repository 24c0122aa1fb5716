#include "haystack/inference/icl_baseline.h"

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "catch2/catch.hpp"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

// Log1p-like expression: mostly zeros, some positive values.
DenseMatrix RandomExpression(int64_t rows, int64_t cols, uint64_t seed, float offset = 0.f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(0.f, 3.f);
  std::bernoulli_distribution expressed(0.4);
  DenseMatrix m(rows, cols);
  for (float& v : m.values) v = expressed(rng) ? value(rng) + offset : 0.f;
  return m;
}

std::string Bytes(const DenseMatrix& m) {
  return std::string(reinterpret_cast<const char*>(m.values.data()), m.values.size() * 4);
}

TEST_CASE("ICL baseline matches an independent NumPy computation", "[icl]") {
  DenseMatrix prompt = RandomExpression(300, 57, 1, 0.5f);
  for (int64_t r = 0; r < prompt.rows; ++r) prompt.at(r, 0) = 0.f;  // gene 0 goes down: clipping
  const DenseMatrix reference = RandomExpression(200, 57, 2);
  const DenseMatrix query = RandomExpression(700, 57, 3);
  const ExpressionMatrix p = prompt, r = reference, q = query;

  for (bool with_reference : {true, false}) {
    DYNAMIC_SECTION("reference given: " << with_reference) {
      testing::TempDir dir;
      testing::WriteFile(dir.File("shape.txt"),
                         fmt::format("300 {} 700 57", with_reference ? 200 : 0));
      testing::WriteFile(dir.File("prompt.f32"), Bytes(prompt));
      testing::WriteFile(dir.File("reference.f32"), Bytes(reference));
      testing::WriteFile(dir.File("query.f32"), Bytes(query));
      const auto py = testing::RunProcess(
          {"/usr/bin/python3", (testing::SourceDir() / "tests/inference/icl_reference.py").string(),
           dir.path().string()});
      INFO(py.stderr_text);
      REQUIRE(py.exit_code == 0);
      const std::string expected_bytes = testing::ReadFile(dir.File("expected.f32"));
      REQUIRE(expected_bytes.size() == query.values.size() * 4);
      std::vector<float> expected(query.values.size());
      std::memcpy(expected.data(), expected_bytes.data(), expected_bytes.size());

      IclInputs inputs{.prompt = &p, .reference = with_reference ? &r : nullptr, .query = &q};
      auto predicted = PredictIcl(inputs, IclOptions{.threads = 3}, StopToken());
      REQUIRE(predicted.ok());
      REQUIRE(predicted->rows == 700);
      REQUIRE(predicted->cols == 57);
      double max_diff = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(double{expected[i]} - predicted->values[i]));
      }
      CHECK(max_diff < 1e-5);
      // Clipping happened somewhere (the shift is negative for some genes) and nothing is < 0.
      CHECK(*std::min_element(predicted->values.begin(), predicted->values.end()) == 0.f);
    }
  }
}

TEST_CASE("ICL baseline is deterministic for a seed and independent of threads", "[icl]") {
  const ExpressionMatrix p = RandomExpression(5000, 40, 11, 0.3f);
  const ExpressionMatrix r = RandomExpression(3000, 40, 12);
  const ExpressionMatrix q = RandomExpression(1000, 40, 13);
  const IclInputs inputs{.prompt = &p, .reference = &r, .query = &q};
  // Subsampling is active: 5000 and 3000 cells, at most 512 used.
  IclOptions one{.threads = 1, .max_context_cells = 512, .seed = 7};
  IclOptions four = one;
  four.threads = 4;
  auto a = PredictIcl(inputs, one, StopToken());
  auto b = PredictIcl(inputs, four, StopToken());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);

  IclOptions other_seed = one;
  other_seed.seed = 8;
  auto c = PredictIcl(inputs, other_seed, StopToken());
  REQUIRE(c.ok());
  CHECK(!(*a == *c));

  // With every cell used, the seed does not matter.
  IclOptions all_cells = one;
  all_cells.max_context_cells = 0;
  IclOptions all_cells_other_seed = all_cells;
  all_cells_other_seed.seed = 99;
  CHECK(*IclConditionEffect(inputs, all_cells) ==
        *IclConditionEffect(inputs, all_cells_other_seed));
}

TEST_CASE("ICL baseline gives the same predictions for CSR and dense inputs", "[icl]") {
  const DenseMatrix p = RandomExpression(120, 33, 21, 1.f);
  const DenseMatrix q = RandomExpression(250, 33, 22);
  const ExpressionMatrix pd = p, qd = q, pc = ToCsr(p), qc = ToCsr(q);
  auto dense = PredictIcl({.prompt = &pd, .query = &qd}, {}, StopToken());
  auto sparse = PredictIcl({.prompt = &pc, .query = &qc}, {}, StopToken());
  REQUIRE(dense.ok());
  REQUIRE(sparse.ok());
  CHECK(*dense == *sparse);
}

TEST_CASE("ICL baseline rejects bad inputs with clear errors", "[icl]") {
  const ExpressionMatrix q = RandomExpression(10, 5, 31);
  const ExpressionMatrix p = RandomExpression(10, 5, 32);
  auto expect_error = [](const IclInputs& inputs, std::string_view needle) {
    auto result = PredictIcl(inputs, {}, StopToken());
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
    INFO(result.status().message());
    CHECK(std::string(result.status().message()).find(needle) != std::string::npos);
  };
  SECTION("empty prompt") {
    const ExpressionMatrix empty = DenseMatrix(0, 5);
    expect_error({.prompt = &empty, .query = &q}, "prompt cell set is empty");
  }
  SECTION("missing prompt") { expect_error({.prompt = nullptr, .query = &q}, "prompt"); }
  SECTION("gene count mismatch") {
    const ExpressionMatrix wide = RandomExpression(10, 6, 33);
    expect_error({.prompt = &wide, .query = &q}, "prompt cells have 6 genes");
  }
  SECTION("NaN in the reference") {
    DenseMatrix bad = RandomExpression(4, 5, 34);
    bad.at(2, 3) = std::nanf("");
    const ExpressionMatrix r = bad;
    expect_error({.prompt = &p, .reference = &r, .query = &q}, "row 2, column 3");
  }
  SECTION("structurally broken CSR") {
    CsrMatrix broken = ToCsr(std::get<DenseMatrix>(q));
    broken.indptr[1] = 1000;
    const ExpressionMatrix b = broken;
    expect_error({.prompt = &p, .query = &b}, "query cells");
  }
}

TEST_CASE("ICL baseline stops within one block of rows after a stop request", "[icl]") {
  const ExpressionMatrix p = RandomExpression(50, 8, 41);
  const ExpressionMatrix q = RandomExpression(100'000, 8, 42);
  StopSource source;
  int64_t done_at_stop = -1;
  // Paced at 2000 cells/s the whole query would take 50 s; stop after the first progress.
  auto result = PredictIcl({.prompt = &p, .query = &q},
                           IclOptions{.threads = 2, .max_cells_per_second = 2000}, source.token(),
                           [&](int64_t done, int64_t total) {
                             CHECK(total == 100'000);
                             if (done_at_stop < 0) {
                               done_at_stop = done;
                               source.RequestStop(StopReason::kCancelRequested);
                             }
                           });
  REQUIRE_FALSE(result.ok());
  CHECK(GetErrorKind(result.status()) == ErrorKind::kCancelled);
  CHECK(done_at_stop > 0);
  CHECK(done_at_stop < 100'000);
}

}  // namespace
}  // namespace haystack
