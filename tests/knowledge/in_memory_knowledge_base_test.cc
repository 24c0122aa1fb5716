#include "haystack/knowledge/in_memory_knowledge_base.h"

#include "catch2/catch.hpp"

namespace haystack {
namespace {

InMemoryKnowledgeBase MonocyteOntology() {
  InMemoryKnowledgeBase kb;
  kb.AddTerm({"CL:0000000", "cell", "CL", {}});
  kb.AddTerm({"CL:0000576", "monocyte", "CL", {"monocytes"}}, {"CL:0000000"});
  kb.AddTerm({"CL:0001054", "CD14-positive monocyte", "CL", {"CD14+ monocyte"}}, {"CL:0000576"});
  kb.AddTerm({"CL:0002396", "CD14-low, CD16-positive monocyte", "CL", {}}, {"CL:0000576"});
  kb.AddTerm({"CL:0000084", "T cell", "CL", {"T-cell", "T lymphocyte"}}, {"CL:0000000"});
  return kb;
}

TEST_CASE("entity text normalisation ignores case, punctuation, plurals and Greek letters") {
  CHECK(NormalizeEntityText("CD14+ Monocytes") == "cd14+ monocyte");
  CHECK(NormalizeEntityText("IFN-γ") == "ifn gamma");
  CHECK(NormalizeEntityText("IFNγ") == "ifn gamma");
  CHECK(NormalizeEntityText("interferon-gamma") == "interferon gamma");
  CHECK(NormalizeEntityText("  T-cells ") == "t cell");
  CHECK(NormalizeEntityText("TGF-β1") == "tgf beta 1");
}

TEST_CASE("Ensembl ids map to one symbol, without their version, and an id of two genes to none") {
  InMemoryKnowledgeBase kb;
  kb.AddEnsemblId("ENSG00000115415", "STAT1");
  kb.AddEnsemblId("ENSG00000000001", "GENE_A");
  kb.AddEnsemblId("ENSG00000000001", "GENE_B");
  auto versioned = kb.SymbolOfEnsemblId("ENSG00000115415.17");
  REQUIRE(versioned.ok());
  CHECK(*versioned == std::optional<std::string>("STAT1"));
  auto ambiguous = kb.SymbolOfEnsemblId("ENSG00000000001");
  REQUIRE(ambiguous.ok());
  CHECK_FALSE(ambiguous->has_value());
  auto unknown = kb.SymbolOfEnsemblId("ENSG00000999999");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
  CHECK(EnsemblSymbolLookup(kb)("ENSG00000115415") == std::optional<std::string>("STAT1"));
}

TEST_CASE("ontology neighbours carry the specified distances") {
  InMemoryKnowledgeBase kb = MonocyteOntology();
  auto neighbors = kb.Neighbors("CL:0001054", 2);
  REQUIRE(neighbors.ok());
  std::map<std::string, std::pair<int, std::string>> by_id;
  for (const auto& n : *neighbors) by_id[n.term.id] = {n.distance, n.relation};
  CHECK(by_id["CL:0000576"] == std::make_pair(1, std::string("parent")));
  CHECK(by_id["CL:0000000"] == std::make_pair(2, std::string("grandparent")));
  CHECK(by_id["CL:0002396"] == std::make_pair(2, std::string("sibling")));
  CHECK(by_id.count("CL:0000084") == 0);  // distance 3 (uncle)
  CHECK(neighbors->front().distance == 1);
}

TEST_CASE("cell types resolve by name and synonym") {
  InMemoryKnowledgeBase kb = MonocyteOntology();
  auto matches = kb.Resolve(EntityKind::kCellType, "CD14+ monocytes", 3);
  REQUIRE(matches.ok());
  REQUIRE_FALSE(matches->empty());
  CHECK(matches->front().id == "CL:0001054");
  CHECK(MatchMethodName(matches->front().method) == "synonym");
  auto t = kb.Resolve(EntityKind::kCellType, "t cells", 1);
  REQUIRE(t.ok());
  REQUIRE(t->size() == 1);
  CHECK(t->front().id == "CL:0000084");
}

TEST_CASE("network and co-citation are derived from what was added") {
  InMemoryKnowledgeBase kb;
  kb.AddInteraction("STAT1", "IRF1");
  kb.AddInteraction("IRF1", "GBP1");
  auto network = kb.Network();
  REQUIRE(network.ok());
  CHECK((*network)->genes == std::vector<std::string>{"GBP1", "IRF1", "STAT1"});
  CHECK((*network)->adjacency[1].size() == 2);
  CHECK((*network)->IndexOf("MYC") == -1);

  kb.AddPublications("IFNG", {"PMID:1", "PMID:2", "PMID:3"});
  kb.AddPublications("STAT1", {"PMID:2", "PMID:3", "PMID:9"});
  kb.AddPublications("ACTB", {"PMID:10"});
  auto co = kb.CoCitations({"IFNG"}, {"STAT1", "ACTB", "NOVEL"});
  REQUIRE(co.ok());
  CHECK((*co)[0].shared_publications == 2);
  CHECK((*co)[0].expected_shared == Approx(3.0 * 3.0 / 5.0));
  CHECK((*co)[1].shared_publications == 0);
  CHECK((*co)[2].gene_publications == 0);
  CHECK((*co)[0].query_publications == 3);
  CHECK((*co)[0].corpus_publications == 5);

  // A screen linking more than kMaxGenesPerPublication genes (IFNG and ACTB among them) counts
  // for nothing: not as shared, not in the gene's, the query's or the corpus's papers.
  for (int i = 0; i < kMaxGenesPerPublication; ++i) {
    kb.AddPublications("SCREENED" + std::to_string(i), {"PMID:77"});
  }
  kb.AddPublications("IFNG", {"PMID:77"});
  kb.AddPublications("ACTB", {"PMID:77"});
  co = kb.CoCitations({"IFNG"}, {"ACTB"});
  REQUIRE(co.ok());
  CHECK((*co)[0].shared_publications == 0);
  CHECK((*co)[0].gene_publications == 1);
  CHECK((*co)[0].corpus_publications == 5);
}

TEST_CASE("perturbations are found by any synonym") {
  InMemoryKnowledgeBase kb;
  kb.AddPerturbation({"IFNG",
                      PerturbationType::kCytokine,
                      {"IFN-gamma", "interferon gamma"},
                      {"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"},
                      {"GO:0034341"},
                      {},
                      {},
                      ""});
  auto p = kb.FindPerturbation("Interferon-Gamma");
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->name == "IFNG");
  CHECK_FALSE(kb.FindPerturbation("TNF")->has_value());
}

}  // namespace
}  // namespace haystack
