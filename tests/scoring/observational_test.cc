#include "haystack/scoring/observational.h"

#include <algorithm>
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

// A small atlas in which the truth is known:
//   cell types A, B, C express markers G0..G9, G10..G19 and G40..G49 respectively;
//   tissue "lung" raises G20..G29 in every type (against "blood");
//   donor "D1" raises G100..G119 in every type (against "D2").
// `marker_rate` is the fraction of A cells expressing each A marker.
struct Context {
  char type = 'A';
  bool lung = false;
  bool d1 = false;
};

DenseMatrix Cells(Context c, int n, uint64_t seed, double marker_rate = 0.8) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  DenseMatrix m(n, kGenes);
  for (int64_t r = 0; r < n; ++r) {
    for (int g = 0; g < kGenes; ++g) {
      double level = 0.5 + 0.004 * (g % 50);
      double rate = 0.4;
      if (g < 10) rate = c.type == 'A' ? marker_rate : 0.02, level = 2;
      if (g >= 10 && g < 20) rate = c.type == 'B' ? 0.8 : 0.02, level = 2;
      if (g >= 40 && g < 50) rate = c.type == 'C' ? 0.8 : 0.02, level = 2;
      if (g >= 20 && g < 30 && c.lung) rate = 0.9, level = 2.2;
      if (g >= 100 && g < 120 && c.d1) rate = 0.9, level = 2.0;
      m.at(r, g) = u(rng) < rate ? static_cast<float>(level + 0.3 * u(rng)) : 0.f;
    }
  }
  return m;
}

Profile P(Context c, int n, uint64_t seed, std::string label) {
  return ComputeProfile(ExpressionMatrix(Cells(c, n, seed)), std::move(label));
}

struct Fixture {
  std::vector<std::string> genes = Genes();
  // The query cells: real A cells of donor D2 in blood.
  ExpressionMatrix query = Cells({'A', false, false}, 70, 1);

  ObservationalInputs Inputs(const ExpressionMatrix* predicted) const {
    ObservationalInputs in;
    in.predicted = predicted;
    in.genes = genes;
    in.query = &query;
    in.references.cell_type = P({'A', false, false}, 80, 2, "A");
    in.references.other_cell_types = {P({'B', false, false}, 80, 3, "B"),
                                      P({'C', true, true}, 80, 4, "C")};
    const std::vector<std::pair<Profile, Profile>> tissue = {
        {P({'B', true, false}, 60, 5, "B lung"), P({'B', false, false}, 60, 6, "B blood")},
        {P({'C', true, false}, 60, 7, "C lung"), P({'C', false, false}, 60, 8, "C blood")}};
    in.references.tissue = ContrastSignature(tissue, "lung", kSignatureGenes);
    const std::vector<std::pair<Profile, Profile>> donor = {
        {P({'B', false, true}, 60, 9, "B D1"), P({'B', false, false}, 60, 10, "B D2")},
        {P({'C', false, true}, 60, 11, "C D1"), P({'C', false, false}, 60, 12, "C D2")}};
    in.references.donor = ContrastSignature(donor, "donor D1", kSignatureGenes);
    in.references.coherence_reference = P({'A', true, true}, 60, 13, "held-out A cells");
    return in;
  }
};

bool Has(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST_CASE("signatures and markers come out of real cells") {
  const Fixture f;
  const ObservationalInputs in = f.Inputs(&f.query);
  REQUIRE(in.references.tissue.has_value());
  // The ten lung genes lead the tissue signature, raised.
  for (size_t k = 0; k < 10; ++k) {
    INFO("rank " << k << ": G" << in.references.tissue->genes[k]);
    CHECK(in.references.tissue->genes[k] >= 20);
    CHECK(in.references.tissue->genes[k] < 30);
    CHECK(in.references.tissue->log2_fc[k] > 1);
  }
  const std::vector<size_t> markers =
      SelectMarkers(*in.references.cell_type, in.references.other_cell_types, 20);
  REQUIRE(markers.size() == 10);
  for (size_t g : markers) CHECK(g < 10);
  // Without other types there is nothing to be specific against.
  CHECK(SelectMarkers(*in.references.cell_type, {}, 20).empty());
  // No stratum, no signature.
  CHECK_FALSE(ContrastSignature({}, "nothing", 50).has_value());
}

TEST_CASE(
    "a faithful prediction scores high on every observational component, a wrong cell "
    "type low") {
  const Fixture f;
  // The truth: A cells of donor D1 in lung.
  const ExpressionMatrix good = Cells({'A', true, true}, 70, 21);
  auto s = ScoreObservational(f.Inputs(&good));
  REQUIRE(s.ok());
  for (const auto& c : s->components) INFO(c.name << ": " << c.rationale);
  REQUIRE(Validate(*s).ok());
  CHECK(*s->marker_gene_expression >= 9);
  CHECK(*s->tissue_signature_match >= 8);
  CHECK(*s->donor_effect_capture >= 8);
  CHECK(*s->cell_type_coherence >= 8);
  CHECK(s->composite_score >= 8);
  CHECK(s->marker_genes_detected.size() == 10);
  CHECK(s->donor_signature_genes.size() >= 20);
  CHECK(Has(s->donor_signature_genes, "G100"));

  // Leaving the query cells as they are: right type, but neither tissue nor donor moved.
  auto unchanged = ScoreObservational(f.Inputs(&f.query));
  REQUIRE(unchanged.ok());
  CHECK(*unchanged->marker_gene_expression >= 9);
  CHECK(*unchanged->tissue_signature_match <= 2);
  CHECK(*unchanged->donor_effect_capture <= 2);

  // B cells of donor D2 in blood.
  const ExpressionMatrix wrong = Cells({'B', false, false}, 70, 22);
  auto bad = ScoreObservational(f.Inputs(&wrong));
  REQUIRE(bad.ok());
  for (const auto& c : bad->components) INFO(c.name << ": " << c.rationale);
  CHECK(*bad->marker_gene_expression <= 2);
  CHECK(*bad->tissue_signature_match <= 2);
  CHECK(*bad->donor_effect_capture <= 2);
  CHECK(*bad->cell_type_coherence == 1);
  CHECK(bad->composite_score <= 2);
  CHECK(bad->improvement_suggestions.size() >= 3);
}

TEST_CASE("query cells already in the target need no shift along its signature") {
  const Fixture f;
  ObservationalInputs in = f.Inputs(&f.query);
  in.references.tissue->query_share = 1;  // as if the query cells were lung cells already
  auto s = ScoreObservational(in);
  REQUIRE(s.ok());
  CHECK(*s->tissue_signature_match == 10);
}

TEST_CASE("marker score is monotone in marker detection") {
  const Fixture f;
  int previous = 0;
  for (double rate : {0.0, 0.1, 0.3, 0.5, 0.7, 0.9}) {
    const ExpressionMatrix predicted = Cells({'A', true, true}, 70, 31, rate);
    auto s = ScoreObservational(f.Inputs(&predicted));
    REQUIRE(s.ok());
    CHECK(*s->marker_gene_expression >= previous);
    previous = *s->marker_gene_expression;
  }
  CHECK(previous >= 9);
}

TEST_CASE(
    "curated markers are used when given, and missing evidence makes components unavailable") {
  const Fixture f;
  const ExpressionMatrix good = Cells({'A', true, true}, 70, 41);
  ObservationalInputs in = f.Inputs(&good);
  in.marker_genes = {"G0", "G1", "NOT_A_GENE"};
  in.references.tissue.reset();
  in.references.tissue_unavailable_reason = "the query names no tissue";
  in.references.coherence_reference.reset();
  in.references.coherence_unavailable_reason = "no held-out cells";
  auto s = ScoreObservational(in);
  REQUIRE(s.ok());
  CHECK(s->marker_genes_detected.size() == 2);
  CHECK_THAT(s->components[0].rationale, Catch::Contains("2 of 3 curated markers"));
  CHECK_FALSE(s->tissue_signature_match.has_value());
  CHECK(s->components[1].unavailable_reason == "the query names no tissue");
  CHECK_FALSE(s->cell_type_coherence.has_value());
  CHECK(s->composite_score.has_value());
}

TEST_CASE("with every component unavailable the prediction is unscored, not given a score") {
  const Fixture f;
  const ExpressionMatrix good = Cells({'A', true, true}, 70, 51);
  ObservationalInputs in;
  in.predicted = &good;
  in.genes = f.genes;
  in.query = &f.query;
  in.references.markers_unavailable_reason = "the atlas has 3 unperturbed cells of A (need 10)";
  in.references.tissue_unavailable_reason = "the query names no tissue";
  in.references.donor_unavailable_reason = "the query names no target donor";
  in.references.coherence_unavailable_reason = "no held-out cells";
  auto s = ScoreObservational(in);
  REQUIRE(s.ok());
  CHECK_FALSE(s->composite_score.has_value());
  for (const ScoreComponent& c : s->components) CHECK_FALSE(c.score.has_value());
  CHECK(s->components[0].unavailable_reason == in.references.markers_unavailable_reason);
  CHECK(Validate(*s).ok());
}

TEST_CASE("observational inputs are checked") {
  const Fixture f;
  CHECK(GetErrorKind(ScoreObservational(ObservationalInputs{}).status()) == ErrorKind::kEvaluation);
  DenseMatrix nan(70, kGenes);
  nan.at(2, 7) = std::numeric_limits<float>::quiet_NaN();
  const ExpressionMatrix bad = nan;
  auto s = ScoreObservational(f.Inputs(&bad));
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(std::string(s.status().message()), Catch::Contains("row 2"));
  const ExpressionMatrix narrow = DenseMatrix(70, 3);
  CHECK_FALSE(ScoreObservational(f.Inputs(&narrow)).ok());
  const ExpressionMatrix fewer_rows = DenseMatrix(5, kGenes);
  CHECK_FALSE(ScoreObservational(f.Inputs(&fewer_rows)).ok());
  ObservationalInputs malformed = f.Inputs(&f.query);
  malformed.references.tissue->genes.push_back(kGenes + 5);
  malformed.references.tissue->log2_fc.push_back(1);
  CHECK_FALSE(ScoreObservational(malformed).ok());
  CHECK(Pearson(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4, 6}) == Approx(1));
  CHECK(Pearson(std::vector<double>{1, 1, 1}, std::vector<double>{2, 4, 6}) == 0);
}

}  // namespace
}  // namespace haystack::scoring
