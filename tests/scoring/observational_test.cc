#include "haystack/scoring/observational.h"

#include <random>

#include "catch2/catch.hpp"
#include "haystack/core/error.h"

namespace haystack::scoring {
namespace {

constexpr int kGenes = 300;

std::vector<std::string> Genes() {
  std::vector<std::string> g;
  for (int i = 0; i < kGenes; ++i) g.push_back("G" + std::to_string(i));
  return g;
}

// Cell type A expresses markers G0..G9 and tissue genes G20..G39 with a gene-specific level;
// type B expresses G10..G19 instead and differs on the tissue genes. Donor D1 raises G100..G119.
// `marker_rate` is the fraction of A cells expressing each marker.
DenseMatrix Cells(char type, bool donor_d1, int n, uint64_t seed, double marker_rate = 0.8) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  DenseMatrix m(n, kGenes);
  for (int64_t r = 0; r < n; ++r) {
    for (int g = 0; g < kGenes; ++g) {
      double level = 0.3 + 0.002 * (g % 50);
      double rate = 0.3;
      if (g < 10) rate = type == 'A' ? marker_rate : 0.02, level = 2;
      if (g >= 10 && g < 20) rate = type == 'B' ? 0.8 : 0.02, level = 2;
      if (g >= 20 && g < 40)
        rate = 0.9, level = type == 'A' ? 0.5 + 0.1 * (g - 20) : 2.5 - 0.1 * (g - 20);
      if (g >= 100 && g < 120 && donor_d1) rate = 0.9, level = 2.5;
      m.at(r, g) = u(rng) < rate ? static_cast<float>(level + 0.3 * u(rng)) : 0.f;
    }
  }
  return m;
}

std::vector<double> MeanProfile(const DenseMatrix& m) {
  return ComputeColumnStats(ExpressionMatrix(m)).mean;
}

struct Fixture {
  std::vector<std::string> genes = Genes();
  ExpressionMatrix reference = Cells('A', true, 60, 1);
  ExpressionMatrix background = ToCsr(Cells('A', false, 80, 2));
  std::vector<double> type_b = MeanProfile(Cells('B', false, 60, 3));

  ObservationalInputs Inputs(const ExpressionMatrix* predicted) const {
    ObservationalInputs in;
    in.predicted = predicted;
    in.genes = genes;
    in.reference = &reference;
    in.background = &background;
    for (int i = 0; i < 10; ++i) in.marker_genes.push_back("G" + std::to_string(i));
    in.marker_genes.push_back("NOT_A_GENE");
    for (int i = 20; i < 40; ++i) in.tissue_genes.push_back("G" + std::to_string(i));
    in.other_cell_types = {{"B", type_b}};
    return in;
  }
};

TEST_CASE(
    "a faithful prediction scores high on every observational component, a wrong cell "
    "type low") {
  const Fixture f;
  const ExpressionMatrix good = Cells('A', true, 70, 11);
  auto s = ScoreObservational(f.Inputs(&good));
  REQUIRE(s.ok());
  for (const auto& c : s->components) INFO(c.name << ": " << c.rationale);
  REQUIRE(Validate(*s).ok());
  CHECK(*s->marker_gene_expression >= 9);
  CHECK(*s->tissue_signature_match >= 9);
  CHECK(*s->donor_effect_capture >= 8);
  CHECK(*s->cell_type_coherence >= 6);
  CHECK(s->composite_score >= 8);
  CHECK(s->marker_genes_detected.size() == 10);
  CHECK(s->donor_signature_genes.size() >= 15);

  const ExpressionMatrix wrong = Cells('B', false, 70, 12);
  auto bad = ScoreObservational(f.Inputs(&wrong));
  REQUIRE(bad.ok());
  CHECK(*bad->marker_gene_expression <= 2);
  CHECK(*bad->tissue_signature_match == 1);
  CHECK(*bad->donor_effect_capture <= 3);
  CHECK(*bad->cell_type_coherence == 1);
  CHECK(bad->composite_score <= 2);
  CHECK(bad->improvement_suggestions.size() >= 3);
}

TEST_CASE("marker score is monotone in marker detection") {
  const Fixture f;
  int previous = 0;
  for (double rate : {0.0, 0.1, 0.3, 0.5, 0.7, 0.9}) {
    const ExpressionMatrix predicted = Cells('A', true, 70, 21, rate);
    auto s = ScoreObservational(f.Inputs(&predicted));
    REQUIRE(s.ok());
    CHECK(*s->marker_gene_expression >= previous);
    previous = *s->marker_gene_expression;
  }
  CHECK(previous >= 9);
}

TEST_CASE("without reference cells only the marker component is scored") {
  const Fixture f;
  const ExpressionMatrix good = Cells('A', true, 40, 31);
  ObservationalInputs in = f.Inputs(&good);
  in.reference = nullptr;
  auto s = ScoreObservational(in);
  REQUIRE(s.ok());
  CHECK(s->marker_gene_expression.has_value());
  CHECK_FALSE(s->tissue_signature_match.has_value());
  CHECK_FALSE(s->donor_effect_capture.has_value());
  CHECK_FALSE(s->cell_type_coherence.has_value());
  CHECK(s->composite_score == *s->marker_gene_expression);
  CHECK(s->components[1].unavailable_reason == "no reference cells to compare with");
}

TEST_CASE("observational inputs are checked") {
  const Fixture f;
  CHECK(GetErrorKind(ScoreObservational(ObservationalInputs{}).status()) == ErrorKind::kEvaluation);
  DenseMatrix nan(5, kGenes);
  nan.at(2, 7) = std::numeric_limits<float>::quiet_NaN();
  const ExpressionMatrix bad = nan;
  auto s = ScoreObservational(f.Inputs(&bad));
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(std::string(s.status().message()), Catch::Contains("row 2"));
  const ExpressionMatrix narrow = DenseMatrix(5, 3);
  CHECK_FALSE(ScoreObservational(f.Inputs(&narrow)).ok());
  CHECK(Pearson(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4, 6}) == Approx(1));
  CHECK(Pearson(std::vector<double>{1, 1, 1}, std::vector<double>{2, 4, 6}) == 0);
}

}  // namespace
}  // namespace haystack::scoring
