#include "haystack/scoring/perturbational.h"

#include <algorithm>
#include <random>

#include "catch2/catch.hpp"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "haystack/scoring/composite.h"

namespace haystack::scoring {
namespace {

constexpr int kGenes = 2000;

std::string Gene(int i) { return "G" + std::to_string(i); }

// A knowledge base with 60 random 30-gene sets plus the expected pathway P_IFN = G0..G29, a
// perturbation that expects it, a network where P_IFN is a dense module inside a sparse random
// graph, and a literature in which G0..G29 are co-cited with IFNG while three genome-scale
// papers link every gene (and IFNG) at once.
InMemoryKnowledgeBase MakeKnowledgeBase() {
  InMemoryKnowledgeBase kb;
  std::mt19937_64 rng(5);
  std::vector<std::string> ifn;
  for (int i = 0; i < 30; ++i) ifn.push_back(Gene(i));
  kb.AddGeneSet({"P_IFN", "interferon response", "GO_BP", ifn});
  for (int s = 0; s < 60; ++s) {
    std::vector<std::string> genes;
    for (int i = 0; i < 30; ++i) genes.push_back(Gene(static_cast<int>(rng() % kGenes)));
    kb.AddGeneSet({"P" + std::to_string(s), "random set", "GO_BP", genes});
  }
  Perturbation ifng;
  ifng.name = "IFNG";
  ifng.type = PerturbationType::kCytokine;
  ifng.targets = {"G5", "G6"};
  ifng.expected_pathways = {"P_IFN"};
  ifng.expected_up = {"G0", "G1", "G2", "G3", "G4"};
  ifng.expected_down = {"G40"};
  kb.AddPerturbation(ifng);
  for (int i = 0; i < 30; ++i) {
    for (int j = i + 1; j < 30; ++j) {
      if ((i + j) % 3 == 0) kb.AddInteraction(Gene(i), Gene(j));
    }
  }
  for (int e = 0; e < 4 * kGenes; ++e) {
    const int a = static_cast<int>(rng() % kGenes);
    const int b = static_cast<int>(rng() % kGenes);
    if (a != b) kb.AddInteraction(Gene(a), Gene(b));
  }
  // Literature: each of G0..G29 shares three focused papers with IFNG.
  std::vector<std::string> ifng_papers;
  for (int i = 0; i < 30; ++i) {
    const std::vector<std::string> papers = {"PMID:" + std::to_string(100 + i),
                                             "PMID:" + std::to_string(200 + i),
                                             "PMID:" + std::to_string(300 + i)};
    kb.AddPublications(Gene(i), papers);
    ifng_papers.insert(ifng_papers.end(), papers.begin(), papers.end());
  }
  kb.AddPublications("IFNG", ifng_papers);
  // The rest of the corpus: five focused papers for each other gene.
  for (int i = 30; i < kGenes; ++i) {
    std::vector<std::string> papers;
    for (int k = 0; k < 5; ++k) papers.push_back("PMID:" + std::to_string(10000 + 5 * i + k));
    kb.AddPublications(Gene(i), papers);
  }
  // Genome-scale papers: every gene and IFNG. Counted, they would "support" any gene list.
  for (const char* screen : {"PMID:9001", "PMID:9002", "PMID:9003"}) {
    for (int g = 0; g < kGenes; ++g) kb.AddPublications(Gene(g), {screen});
    kb.AddPublications("IFNG", {screen});
  }
  return kb;
}

// Control and treated cells; in the treated group G0..G29 rise (a planted IFN response).
std::pair<DenseMatrix, DenseMatrix> PlantedPair() {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  DenseMatrix treated(80, kGenes), control(80, kGenes);
  for (int64_t r = 0; r < 80; ++r) {
    for (int g = 0; g < kGenes; ++g) {
      control.at(r, g) = u(rng) < 0.7 ? 0.f : static_cast<float>(0.5 + u(rng));
      const bool planted = g < 30;
      treated.at(r, g) =
          u(rng) < (planted ? 0.1 : 0.7) ? 0.f : static_cast<float>((planted ? 2 : 0.5) + u(rng));
    }
  }
  return {treated, control};
}

struct Scored {
  DeResult de;
  EnrichmentResult enrichment;
  GroundingScore score;
};

Scored ScoreWithLabels(const InMemoryKnowledgeBase& kb, const std::vector<std::string>& labels,
                       ControlStrategy strategy = ControlStrategy::kSyntheticControl) {
  const auto [treated, control] = PlantedPair();
  Scored s;
  auto de = RunDifferentialExpression(treated, control, labels, DeOptions{});
  REQUIRE(de.ok());
  s.de = *std::move(de);
  auto enrichment = RunEnrichment(kb, s.de.genes, s.de.up, s.de.down, EnrichmentOptions{});
  REQUIRE(enrichment.ok());
  s.enrichment = *std::move(enrichment);
  auto perturbation = kb.FindPerturbation("IFNG");
  REQUIRE(perturbation.ok());
  REQUIRE(perturbation->has_value());
  PerturbationalInputs inputs;
  inputs.de = &s.de;
  inputs.enrichment = &s.enrichment;
  inputs.perturbation = &**perturbation;
  inputs.control_strategy = strategy;
  auto score = ScorePerturbational(kb, inputs);
  REQUIRE(score.ok());
  s.score = *std::move(score);
  REQUIRE(Validate(s.score).ok());
  return s;
}

std::vector<std::string> Labels() {
  std::vector<std::string> labels;
  for (int g = 0; g < kGenes; ++g) labels.push_back(Gene(g));
  return labels;
}

TEST_CASE("a planted effect on the expected pathway scores high, shuffled gene labels score low") {
  const InMemoryKnowledgeBase kb = MakeKnowledgeBase();
  const Scored planted = ScoreWithLabels(kb, Labels());
  INFO(planted.score.components[0].rationale);
  INFO(planted.score.components[1].rationale);
  INFO(planted.score.components[2].rationale);
  INFO(planted.score.components[3].rationale);
  CHECK(planted.de.up.size() >= 25);
  REQUIRE(planted.score.pathway_coherence.has_value());
  CHECK(*planted.score.pathway_coherence >= 8);
  CHECK(*planted.score.target_activation >= 7);
  CHECK(*planted.score.network_coherence >= 8);
  CHECK(*planted.score.literature_support >= 8);
  CHECK(planted.score.composite_score >= 8);
  CHECK(planted.score.enriched_pathways.front().set_id == "P_IFN");
  CHECK(planted.score.confidence_penalty == 0);

  std::vector<std::string> shuffled = Labels();
  std::mt19937_64 rng(3);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const Scored control = ScoreWithLabels(kb, shuffled);
  INFO(control.score.components[0].rationale);
  INFO(control.score.components[3].rationale);
  REQUIRE(control.score.pathway_coherence.has_value());
  CHECK(*control.score.pathway_coherence <= 2);
  CHECK(*control.score.network_coherence <= 4);
  // The genome-scale papers link every shuffled gene to IFNG three times; left out, the
  // shuffled genes have no literature support.
  INFO(control.score.components[2].rationale);
  CHECK(*control.score.literature_support <= 2);
  CHECK(control.score.composite_score < planted.score.composite_score);
  CHECK_FALSE(control.score.improvement_suggestions.empty());
}

TEST_CASE("query_as_control costs 0.5 before rounding and is suggested away") {
  const InMemoryKnowledgeBase kb = MakeKnowledgeBase();
  const Scored qac = ScoreWithLabels(kb, Labels(), ControlStrategy::kQueryAsControl);
  CHECK(qac.score.confidence_penalty == 0.5);
  CHECK(qac.score.composite_score == std::clamp(RoundHalfUp(qac.score.composite_raw - 0.5), 1, 10));
  CHECK(std::any_of(
      qac.score.improvement_suggestions.begin(), qac.score.improvement_suggestions.end(),
      [](const std::string& s) { return s.find("query_as_control") != std::string::npos; }));
}

TEST_CASE("composite: spec weights, renormalisation, half-up rounding, penalty before rounding") {
  auto components = [](std::optional<int> p, std::optional<int> t, std::optional<int> l,
                       std::optional<int> n) {
    return std::vector<ScoreComponent>{{"pathway_coherence", p, kPathwayWeight, "", ""},
                                       {"target_activation", t, kTargetWeight, "", ""},
                                       {"literature_support", l, kLiteratureWeight, "", ""},
                                       {"network_coherence", n, kNetworkWeight, "", ""}};
  };
  Composite c = ComputeComposite(components(9, 8, 9, 7), 0);
  CHECK(c.raw == Approx(8.3));
  CHECK(c.score == 8);  // docs/scoring.md §4: 9/8/9/7 → 8.3 → 8
  c = ComputeComposite(components(4, 5, 3, std::nullopt), 0);
  CHECK(c.raw == Approx(3.25 / 0.8));
  CHECK(c.score == 4);  // ibrutinib example: no network score
  c = ComputeComposite(components(7, 6, 7, 6), 0);
  CHECK(c.raw == Approx(6.5));
  CHECK(c.score == 7);  // half up, not half to even
  c = ComputeComposite(components(7, 7, 7, 7), 0.5);
  CHECK(c.score == 7);  // 6.5 rounds up
  c = ComputeComposite(components(7, 7, 6, 7), 0.5);
  CHECK(c.score == 6);  // 6.75 − 0.5 = 6.25
  c = ComputeComposite(components(1, 1, 1, 1), 0.5);
  CHECK(c.score == 1);  // clamped
  c = ComputeComposite(components(std::nullopt, std::nullopt, std::nullopt, std::nullopt), 0);
  CHECK_FALSE(c.score.has_value());  // unscored, not 1
  CHECK(RoundHalfUp(2.5) == 3);
  CHECK(RoundHalfUp(2.4999) == 2);
}

EnrichmentResult OneSetEnrichment(int rank, double q) {
  EnrichmentResult e;
  for (int i = 1; i < rank; ++i) {
    e.pathways.push_back(
        {"OTHER" + std::to_string(i), "", "GO_BP", "up", 5, 20, 50, 1000, q / 10, q / 10, {}});
    e.tested_set_ids.push_back("OTHER" + std::to_string(i));
  }
  e.pathways.push_back({"EXPECTED", "", "GO_BP", "up", 5, 20, 50, 1000, q / 2, q, {}});
  e.tested_set_ids.push_back("EXPECTED");
  std::sort(e.tested_set_ids.begin(), e.tested_set_ids.end());
  return e;
}

TEST_CASE("pathway coherence is monotone in significance and rank") {
  const PerturbationalOptions options;
  int previous = 0;
  for (double q : {0.2, 0.05, 1e-2, 1e-3, 1e-4, 1e-8}) {
    const EnrichmentResult e = OneSetEnrichment(1, q);
    const int score = *PathwayCoherence(&e, {"EXPECTED"}, options).score;
    CHECK(score >= previous);
    previous = score;
  }
  CHECK(previous == 10);
  previous = 11;
  for (int rank : {1, 2, 4, 8, 30}) {
    const EnrichmentResult e = OneSetEnrichment(rank, 1e-5);
    const int score = *PathwayCoherence(&e, {"EXPECTED"}, options).score;
    CHECK(score <= previous);
    previous = score;
  }
  CHECK(previous < 10);
  const EnrichmentResult e_rank1 = OneSetEnrichment(1, 1e-5);
  // More expected pathways found → higher score.
  EnrichmentResult two = OneSetEnrichment(1, 1e-5);
  two.tested_set_ids.push_back("SECOND");
  std::sort(two.tested_set_ids.begin(), two.tested_set_ids.end());
  const int one_of_two = *PathwayCoherence(&two, {"EXPECTED", "SECOND"}, options).score;
  two.pathways.push_back({"SECOND", "", "GO_BP", "down", 5, 20, 50, 1000, 1e-6, 1e-5, {}});
  const int two_of_two = *PathwayCoherence(&two, {"EXPECTED", "SECOND"}, options).score;
  CHECK(two_of_two > one_of_two);
  // An expected pathway tested under another id (an identical set) counts; sets of collections
  // outside pathway_collections do not push it down the ranking.
  EnrichmentResult aliased = OneSetEnrichment(1, 1e-5);
  aliased.pathways.back().set_id = "REPRESENTATIVE";
  aliased.pathways.back().aliases = {"EXPECTED"};
  aliased.pathways.insert(aliased.pathways.begin(),
                          {"CC_SET", "", "GO_CC", "up", 5, 20, 50, 1000, 1e-9, 1e-9, {}});
  const ScoreComponent via_alias = PathwayCoherence(&aliased, {"EXPECTED"}, options);
  CHECK(*via_alias.score == *PathwayCoherence(&e_rank1, {"EXPECTED"}, options).score);
  CHECK_THAT(via_alias.rationale, Catch::Contains("in GO_BP"));
  // Unavailable cases are recorded, not scored.
  const EnrichmentResult e = OneSetEnrichment(1, 1e-5);
  CHECK_FALSE(PathwayCoherence(nullptr, {"EXPECTED"}, options).score.has_value());
  CHECK_FALSE(PathwayCoherence(&e, {}, options).score.has_value());
  const ScoreComponent untested = PathwayCoherence(&e, {"NOT_IN_KB"}, options);
  CHECK_FALSE(untested.score.has_value());
  CHECK_THAT(untested.unavailable_reason, Catch::Contains("NOT_IN_KB"));
}

DeResult HandMadeDe(const std::vector<std::string>& genes, const std::vector<double>& lfc,
                    const std::vector<double>& q) {
  DeResult de;
  de.genes = genes;
  de.log2_fold_change = lfc;
  de.adjusted_p_value = q;
  de.p_value = q;
  for (size_t i = 0; i < genes.size(); ++i) {
    de.is_de.push_back(q[i] <= 0.05 && std::fabs(lfc[i]) >= 0.5);
    if (de.is_de.back()) (lfc[i] > 0 ? de.up : de.down).push_back(genes[i]);
  }
  return de;
}

TEST_CASE("target activation is monotone in the expected genes' fold changes") {
  Perturbation p;
  p.name = "X";
  p.expected_up = {"A", "B"};
  p.expected_down = {"C"};
  p.targets = {"T"};
  int previous = 0;
  for (double lfc : {-2.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 3.0}) {
    const DeResult de = HandMadeDe({"A", "B", "C", "T", "MISSING_FROM_KB"},
                                   {lfc, lfc, -lfc, lfc, 0}, {1e-4, 1e-4, 1e-4, 1e-4, 1});
    const ScoreComponent c = TargetActivation(de, p);
    REQUIRE(c.score.has_value());
    CHECK(*c.score >= previous);
    previous = *c.score;
  }
  CHECK(previous == 10);
  // Not significant → no credit; none of the genes tested → unavailable.
  const DeResult weak = HandMadeDe({"A", "B", "C", "T"}, {3, 3, -3, 3}, {0.2, 0.2, 0.2, 0.2});
  CHECK(*TargetActivation(weak, p).score == 1);
  const DeResult other = HandMadeDe({"Z"}, {3}, {1e-9});
  CHECK_FALSE(TargetActivation(other, p).score.has_value());
}

TEST_CASE("literature support counts genes co-cited beyond chance, never the curated directions") {
  for (int checked = 0; checked <= 10; ++checked) {
    for (int s = 0; s < checked; ++s) {
      CHECK(LiteratureScore(s + 1, checked) >= LiteratureScore(s, checked));
    }
  }
  CHECK(LiteratureScore(0, 0) == 1);  // nothing predicted, nothing supported
  CHECK(LiteratureScore(0, 10) == 1);
  CHECK(LiteratureScore(10, 10) == 10);
  CHECK(LiteratureScore(3, 3) == 6);  // three genes cannot earn full support (3 / 5)
  Perturbation p;
  p.name = "X";
  p.expected_up = {"A"};  // a curated direction: target activation's evidence, not literature's
  // B: 4 of its 10 papers shared with X's 50 in a corpus of 10,000 (expected 0.05).
  // C: 1 shared paper; A: none.
  const std::vector<CoCitation> co = {{"B", 4, 10, 50, 10000, 0.05, {"PMID:1"}},
                                      {"C", 1, 10, 50, 10000, 0.05, {"PMID:2"}},
                                      {"A", 0, 3, 50, 10000, 0.015, {}}};
  CHECK(CoCitationPValue(co[0]) < 1e-3);
  const LiteratureAssessment a = LiteratureSupport(p, co);
  CHECK(*a.component.score == LiteratureScore(1, 3));
  REQUIRE(a.evidence.size() == 2);
  CHECK(a.evidence[0].subject == "B");
  CHECK(a.evidence[0].evidence_type == "supports_prediction");
  CHECK(a.evidence[1].evidence_type == "provides_context");
  for (const LiteratureEvidence& e : a.evidence) CHECK(e.evidence_type != "contradicts_prediction");
  // Two shared papers of a gene that is in half the corpus are chance.
  CHECK(CoCitationPValue({"D", 2, 5000, 50, 10000, 25, {}}) > 0.5);
}

TEST_CASE("unavailable evidence sources are recorded and the weights renormalised") {
  InMemoryKnowledgeBase kb = MakeKnowledgeBase();
  const auto [treated, control] = PlantedPair();
  auto de = RunDifferentialExpression(treated, control, Labels(), DeOptions{});
  REQUIRE(de.ok());
  PerturbationalInputs inputs;
  inputs.de = &*de;
  inputs.enable_literature = false;
  inputs.enrichment_unavailable_reason = "pathway enrichment is disabled for this run";
  auto p = kb.FindPerturbation("IFNG");
  REQUIRE(p.ok());
  inputs.perturbation = &**p;
  auto s = ScorePerturbational(kb, inputs);
  REQUIRE(s.ok());
  CHECK_FALSE(s->pathway_coherence.has_value());
  CHECK_FALSE(s->literature_support.has_value());
  CHECK(s->components[0].unavailable_reason == "pathway enrichment is disabled for this run");
  CHECK_THAT(s->components[2].unavailable_reason, Catch::Contains("disabled"));
  const double expected_raw =
      (kTargetWeight * *s->target_activation + kNetworkWeight * *s->network_coherence) /
      (kTargetWeight + kNetworkWeight);
  CHECK(s->composite_raw == Approx(expected_raw));
  // An unresolved perturbation leaves only the network.
  inputs.perturbation = nullptr;
  s = ScorePerturbational(kb, inputs);
  REQUIRE(s.ok());
  CHECK_FALSE(s->target_activation.has_value());
  CHECK(s->network_coherence.has_value());
  CHECK(s->composite_score == *s->network_coherence);
  inputs.de = nullptr;
  CHECK_FALSE(ScorePerturbational(kb, inputs).ok());
}

TEST_CASE("network coherence: a module beats a random set, fewer than 3 genes score 1") {
  const InMemoryKnowledgeBase kb = MakeKnowledgeBase();
  auto network = kb.Network();
  REQUIRE(network.ok());
  std::vector<std::string> genes;
  std::vector<double> lfc, q;
  for (int i = 0; i < 60; ++i) {
    genes.push_back(Gene(i < 30 ? i : 1000 + i));
    lfc.push_back(1);
    q.push_back(1e-5);
  }
  const DeResult module = HandMadeDe(genes, lfc, q);
  CHECK(*NetworkCoherence(module, **network, {}).score >= 9);
  for (int i = 0; i < 30; ++i) genes[static_cast<size_t>(i)] = Gene(500 + i);
  const DeResult random = HandMadeDe(genes, lfc, q);
  CHECK(*NetworkCoherence(random, **network, {}).score <= 4);
  const DeResult tiny = HandMadeDe({"G0", "G1"}, {1, 1}, {1e-5, 1e-5});
  CHECK(*NetworkCoherence(tiny, **network, {}).score == 1);
}

}  // namespace
}  // namespace haystack::scoring
