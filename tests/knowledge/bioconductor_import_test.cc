// Import from the real Debian annotation files (r-bioc-org.hs.eg.db, r-bioc-go.db), fetched by
// scripts/fetch-knowledge-data. Without them the case is skipped with a warning, unless
// HAYSTACK_REQUIRE_KNOWLEDGE_DATA=1 (scripts/test sets it), which makes it fail.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "catch2/catch.hpp"
#include "haystack/knowledge/knowledge_importer.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::filesystem::path DataDir() {
  if (const char* dir = std::getenv("HAYSTACK_KNOWLEDGE_DATA"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache != nullptr && *cache != '\0') {
    return std::filesystem::path(cache) / "haystack/debian-data";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/") / ".cache/haystack/debian-data";
}

// Shared by the sections: the import takes tens of seconds, so it runs once per process.
struct RealKb {
  testing::TempDir dir;
  ImportReport report;
  std::unique_ptr<SqliteKnowledgeBase> kb;
};

RealKb* BuildOnce(const std::filesystem::path& data) {
  static RealKb* built = [&] {
    auto* real = new RealKb();
    FakeClock clock;
    auto importer = KnowledgeImporter::Create(real->dir.File("kb.sqlite"), clock);
    REQUIRE(importer.ok());
    auto report = (*importer)->ImportBioconductor((data / "org.Hs.eg.sqlite").string(),
                                                  (data / "GO.sqlite").string());
    INFO(report.status().ToString());
    REQUIRE(report.ok());
    real->report = *report;
    REQUIRE((*importer)->ImportCurated((testing::SourceDir() / "data/curated").string()).ok());
    REQUIRE((*importer)->Finish().ok());
    auto kb = SqliteKnowledgeBase::Open(real->dir.File("kb.sqlite"));
    REQUIRE(kb.ok());
    real->kb = std::move(*kb);
    return real;
  }();
  return built;
}

TEST_CASE("import from the Debian org.Hs.eg.db and GO.db files") {
  const auto data = DataDir();
  if (!std::filesystem::exists(data / "org.Hs.eg.sqlite") ||
      !std::filesystem::exists(data / "GO.sqlite")) {
    const char* required = std::getenv("HAYSTACK_REQUIRE_KNOWLEDGE_DATA");
    if (required != nullptr && std::string(required) == "1") {
      FAIL("HAYSTACK_REQUIRE_KNOWLEDGE_DATA=1 but " << data << " lacks the SQLite files");
    }
    WARN("no Debian annotation files in " << data << " (run scripts/fetch-knowledge-data)");
    return;
  }
  RealKb* real = BuildOnce(data);
  const SqliteKnowledgeBase& kb = *real->kb;

  SECTION("counts are those of the 2022 releases") {
    const auto& c = real->report.counts;
    CHECK(c.at("genes") == 77510);  // 77,614 Entrez genes, 104 reused symbols
    CHECK(c.at("go_terms") == 43558);
    CHECK(c.at("publication_links") > 1'700'000);
    CHECK(c.at("gene_sets") > 20'000);
    auto sources = kb.Sources();
    REQUIRE(sources.ok());
    bool go_dated = false;
    for (const auto& s : *sources) go_dated = go_dated || s.version == "3.16.0; GO 2022-07-01";
    CHECK(go_dated);
  }

  // GO 2022-07-01 still names GO:0034341 "response to interferon-gamma" (renamed "response to
  // type II interferon" in 2022-09).
  SECTION("STAT1 and IRF1 respond to type II interferon; GO names resolve") {
    auto set = kb.GetGeneSet("GO:0034341");
    REQUIRE(set.ok());
    REQUIRE(set->has_value());
    CHECK((*set)->name == "response to interferon-gamma");
    CHECK((*set)->collection == "GO_BP");
    const auto& genes = (*set)->genes;
    CHECK(std::binary_search(genes.begin(), genes.end(), "STAT1"));
    CHECK(std::binary_search(genes.begin(), genes.end(), "IRF1"));
    auto containing = kb.GeneSetsContaining("STAT1");
    REQUIRE(containing.ok());
    CHECK(std::binary_search(containing->begin(), containing->end(), "GO:0060333"));
    auto term = kb.GetTerm("GO:0060333");
    REQUIRE(term.ok());
    REQUIRE(term->has_value());
    CHECK((*term)->name == "interferon-gamma-mediated signaling pathway");
    // The pathway is part_of "cellular response to interferon-gamma", which is_a the response.
    auto neighbours = kb.Neighbors("GO:0034341", 2);
    REQUIRE(neighbours.ok());
    std::map<std::string, std::pair<int, std::string>> by_id;
    for (const auto& n : *neighbours) by_id[n.term.id] = {n.distance, n.relation};
    CHECK(by_id["GO:0071346"] == std::make_pair(1, std::string("child")));
    CHECK(by_id["GO:0060333"] == std::make_pair(2, std::string("grandchild")));
  }

  SECTION("genes resolve by symbol and alias") {
    auto gene = kb.FindGene("STAT91");
    REQUIRE(gene.ok());
    REQUIRE(gene->has_value());
    CHECK((*gene)->symbol == "STAT1");
    CHECK((*gene)->entrez_id == "6772");
    auto matches = kb.Resolve(EntityKind::kGene, "ifng", 1);
    REQUIRE(matches.ok());
    REQUIRE(matches->size() == 1);
    CHECK(matches->front().id == "IFNG");
  }

  SECTION("Ensembl ids name the genes Python's sqlite3 finds in org.Hs.eg.sqlite") {
    // Ids of exactly one gene, that gene being the one kept for its symbol (the first _id).
    const std::string script = R"py(
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
kept = {i for (i,) in db.execute("SELECT MIN(_id) FROM gene_info GROUP BY symbol")}
symbol = dict(db.execute("SELECT _id, symbol FROM gene_info"))
ids = {}
for e, n, i in db.execute("SELECT ensembl_id, COUNT(DISTINCT _id), MIN(_id) FROM ensembl "
                          "GROUP BY ensembl_id ORDER BY ensembl_id"):
    ids[e] = symbol[i] if n == 1 and i in kept else None
print(sum(s is not None for s in ids.values()))
for e in sorted(ids)[::4000]:
    print(e, ids[e] or "-")
print(next(e for e in sorted(ids) if ids[e] is None), "-")
)py";
    auto result = testing::RunProcess(
        {"/usr/bin/python3", "-c", script, (data / "org.Hs.eg.sqlite").string()});
    INFO(result.stderr_text);
    REQUIRE(result.exit_code == 0);
    std::istringstream lines(result.stdout_text);
    int64_t mapped = 0;
    lines >> mapped;
    CHECK(real->report.counts.at("ensembl_ids") == mapped);
    CHECK(mapped > 30'000);
    std::string id, expected;
    int checked = 0;
    while (lines >> id >> expected) {
      INFO(id);
      auto symbol = kb.SymbolOfEnsemblId(id);
      REQUIRE(symbol.ok());
      CHECK(symbol->value_or("-") == expected);
      ++checked;
    }
    CHECK(checked >= 10);
    auto stat1 = kb.SymbolOfEnsemblId("ENSG00000115415.17");
    REQUIRE(stat1.ok());
    CHECK(*stat1 == std::optional<std::string>("STAT1"));
  }

  SECTION(
      "co-citation matches an independent count over org.Hs.eg.sqlite without the papers that "
      "link more than 50 genes") {
    const std::vector<std::string> query = {"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"};
    const std::vector<std::string> genes = {"IFNG", "IRF1", "GBP1", "CXCL10", "ACTB", "OR2A4"};
    auto co = kb.CoCitations(query, genes);
    REQUIRE(co.ok());
    REQUIRE(co->size() == genes.size());
    CHECK((*co)[0].gene_publications > 1500);  // IFNG: thousands of focused papers
    // Python's sqlite3 on the upstream file: the first Entrez id per symbol, as imported.
    const std::string script = R"py(
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = {s: i for i, s in db.execute(
    "SELECT MIN(_id), symbol FROM gene_info GROUP BY symbol").fetchall()}
kept_genes = "(SELECT MIN(_id) FROM gene_info GROUP BY symbol)"
sizes = dict(db.execute("SELECT pubmed_id, COUNT(DISTINCT _id) FROM pubmed WHERE _id IN " +
                        kept_genes + " GROUP BY pubmed_id").fetchall())
def pubs(symbol):
    return {r[0] for r in db.execute("SELECT pubmed_id FROM pubmed WHERE _id = ?", (ids[symbol],))
            if sizes[r[0]] <= 50}
corpus = sum(1 for n in sizes.values() if n <= 50)
q = set().union(*(pubs(s) for s in sys.argv[2].split(",")))
for s in sys.argv[3].split(","):
    p = pubs(s)
    print(s, len(p & q), len(p), repr(len(p) * len(q) / corpus))
)py";
    std::string query_arg, genes_arg;
    for (const auto& q : query) query_arg += (query_arg.empty() ? "" : ",") + q;
    for (const auto& g : genes) genes_arg += (genes_arg.empty() ? "" : ",") + g;
    auto result = testing::RunProcess({"/usr/bin/python3", "-c", script,
                                       (data / "org.Hs.eg.sqlite").string(), query_arg, genes_arg});
    INFO(result.stderr_text);
    REQUIRE(result.exit_code == 0);
    std::istringstream lines(result.stdout_text);
    for (const auto& c : *co) {
      std::string symbol;
      int64_t shared = 0, total = 0;
      double expected = 0;
      lines >> symbol >> shared >> total >> expected;
      INFO(symbol);
      CHECK(symbol == c.gene);
      CHECK(c.shared_publications == shared);
      CHECK(c.gene_publications == total);
      CHECK(c.expected_shared == Approx(expected).epsilon(1e-12));
      CHECK(c.corpus_publications > 700'000);
    }
    // Interferon-gamma-induced genes are co-cited with the pathway far above independence.
    CHECK(static_cast<double>((*co)[1].shared_publications) > 5 * (*co)[1].expected_shared);
  }

  SECTION("the GO co-annotation proxy network links specific co-annotated genes") {
    auto network = kb.Network();
    REQUIRE(network.ok());
    CHECK_THAT((*network)->source, Catch::Contains("GO co-annotation proxy"));
    CHECK((*network)->genes.size() > 5'000);
    const int32_t jak1 = (*network)->IndexOf("JAK1");
    REQUIRE(jak1 >= 0);
    const auto& adjacent = (*network)->adjacency[static_cast<size_t>(jak1)];
    CHECK(std::binary_search(adjacent.begin(), adjacent.end(), (*network)->IndexOf("JAK2")));
  }

  SECTION("curated facts sit on top of the real GO") {
    auto p = kb.FindPerturbation("interferon-gamma");
    REQUIRE(p.ok());
    REQUIRE(p->has_value());
    for (const auto& id : (*p)->expected_pathways) {
      auto set = kb.GetGeneSet(id);
      REQUIRE(set.ok());
      CHECK(set->has_value());
    }
  }
}

}  // namespace
}  // namespace haystack
