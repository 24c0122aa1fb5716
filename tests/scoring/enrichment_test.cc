#include "haystack/scoring/enrichment.h"

#include <random>
#include <sstream>

#include "catch2/catch.hpp"
#include "de_test_data.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::scoring {
namespace {

std::vector<std::string> Genes(int n, const std::string& prefix = "G") {
  std::vector<std::string> g;
  for (int i = 0; i < n; ++i) g.push_back(prefix + std::to_string(i));
  return g;
}

std::vector<double> ScipyHypergeomSf(const std::vector<EnrichedPathway>& pathways) {
  std::ostringstream in;
  for (const auto& p : pathways) {
    in << p.overlap << ' ' << p.universe_size << ' ' << p.set_size << ' ' << p.query_size << '\n';
  }
  testing::TempDir dir;
  testing::WriteFile(dir.File("queries.txt"), in.str());
  const auto run = testing::RunProcess(
      {"/usr/bin/python3",
       (testing::SourceDir() / "tests/scoring/reference/hypergeom_reference.py").string(),
       dir.File("queries.txt")});
  REQUIRE(run.exit_code == 0);
  std::vector<double> out;
  std::istringstream lines(run.stdout_text);
  std::string line;
  while (std::getline(lines, line)) out.push_back(std::stod(line));
  return out;
}

TEST_CASE("over-representation p-values equal scipy.stats.hypergeom.sf") {
  // 4,000 tested genes, 300 random sets of 5-400 genes, some enriched for the up list.
  const std::vector<std::string> tested = Genes(4000);
  std::mt19937_64 rng(17);
  std::vector<std::string> up(tested.begin(), tested.begin() + 150);
  std::vector<std::string> down(tested.begin() + 150, tested.begin() + 190);
  std::vector<GeneSet> sets;
  for (int s = 0; s < 300; ++s) {
    GeneSet set{"S" + std::to_string(s), "set " + std::to_string(s), s % 2 ? "A" : "B", {}};
    const int size = 5 + static_cast<int>(rng() % 396);
    const int planted = s % 5 == 0 ? size / 3 : 0;  // from the up list
    for (int i = 0; i < planted; ++i) set.genes.push_back(up[rng() % up.size()]);
    while (static_cast<int>(set.genes.size()) < size) {
      set.genes.push_back(tested[rng() % tested.size()]);
    }
    std::sort(set.genes.begin(), set.genes.end());
    set.genes.erase(std::unique(set.genes.begin(), set.genes.end()), set.genes.end());
    set.genes.push_back("NOT_TESTED_" + std::to_string(s));  // outside the universe
    std::sort(set.genes.begin(), set.genes.end());
    sets.push_back(std::move(set));
  }
  EnrichmentOptions options;
  options.min_set_size = 10;
  options.max_set_size = 350;
  const EnrichmentResult r = OverRepresentation(sets, tested, up, down, options);
  REQUIRE(r.pathways.size() > 100);
  CHECK(r.universe_size <= 4000);
  CHECK(r.universe_size > 3500);
  CHECK_THAT(r.universe_description, Catch::Contains("tested for differential expression"));
  const std::vector<double> reference = ScipyHypergeomSf(r.pathways);
  REQUIRE(reference.size() == r.pathways.size());
  int tiny = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    INFO(r.pathways[i].set_id << " " << r.pathways[i].direction << " k=" << r.pathways[i].overlap);
    CHECK(testing::RelativelyEqual(r.pathways[i].p_value, reference[i], 1e-9));
    CHECK(r.pathways[i].set_size >= 10);
    CHECK(r.pathways[i].set_size <= 350);
    CHECK(static_cast<int64_t>(r.pathways[i].genes.size()) == r.pathways[i].overlap);
    tiny += reference[i] < 1e-10;
  }
  CHECK(tiny > 10);  // deep tails are compared, not only p near 1
  // Sorted by adjusted p, and the planted sets are the enriched "up" ones.
  for (size_t i = 1; i < r.pathways.size(); ++i) {
    CHECK(r.pathways[i - 1].adjusted_p_value <= r.pathways[i].adjusted_p_value);
  }
  CHECK(r.pathways.front().direction == "up");
  CHECK(std::stoi(r.pathways.front().set_id.substr(1)) % 5 == 0);
}

TEST_CASE("BH runs across the tested sets of one direction") {
  std::vector<GeneSet> sets;
  const std::vector<std::string> tested = Genes(100);
  for (int s = 0; s < 4; ++s) {
    GeneSet set{"S" + std::to_string(s), "", "C", {}};
    for (int i = 0; i < 10; ++i) set.genes.push_back(tested[static_cast<size_t>(s * 10 + i)]);
    std::sort(set.genes.begin(), set.genes.end());
    sets.push_back(set);
  }
  // Universe: the 40 genes in the sets. Up: 6 genes of S0, 2 of S1, 1 of S2, none of S3.
  const std::vector<std::string> up = {"G0", "G1",  "G2",  "G3",  "G4",
                                       "G5", "G10", "G11", "G20", "G99"};
  const EnrichmentResult r = OverRepresentation(sets, tested, up, {}, EnrichmentOptions{});
  CHECK(r.universe_size == 40);
  CHECK(r.n_sets_tested == 4);
  REQUIRE(r.pathways.size() == 3);  // S3 has no overlap: tested, not listed
  CHECK(r.pathways[0].set_id == "S0");
  CHECK(r.pathways[0].query_size == 9);  // G99 is outside the universe
  CHECK(r.pathways[0].adjusted_p_value == Approx(r.pathways[0].p_value * 4));
  CHECK(r.pathways[0].genes == std::vector<std::string>{"G0", "G1", "G2", "G3", "G4", "G5"});
}

TEST_CASE("BH runs within each collection, and identical sets are one test with aliases") {
  const std::vector<std::string> tested = Genes(200);
  auto set = [&](std::string id, std::string collection, int first, int n) {
    GeneSet s{std::move(id), "", std::move(collection), {}};
    for (int i = first; i < first + n; ++i) s.genes.push_back(tested[static_cast<size_t>(i)]);
    std::sort(s.genes.begin(), s.genes.end());
    return s;
  };
  std::vector<GeneSet> sets = {
      set("BP:1", "GO_BP", 0, 10),  set("BP:2", "GO_BP", 20, 10),
      set("BP:3", "GO_BP", 40, 10), set("BP:0", "GO_BP", 0, 10),  // the same genes as BP:1
      set("CC:1", "GO_CC", 0, 10),  // the same genes again, but another collection
      set("CC:2", "GO_CC", 60, 10),
  };
  // An alias that only matches inside the universe: same 10 tested genes plus an untested one.
  sets.push_back(set("BP:4", "GO_BP", 0, 10));
  sets.back().genes.push_back("UNTESTED");
  const std::vector<std::string> up(tested.begin(), tested.begin() + 8);
  const EnrichmentResult r = OverRepresentation(sets, tested, up, {}, EnrichmentOptions{});
  CHECK(r.n_sets_tested == 5);  // BP:0 (with BP:1, BP:4), BP:2, BP:3, CC:1, CC:2
  CHECK(r.tested_set_ids ==
        std::vector<std::string>{"BP:0", "BP:1", "BP:2", "BP:3", "BP:4", "CC:1", "CC:2"});
  const EnrichedPathway* bp = nullptr;
  const EnrichedPathway* cc = nullptr;
  for (const EnrichedPathway& p : r.pathways) {
    if (p.set_id == "BP:0" && p.direction == "up") bp = &p;
    if (p.set_id == "CC:1" && p.direction == "up") cc = &p;
    CHECK(p.set_id != "BP:1");
    CHECK(p.set_id != "BP:4");
  }
  REQUIRE(bp != nullptr);
  REQUIRE(cc != nullptr);
  CHECK(bp->aliases == std::vector<std::string>{"BP:1", "BP:4"});
  CHECK(cc->aliases.empty());
  CHECK(bp->p_value == cc->p_value);
  // Families: 3 distinct GO_BP sets, 2 GO_CC sets (R: p.adjust(p, "BH") within each).
  CHECK(bp->adjusted_p_value == Approx(std::min(1.0, bp->p_value * 3)));
  CHECK(cc->adjusted_p_value == Approx(std::min(1.0, cc->p_value * 2)));
}

TEST_CASE("RunEnrichment reads the knowledge base and rejects an unknown collection") {
  InMemoryKnowledgeBase kb;
  kb.AddGeneSet({"P1", "pathway one", "HALLMARK", Genes(20)});
  kb.AddGeneSet({"P2", "pathway two", "GO_BP", Genes(20, "H")});
  const std::vector<std::string> tested = Genes(20);
  const std::vector<std::string> up(tested.begin(), tested.begin() + 8);
  EnrichmentOptions options;
  options.min_set_size = 5;
  auto r = RunEnrichment(kb, tested, up, {}, options);
  REQUIRE(r.ok());
  CHECK(r->collections.size() == 2);
  CHECK(r->universe_size == 20);  // no H gene was tested
  REQUIRE(r->pathways.size() == 1);
  CHECK(r->pathways[0].p_value == 1);  // every universe gene is in P1
  options.collections = {"KEGG"};
  auto bad = RunEnrichment(kb, tested, up, {}, options);
  REQUIRE_FALSE(bad.ok());
  CHECK(GetErrorKind(bad.status()) == ErrorKind::kEvaluation);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("KEGG"));
  // Gene symbols missing from the knowledge base and empty lists are no error.
  auto empty = RunEnrichment(kb, std::vector<std::string>{"UNKNOWN1"}, {}, {}, EnrichmentOptions{});
  REQUIRE(empty.ok());
  CHECK(empty->universe_size == 0);
  CHECK(empty->pathways.empty());
}

}  // namespace
}  // namespace haystack::scoring
