// The KnowledgeBase conformance suite: the same content in SqliteKnowledgeBase (written by the
// importer) and InMemoryKnowledgeBase (filled by code), and every question asked of both must
// get the same answer — so that the agent's tests, which run on the fake, test what production
// does. Content: the curated tables (cell types, tissues, diseases with is_a parents,
// perturbations), the mini GO (terms, part_of edges, gene sets) and a GMT collection.
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catch2/catch.hpp"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/formats.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "haystack/knowledge/knowledge_importer.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::string Path(const std::string& relative) { return (testing::SourceDir() / relative).string(); }

struct Content {
  std::vector<OntologyData> ontologies;
  std::vector<PerturbationRow> perturbations;
  std::vector<GeneSet> gene_sets;
  // STAT1's real id, an id given two genes (maps to none) and a gene no set names.
  std::vector<std::pair<std::string, std::string>> ensembl = {{"ENSG00000115415", "STAT1"},
                                                              {"ENSG00000000001", "STAT1"},
                                                              {"ENSG00000000001", "IRF1"},
                                                              {"ENSG00000000002", "NEWGENE1"}};
};

const Content& TheContent() {
  static const Content* content = [] {
    auto* c = new Content();
    for (const char* table : {"cell_types", "tissues", "diseases"}) {
      auto data = ParseOntologyTsv(Path(std::string("data/curated/") + table + ".tsv"));
      REQUIRE(data.ok());
      c->ontologies.push_back(std::move(*data));
    }
    auto go = ParseObo(Path("tests/knowledge/data/mini_go.obo"));
    REQUIRE(go.ok());
    auto gaf = ParseGaf(Path("tests/knowledge/data/mini_goa.gaf"));
    REQUIRE(gaf.ok());
    auto go_sets = GeneSetsFromGaf(*go, *gaf, "mini_goa.gaf");
    REQUIRE(go_sets.ok());
    c->ontologies.push_back(std::move(*go));
    c->gene_sets = std::move(*go_sets);
    auto gmt = ParseGmt(Path("tests/knowledge/data/hallmark_mini.gmt"), "HALLMARK");
    REQUIRE(gmt.ok());
    c->gene_sets.insert(c->gene_sets.end(), gmt->begin(), gmt->end());
    auto rows = ParsePerturbationTsv(Path("data/curated/perturbations.tsv"));
    REQUIRE(rows.ok());
    c->perturbations = std::move(*rows);
    return c;
  }();
  return *content;
}

std::unique_ptr<KnowledgeBase> BuildSqlite(const testing::TempDir& dir) {
  const std::string path = dir.File("conformance.sqlite");
  FakeClock clock;
  auto importer = KnowledgeImporter::Create(path, clock);
  REQUIRE(importer.ok());
  const Content& c = TheContent();
  const SourceVersion source = (*importer)->MakeSource("fixture", "1", "CC BY 4.0", "");
  // Perturbations first: their pathways are checked against GO once GO is imported, and the
  // mini GO lacks them.
  REQUIRE((*importer)->ImportPerturbations(c.perturbations, "perturbations.tsv", source).ok());
  for (const OntologyData& o : c.ontologies) REQUIRE((*importer)->ImportOntology(o, source).ok());
  REQUIRE((*importer)->ImportGeneSets(c.gene_sets, source).ok());
  REQUIRE((*importer)->ImportEnsemblIds(c.ensembl, source).ok());
  REQUIRE((*importer)->Finish().ok());
  auto kb = SqliteKnowledgeBase::Open(path);
  REQUIRE(kb.ok());
  return std::move(*kb);
}

std::unique_ptr<KnowledgeBase> BuildInMemory() {
  auto kb = std::make_unique<InMemoryKnowledgeBase>();
  const Content& c = TheContent();
  for (const OntologyData& o : c.ontologies) {
    for (const OntologyTerm& t : o.terms) {
      std::vector<std::string> parents;
      for (const TermEdge& e : o.edges) {
        if (e.child == t.id) parents.push_back(e.parent);
      }
      kb->AddTerm(t, parents);
    }
  }
  std::set<std::string> genes;
  for (const GeneSet& s : c.gene_sets) {
    kb->AddGeneSet(s);
    genes.insert(s.genes.begin(), s.genes.end());
  }
  for (const PerturbationRow& row : c.perturbations) kb->AddPerturbation(row.perturbation);
  for (const std::string& g : genes) kb->AddGene({g, "", "", {}});
  for (const auto& [id, symbol] : c.ensembl) kb->AddEnsemblId(id, symbol);
  return kb;
}

// A canonical text of an answer, for comparing the two implementations.
std::string Text(const absl::Status& s) {
  return absl::StrCat("error ", std::string(ErrorKindName(GetErrorKind(s))), " ",
                      absl::StatusCodeToString(s.code()));
}
std::string Text(const absl::StatusOr<std::vector<EntityMatch>>& r) {
  if (!r.ok()) return Text(r.status());
  std::ostringstream out;
  for (const EntityMatch& m : *r) {
    out << m.id << "|" << m.name << "|" << MatchMethodName(m.method) << "|" << m.score << "; ";
  }
  return out.str();
}
std::string Text(const absl::StatusOr<std::vector<OntologyNeighbor>>& r) {
  if (!r.ok()) return Text(r.status());
  std::ostringstream out;
  for (const OntologyNeighbor& n : *r) {
    out << n.term.id << "|" << n.term.name << "|" << n.distance << "|" << n.relation << "; ";
  }
  return out.str();
}
std::string Text(const absl::StatusOr<std::optional<Perturbation>>& r) {
  if (!r.ok()) return Text(r.status());
  if (!r->has_value()) return "none";
  const Perturbation& p = **r;
  return absl::StrCat(p.name, "|", std::string(EnumName(p.type)), "|",
                      absl::StrJoin(p.synonyms, ","), "|", absl::StrJoin(p.targets, ","), "|",
                      absl::StrJoin(p.expected_pathways, ","));
}
std::string Text(const absl::StatusOr<std::optional<OntologyTerm>>& r) {
  if (!r.ok()) return Text(r.status());
  if (!r->has_value()) return "none";
  std::vector<std::string> synonyms = (*r)->synonyms;
  std::sort(synonyms.begin(), synonyms.end());
  return absl::StrCat((*r)->id, "|", (*r)->name, "|", (*r)->ontology, "|",
                      absl::StrJoin(synonyms, ","));
}
std::string Text(const absl::StatusOr<std::vector<GeneSet>>& r) {
  if (!r.ok()) return Text(r.status());
  std::vector<std::string> sets;
  for (const GeneSet& s : *r) {
    sets.push_back(
        absl::StrCat(s.id, "|", s.name, "|", s.collection, "|", absl::StrJoin(s.genes, ",")));
  }
  std::sort(sets.begin(), sets.end());
  return absl::StrJoin(sets, "; ");
}
std::string Text(const absl::StatusOr<std::optional<std::string>>& r) {
  if (!r.ok()) return Text(r.status());
  return r->value_or("none");
}
std::string Text(const absl::StatusOr<std::vector<std::string>>& r) {
  if (!r.ok()) return Text(r.status());
  return absl::StrJoin(*r, ",");
}

struct Both {
  testing::TempDir dir;
  std::unique_ptr<KnowledgeBase> sqlite = BuildSqlite(dir);
  std::unique_ptr<KnowledgeBase> fake = BuildInMemory();
};

#define SAME(call)                                     \
  do {                                                 \
    INFO(#call);                                       \
    CHECK(Text(b.fake->call) == Text(b.sqlite->call)); \
  } while (false)

TEST_CASE("conformance: Resolve has the same tiers, scores and order in both") {
  Both b;
  for (EntityKind kind : {EntityKind::kCellType, EntityKind::kTissue, EntityKind::kDisease,
                          EntityKind::kPerturbation}) {
    for (const char* text : {"CD14+ monocytes",
                             "classical Monocytes",
                             "T-cells",
                             "b cell",
                             "NK cells",
                             "FCGR3A+ monocytes",
                             "CD4+ alpha-beta T cells",
                             "CD14+ monocytes from blood",
                             "monocytes",
                             "mono",
                             "hepatocyte",
                             "Lungs",
                             "Crohn's disease",
                             "healthy",
                             "IFN-γ",
                             "interferon gamma",
                             "Dex",
                             "TNF-alpha",
                             "STAT1 KO",
                             "T cell",
                             "cell",
                             "blood",
                             "lymphocyte",
                             "epithelial cells of the lung"}) {
      INFO(text);
      SAME(Resolve(kind, text, 5));
    }
  }
  const auto plus = b.sqlite->Resolve(EntityKind::kCellType, "CD4+ alpha-beta T cells", 1);
  REQUIRE(plus.ok());
  REQUIRE(plus->size() == 1);
  CHECK(plus->front().method == MatchMethod::kNormalized);
}

TEST_CASE("conformance: genes resolve and are found the same way") {
  Both b;
  for (const char* text : {"STAT1", "stat1", "IRF1", "GBP1", "nope"}) {
    INFO(text);
    SAME(Resolve(EntityKind::kGene, text, 5));
    auto fake = b.fake->FindGene(text);
    auto real = b.sqlite->FindGene(text);
    REQUIRE(fake.ok());
    REQUIRE(real.ok());
    CHECK(fake->has_value() == real->has_value());
    if (fake->has_value()) CHECK((*fake)->symbol == (*real)->symbol);
  }
}

TEST_CASE("conformance: Ensembl ids map to the same symbols") {
  Both b;
  for (const char* id : {"ENSG00000115415", "ENSG00000115415.17", "ENSG00000000001",
                         "ENSG00000000002", "ENSG00000999999"}) {
    INFO(id);
    SAME(SymbolOfEnsemblId(id));
  }
  CHECK(Text(b.sqlite->SymbolOfEnsemblId("ENSG00000115415.17")) == "STAT1");
  CHECK(Text(b.sqlite->SymbolOfEnsemblId("ENSG00000000001")) == "none");
}

TEST_CASE("conformance: Neighbors and Ancestors walk the same graph, unknown ids fail alike") {
  Both b;
  for (const char* id : {"CL:0001054", "CL:0000576", "CL:0000084", "CL:0000000", "CL:0000624",
                         "UBERON:0002048", "MONDO:0005011", "GO:0060333", "GO:0034341"}) {
    INFO(id);
    for (int d = 1; d <= 4; ++d) {
      SAME(Neighbors(id, d));
      SAME(Ancestors(id, d));
    }
    SAME(GetTerm(id));
  }
  SAME(Neighbors("CL:9999999", 2));
  SAME(Ancestors("CL:9999999", 2));
  SAME(GetTerm("CL:9999999"));
  const auto unknown = b.fake->Neighbors("CL:9999999", 2);
  REQUIRE_FALSE(unknown.ok());
  CHECK(GetErrorKind(unknown.status()) == ErrorKind::kEntityResolution);
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
  const auto up = b.sqlite->Ancestors("CL:0000624", 8);
  REQUIRE(up.ok());
  CHECK(Text(up) == Text(b.fake->Ancestors("CL:0000624", 8)));
  CHECK(up->front().term.id == "CL:0000789");  // alpha-beta T cell, the parent
}

TEST_CASE("conformance: perturbations and gene sets") {
  Both b;
  for (const char* name : {"IFNG", "IFN-γ", "interferon-gamma", "Dex", "STAT1 KO", "aspirin"}) {
    INFO(name);
    SAME(FindPerturbation(name));
  }
  const auto fake_all = b.fake->Perturbations();
  const auto real_all = b.sqlite->Perturbations();
  REQUIRE(fake_all.ok());
  REQUIRE(real_all.ok());
  std::vector<std::string> fake_names, real_names;
  for (const Perturbation& p : *fake_all) fake_names.push_back(p.name);
  for (const Perturbation& p : *real_all) real_names.push_back(p.name);
  CHECK(fake_names == real_names);
  SAME(GeneSetCollections());
  SAME(GeneSets("GO_BP", 1, 1000));
  SAME(GeneSets("HALLMARK", 2, 3));
  for (const char* gene : {"IRF1", "STAT1", "NOPE"}) SAME(GeneSetsContaining(gene));
}

}  // namespace
}  // namespace haystack
