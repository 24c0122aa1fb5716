// SqliteKnowledgeBase built by KnowledgeImporter from the fixtures and the curated tables.
#include "haystack/knowledge/sqlite_knowledge_base.h"

#include <map>
#include <thread>

#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "haystack/knowledge/knowledge_importer.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::string Fixture(const std::string& name) {
  return (testing::SourceDir() / "tests/knowledge/data" / name).string();
}

// Curated tables, then the mini GO (OBO + GAF), the mini Cell Ontology and a GMT.
std::string BuildFixtureKb(const testing::TempDir& dir, bool with_string) {
  const std::string path = dir.File("kb.sqlite");
  FakeClock clock;
  auto importer = KnowledgeImporter::Create(path, clock);
  REQUIRE(importer.ok());
  auto& kb = **importer;
  REQUIRE(kb.ImportCurated((testing::SourceDir() / "data/curated").string()).ok());
  auto go = ParseObo(Fixture("mini_go.obo"));
  REQUIRE(go.ok());
  auto gaf = ParseGaf(Fixture("mini_goa.gaf"));
  REQUIRE(gaf.ok());
  auto go_sets = GeneSetsFromGaf(*go, *gaf, "mini_goa.gaf");
  REQUIRE(go_sets.ok());
  const SourceVersion go_source = kb.MakeSource("GO", go->version, "CC BY 4.0", "fixture");
  auto terms_report = kb.ImportOntology(*go, go_source);
  REQUIRE(terms_report.ok());
  CHECK(terms_report->counts.at("terms") == 7);
  auto sets_report = kb.ImportGeneSets(*go_sets, go_source);
  REQUIRE(sets_report.ok());
  auto gmt = ParseGmt(Fixture("hallmark_mini.gmt"), "HALLMARK");
  REQUIRE(gmt.ok());
  REQUIRE(
      kb.ImportGeneSets(*gmt, kb.MakeSource("MSigDB Hallmark", "fixture", "CC BY 4.0", "")).ok());
  if (with_string) {
    auto links = ParseStringLinks(Fixture("string_links.txt"), Fixture("string_info.txt"), 700);
    REQUIRE(links.ok());
    REQUIRE(
        kb.ImportInteractions(*links, kb.MakeSource("STRING", "v12", "CC BY 4.0", "score >= 700"))
            .ok());
  }
  REQUIRE(kb.Finish().ok());
  return path;
}

std::unique_ptr<SqliteKnowledgeBase> Open(const std::string& path) {
  auto kb = SqliteKnowledgeBase::Open(path);
  REQUIRE(kb.ok());
  return std::move(*kb);
}

TEST_CASE("gene sets: collections, members, membership and size filters") {
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  auto collections = kb->GeneSetCollections();
  REQUIRE(collections.ok());
  CHECK(*collections == std::vector<std::string>{"GO_BP", "GO_MF", "HALLMARK"});
  auto set = kb->GetGeneSet("GO:0034341");
  REQUIRE(set.ok());
  REQUIRE(set->has_value());
  CHECK((*set)->name == "response to type II interferon");
  CHECK((*set)->genes == std::vector<std::string>{"IFNGR2", "IRF1", "STAT1"});
  auto containing = kb->GeneSetsContaining("IRF1");
  REQUIRE(containing.ok());
  CHECK(*containing == std::vector<std::string>{"ENRICHR_STYLE_SET", "GO:0008150", "GO:0034097",
                                                "GO:0034341",
                                                "HALLMARK_INTERFERON_GAMMA_RESPONSE"});
  auto hallmark = kb->GeneSets("HALLMARK", 3, 4);
  REQUIRE(hallmark.ok());
  REQUIRE(hallmark->size() == 2);
  CHECK((*hallmark)[0].id == "HALLMARK_INTERFERON_GAMMA_RESPONSE");
  CHECK((*hallmark)[1].genes == std::vector<std::string>{"CXCL8", "NFKBIA", "RELB", "TNFAIP3"});
  auto none = kb->GetGeneSet("GO:0000000");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("gene sets within a gene list equal the whole sets filtered, by SQL and by default") {
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  std::vector<std::string> genes = {"STAT1", "IRF1", "NFKBIA", "TNFAIP3", "NOT_A_GENE"};
  // An atlas's many genes, most unknown: the collection's member rows are read at once.
  std::vector<std::string> many = genes;
  for (int i = 0; i < 2500; ++i) many.push_back("UNKNOWN" + std::to_string(i));
  for (const auto& [collection, gene_list] :
       {std::pair{"GO_BP", 0}, {"GO_MF", 0}, {"HALLMARK", 0}, {"GO_BP", 1}, {"HALLMARK", 1}}) {
    INFO(collection << (gene_list == 1 ? " among 2,505 genes" : ""));
    if (gene_list == 1) genes = many;
    auto all = kb->GeneSets(collection, 1, 1 << 30);
    REQUIRE(all.ok());
    std::vector<GeneSet> expected;
    for (GeneSet set : *all) {
      std::erase_if(set.genes, [&](const std::string& g) {
        return std::find(genes.begin(), genes.end(), g) == genes.end();
      });
      if (!set.genes.empty()) expected.push_back(std::move(set));
    }
    auto within = kb->GeneSetsWithin(collection, genes);
    REQUIRE(within.ok());
    if (std::string(collection) != "GO_MF") CHECK(!within->empty());  // no GO_MF set has them
    REQUIRE(within->size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK((*within)[i].id == expected[i].id);
      CHECK((*within)[i].name == expected[i].name);
      CHECK((*within)[i].collection == expected[i].collection);
      CHECK((*within)[i].genes == expected[i].genes);
    }
    // The interface's default (read everything, filter) gives the same answer.
    auto by_default = kb->KnowledgeBase::GeneSetsWithin(collection, genes);
    REQUIRE(by_default.ok());
    REQUIRE(by_default->size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK((*by_default)[i].genes == expected[i].genes);
    }
  }
}

TEST_CASE("whole-collection reads on their own connection run beside the other methods") {
  // A run reads its gene sets on a thread of its own while it builds prompts: the long read
  // (its own read-only connection) and the short lookups (the shared one) answer correctly
  // together.
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  std::vector<std::string> many = {"STAT1", "IRF1", "NFKBIA", "TNFAIP3"};
  for (int i = 0; i < 2500; ++i) many.push_back("UNKNOWN" + std::to_string(i));
  auto expected = kb->GeneSetsWithin("GO_BP", many);
  REQUIRE(expected.ok());
  REQUIRE_FALSE(expected->empty());
  std::vector<absl::StatusOr<std::vector<GeneSet>>> read(4);
  std::vector<std::thread> readers;
  for (auto& r : read) readers.emplace_back([&] { r = kb->GeneSetsWithin("GO_BP", many); });
  int found = 0;
  for (int i = 0; i < 200; ++i) {
    auto gene = kb->FindGene(i % 2 == 0 ? "IRF1" : "STAT1");
    if (gene.ok() && gene->has_value()) ++found;
  }
  for (auto& t : readers) t.join();
  CHECK(found == 200);
  for (const auto& r : read) {
    REQUIRE(r.ok());
    REQUIRE(r->size() == expected->size());
    for (size_t i = 0; i < r->size(); ++i) {
      CHECK((*r)[i].id == (*expected)[i].id);
      CHECK((*r)[i].genes == (*expected)[i].genes);
    }
  }
}

TEST_CASE("terms and neighbours agree with the in-memory implementation") {
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  auto term = kb->GetTerm("CL:0001054");
  REQUIRE(term.ok());
  REQUIRE(term->has_value());
  CHECK((*term)->name == "CD14-positive monocyte");
  CHECK((*term)->ontology == "CL");
  // The same curated ontology in an InMemoryKnowledgeBase.
  auto cells = ParseOntologyTsv((testing::SourceDir() / "data/curated/cell_types.tsv").string());
  REQUIRE(cells.ok());
  InMemoryKnowledgeBase reference;
  for (const auto& t : cells->terms) {
    std::vector<std::string> parents;
    for (const auto& e : cells->edges) {
      if (e.child == t.id) parents.push_back(e.parent);
    }
    reference.AddTerm(t, parents);
  }
  for (const char* id : {"CL:0001054", "CL:0000576", "CL:0000084", "CL:0000000"}) {
    auto got = kb->Neighbors(id, 2);
    auto want = reference.Neighbors(id, 2);
    REQUIRE(got.ok());
    REQUIRE(want.ok());
    std::map<std::string, std::pair<int, std::string>> g, w;
    for (const auto& n : *got) g[n.term.id] = {n.distance, n.relation};
    for (const auto& n : *want) w[n.term.id] = {n.distance, n.relation};
    INFO(id);
    CHECK(g == w);
  }
  auto far = kb->Neighbors("CL:0001054", 3);
  REQUIRE(far.ok());
  std::map<std::string, std::pair<int, std::string>> by_id;
  for (const auto& n : *far) by_id[n.term.id] = {n.distance, n.relation};
  CHECK(by_id["CL:0000738"] == std::make_pair(3, std::string("ancestor")));
  CHECK(by_id["CL:0000542"] == std::make_pair(3, std::string("relative")));  // parent's sibling
  // part_of counts as a hierarchy edge: the GO signalling pathway is part of the response.
  auto go = kb->Neighbors("GO:0060333", 1);
  REQUIRE(go.ok());
  std::vector<std::string> parents;
  for (const auto& n : *go) parents.push_back(n.term.id);
  CHECK(parents == std::vector<std::string>{"GO:0008150", "GO:0034341"});
  auto unknown = kb->Neighbors("CL:9999999", 2);
  REQUIRE_FALSE(unknown.ok());
  CHECK(GetErrorKind(unknown.status()) == ErrorKind::kEntityResolution);
}

TEST_CASE("entity resolution: names, synonyms, plurals, CD14+ style and Greek letters") {
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  auto first = [&](EntityKind kind, const char* text) {
    auto matches = kb->Resolve(kind, text, 3);
    REQUIRE(matches.ok());
    REQUIRE_FALSE(matches->empty());
    return matches->front();
  };
  CHECK(first(EntityKind::kCellType, "CD14+ monocytes").id == "CL:0001054");
  CHECK(first(EntityKind::kCellType, "classical Monocytes").id == "CL:0001054");
  CHECK(first(EntityKind::kCellType, "T-cells").id == "CL:0000084");
  const EntityMatch exact = first(EntityKind::kCellType, "b cell");
  CHECK(exact.id == "CL:0000236");
  CHECK(MatchMethodName(exact.method) == "exact");
  CHECK(exact.score == 1.0);
  const EntityMatch synonym = first(EntityKind::kCellType, "NK cells");
  CHECK(synonym.id == "CL:0000623");
  CHECK(MatchMethodName(synonym.method) == "synonym");
  CHECK(synonym.name == "natural killer cell");
  CHECK(first(EntityKind::kCellType, "FCGR3A+ monocytes").id == "CL:0002396");
  // Only the "+" → "positive" variant names "CD4-positive, alpha-beta T cell".
  const EntityMatch plus = first(EntityKind::kCellType, "CD4+ alpha-beta T cells");
  CHECK(plus.id == "CL:0000624");
  CHECK(MatchMethodName(plus.method) == "normalized");
  const EntityMatch fuzzy = first(EntityKind::kCellType, "CD14+ monocytes from blood");
  CHECK(fuzzy.id == "CL:0001054");
  CHECK(MatchMethodName(fuzzy.method) == "fuzzy");
  CHECK(fuzzy.score < 0.5);
  CHECK(first(EntityKind::kTissue, "Lungs").id == "UBERON:0002048");
  CHECK(first(EntityKind::kDisease, "Crohn's disease").id == "MONDO:0005011");
  CHECK(first(EntityKind::kPerturbation, "IFN-γ").id == "IFNG");
  CHECK(first(EntityKind::kPerturbation, "interferon gamma").id == "IFNG");
  CHECK(first(EntityKind::kPerturbation, "Dex").id == "dexamethasone");
  CHECK(MatchMethodName(first(EntityKind::kGene, "STAT1").method) == "exact");
  CHECK(MatchMethodName(first(EntityKind::kGene, "stat1").method) == "normalized");
  // Containment is by whole words: "mono" is not part of "monocyte".
  auto partial = kb->Resolve(EntityKind::kCellType, "mono", 5);
  REQUIRE(partial.ok());
  CHECK(partial->empty());
  const EntityMatch contained = first(EntityKind::kCellType, "monocytes");
  CHECK(contained.id == "CL:0000576");
  CHECK(MatchMethodName(contained.method) == "exact");
  auto nothing = kb->Resolve(EntityKind::kCellType, "hepatocyte", 5);
  REQUIRE(nothing.ok());
  CHECK(nothing->empty());
  auto p = kb->FindPerturbation("TNF-alpha");
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->name == "TNF");
  CHECK((*p)->type == PerturbationType::kCytokine);
  CHECK((*p)->targets.front() == "TNFRSF1A");
  auto all = kb->Perturbations();
  REQUIRE(all.ok());
  CHECK(all->size() == 8);
}

TEST_CASE("network: GO co-annotation proxy without STRING, STRING when imported") {
  testing::TempDir proxy_dir;
  auto proxy = Open(BuildFixtureKb(proxy_dir, false))->Network();
  REQUIRE(proxy.ok());
  CHECK_THAT((*proxy)->source, Catch::Contains("GO co-annotation proxy"));
  CHECK((*proxy)->genes == std::vector<std::string>{"IFNGR2", "IRF1", "STAT1"});
  for (const auto& neighbours : (*proxy)->adjacency) CHECK(neighbours.size() == 2);

  testing::TempDir string_dir;
  auto kb = Open(BuildFixtureKb(string_dir, true));
  auto network = kb->Network();
  REQUIRE(network.ok());
  CHECK_THAT((*network)->source, Catch::Contains("STRING v12"));
  CHECK((*network)->genes == std::vector<std::string>{"GBP1", "IRF1", "JAK1", "STAT1"});
  const int32_t stat1 = (*network)->IndexOf("STAT1");
  REQUIRE(stat1 >= 0);
  CHECK((*network)->adjacency[static_cast<size_t>(stat1)] ==
        std::vector<int32_t>{(*network)->IndexOf("JAK1")});
  auto again = kb->Network();
  REQUIRE(again.ok());
  CHECK(again->get() == network->get());  // built once
}

TEST_CASE("concurrent lookups from several threads return the single-threaded answers") {
  testing::TempDir dir;
  auto kb = Open(BuildFixtureKb(dir, false));
  auto snapshot = [&]() {
    std::string out;
    auto sets = kb->GeneSetsContaining("IRF1");
    auto neighbours = kb->Neighbors("CL:0001054", 2);
    auto matches = kb->Resolve(EntityKind::kCellType, "CD14+ monocytes", 3);
    auto network = kb->Network();
    if (!sets.ok() || !neighbours.ok() || !matches.ok() || !network.ok()) return out;
    for (const auto& id : *sets) out += id + ",";
    for (const auto& n : *neighbours) out += n.term.id + n.relation + ",";
    for (const auto& m : *matches) out += m.id + std::string(MatchMethodName(m.method)) + ",";
    out += std::to_string((*network)->genes.size());
    return out;
  };
  const std::string expected = snapshot();
  REQUIRE_FALSE(expected.empty());
  std::vector<std::string> last(4);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        last[t] = snapshot();
        if (last[t] != expected) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("genes, sources and file checks") {
  testing::TempDir dir;
  const std::string path = BuildFixtureKb(dir, false);
  auto kb = Open(path);
  auto gene = kb->FindGene("IRF1");
  REQUIRE(gene.ok());
  REQUIRE(gene->has_value());
  CHECK((*gene)->symbol == "IRF1");
  auto sources = kb->Sources();
  REQUIRE(sources.ok());
  std::vector<std::string> names;
  for (const auto& s : *sources) names.push_back(s.source);
  CHECK(std::count(names.begin(), names.end(), "GO") == 1);
  CHECK(std::count(names.begin(), names.end(), "curated perturbations") == 1);
  CHECK(sources->front().imported_at == "2026-09-21T14:13:20.000000Z");

  auto missing = SqliteKnowledgeBase::Open(dir.File("absent.sqlite"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  // An import that was never finished is refused.
  FakeClock clock;
  REQUIRE(KnowledgeImporter::Create(dir.File("unfinished.sqlite"), clock).ok());
  auto unfinished = SqliteKnowledgeBase::Open(dir.File("unfinished.sqlite"));
  REQUIRE_FALSE(unfinished.ok());
  CHECK_THAT(std::string(unfinished.status().message()), Catch::Contains("unfinished"));
}

TEST_CASE("perturbations whose expected pathways the knowledge base lacks are rejected") {
  testing::TempDir dir;
  FakeClock clock;
  auto importer = KnowledgeImporter::Create(dir.File("kb.sqlite"), clock);
  REQUIRE(importer.ok());
  auto go = ParseObo(Fixture("mini_go.obo"));
  REQUIRE(go.ok());
  REQUIRE((*importer)->ImportOntology(*go, (*importer)->MakeSource("GO", "", "", "")).ok());
  const std::string tsv = Fixture("unknown_pathway_perturbations.tsv");
  auto rows = ParsePerturbationTsv(tsv);
  REQUIRE(rows.ok());
  auto report =
      (*importer)->ImportPerturbations(*rows, tsv, (*importer)->MakeSource("p", "", "", ""));
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(
      std::string(report.status().message()),
      Catch::Contains("unknown_pathway_perturbations.tsv:2: expected pathway \"GO:0099999\""));
}

}  // namespace
}  // namespace haystack
