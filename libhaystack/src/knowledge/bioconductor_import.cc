// KnowledgeImporter::ImportBioconductor: genes, aliases, PubMed links, GO terms and GO gene sets
// from Bioconductor's org.Hs.eg.sqlite and GO.sqlite, copied with SQL over ATTACHed files.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/knowledge_importer.h"
#include "knowledge/internal/sqlite_db.h"

namespace haystack {
namespace {

// Each statement runs over the attached files `org` and `go`. GO.sqlite names relations "isa"
// and "part of"; "regulates" edges are not is_a/part_of and stay out.
constexpr const char* kCopyGenes[] = {
    // Symbols are unique in our schema; NCBI reuses 100 of 77,614 symbols (first Entrez id
    // wins, in _id order).
    "INSERT INTO genes(symbol, entrez_id, name) SELECT i.symbol, g.gene_id, i.gene_name FROM "
    "org.gene_info i JOIN org.genes g USING (_id) WHERE true ORDER BY i._id ON CONFLICT(symbol) "
    "DO NOTHING",
    "CREATE TEMP TABLE org_gene(_id INTEGER PRIMARY KEY, gene_id INTEGER NOT NULL)",
    "INSERT INTO org_gene SELECT g._id, k.gene_id FROM org.genes g JOIN genes k ON "
    "k.entrez_id = g.gene_id",
    "INSERT OR IGNORE INTO gene_aliases SELECT a.alias_symbol, m.gene_id FROM org.alias a JOIN "
    "org_gene m USING (_id) JOIN genes k ON k.gene_id = m.gene_id WHERE a.alias_symbol != "
    "k.symbol",
    // Ensembl ids of one gene only: the ~400 that org.Hs.eg.db maps to several genes would name
    // a column by a guess.
    "INSERT OR IGNORE INTO gene_ensembl SELECT e.ensembl_id, m.gene_id FROM org.ensembl e JOIN "
    "org_gene m USING (_id) WHERE e.ensembl_id IN (SELECT ensembl_id FROM org.ensembl GROUP BY "
    "ensembl_id HAVING COUNT(DISTINCT _id) = 1)",
    "INSERT OR IGNORE INTO publications SELECT m.gene_id, CAST(p.pubmed_id AS INTEGER) FROM "
    "org.pubmed p JOIN org_gene m USING (_id)",
};

constexpr const char* kCopyGo[] = {
    "INSERT INTO terms(id, name, ontology, obsolete) SELECT go_id, term, 'GO', 0 FROM "
    "go.go_term WHERE go_id LIKE 'GO:%' ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
    "obsolete = 0",
    "CREATE TEMP TABLE go_map(_id INTEGER PRIMARY KEY, term_id INTEGER NOT NULL)",
    "INSERT INTO go_map SELECT g._id, t.term_id FROM go.go_term g JOIN terms t ON t.id = "
    "g.go_id",
    "INSERT OR IGNORE INTO term_synonyms SELECT m.term_id, s.synonym FROM go.go_synonym s JOIN "
    "go_map m USING (_id) WHERE s.like_go_id = 0",
    "INSERT OR IGNORE INTO term_edges SELECT c.term_id, p.term_id, CASE r.relationship_type "
    "WHEN 'isa' THEN 'is_a' ELSE 'part_of' END FROM (SELECT * FROM go.go_bp_parents UNION ALL "
    "SELECT * FROM go.go_mf_parents UNION ALL SELECT * FROM go.go_cc_parents) r JOIN go_map c "
    "ON c._id = r._id JOIN go_map p ON p._id = r._parent_id WHERE r.relationship_type IN "
    "('isa', 'part of')",
};

// Gene sets per GO aspect. go_*_all repeats a (gene, term) pair per evidence code: DISTINCT.
std::string CopyGoSets(const char* aspect, const char* collection) {
  return absl::StrCat(
      "DELETE FROM gene_set_members WHERE set_id IN (SELECT set_id FROM gene_sets WHERE "
      "collection = '",
      collection, "');", "DELETE FROM gene_sets WHERE collection = '", collection, "';",
      "INSERT INTO gene_sets(id, name, collection) SELECT t.go_id, t.term, '", collection,
      "' FROM go.go_term t WHERE t.go_id IN (SELECT DISTINCT go_id FROM org.go_", aspect, "_all);",
      "INSERT OR IGNORE INTO gene_set_members SELECT s.set_id, m.gene_id FROM (SELECT DISTINCT "
      "_id, go_id FROM org.go_",
      aspect,
      "_all) a JOIN gene_sets s ON s.id = a.go_id JOIN "
      "org_gene m ON m._id = a._id;",
      "UPDATE gene_sets SET size = (SELECT COUNT(*) FROM gene_set_members m WHERE m.set_id = "
      "gene_sets.set_id) WHERE collection = '",
      collection, "';");
}

}  // namespace

absl::StatusOr<ImportReport> KnowledgeImporter::ImportBioconductor(
    const std::string& org_hs_eg_sqlite, const std::string& go_sqlite) {
  for (const auto* path : {&org_hs_eg_sqlite, &go_sqlite}) {
    if (!std::filesystem::exists(*path)) {
      return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound,
                       absl::StrCat(*path, " does not exist (run scripts/fetch-knowledge-data)"));
    }
  }
  HAYSTACK_RETURN_IF_ERROR(db_->Exec(absl::StrCat(
      "ATTACH DATABASE ", knowledge_internal::SqlQuote(org_hs_eg_sqlite),
      " AS org; ATTACH DATABASE ", knowledge_internal::SqlQuote(go_sqlite), " AS go")));
  auto detach = [&] { db_->Exec("DETACH DATABASE org; DETACH DATABASE go").IgnoreError(); };
  auto version = [&](const char* db, const char* key) -> std::string {
    auto stmt = db_->Prepare(absl::StrCat("SELECT value FROM ", db, ".metadata WHERE name = ?"));
    if (!stmt.ok()) return "";
    stmt->Bind(1, std::string_view(key));
    auto row = stmt->Step();
    return row.ok() && *row ? stmt->Text(0) : "";
  };
  const std::string org_schema = version("org", "DBSCHEMA");
  if (org_schema != "HUMAN_DB" || version("go", "DBSCHEMA") != "GO_DB") {
    detach();
    return MakeError(ErrorKind::kConfiguration, absl::StatusCode::kInvalidArgument,
                     absl::StrCat(org_hs_eg_sqlite, " / ", go_sqlite,
                                  " are not org.Hs.eg.db (HUMAN_DB) and GO.db (GO_DB) files"));
  }
  const std::string gene_date = version("org", "EGSOURCEDATE");
  const std::string go_date = version("go", "GOSOURCEDATE");

  ImportReport report{"org.Hs.eg.db + GO.db", {}};
  absl::Status status = db_->Exec("BEGIN");
  auto run_all = [&](auto& statements) -> absl::Status {
    for (const char* sql : statements) HAYSTACK_RETURN_IF_ERROR(db_->Exec(sql));
    return absl::OkStatus();
  };
  if (status.ok()) status = run_all(kCopyGenes);
  if (status.ok()) status = run_all(kCopyGo);
  for (const auto& [aspect, collection] :
       {std::pair{"bp", "GO_BP"}, std::pair{"mf", "GO_MF"}, std::pair{"cc", "GO_CC"}}) {
    if (status.ok()) status = db_->Exec(CopyGoSets(aspect, collection));
  }
  if (status.ok()) {
    const std::pair<const char*, const char*> counts[] = {
        {"genes", "SELECT COUNT(*) FROM genes"},
        {"aliases", "SELECT COUNT(*) FROM gene_aliases"},
        {"ensembl_ids", "SELECT COUNT(*) FROM gene_ensembl"},
        {"publication_links", "SELECT COUNT(*) FROM publications"},
        {"go_terms", "SELECT COUNT(*) FROM terms WHERE ontology = 'GO'"},
        {"go_edges",
         "SELECT COUNT(*) FROM term_edges e JOIN terms t ON t.term_id = e.child "
         "WHERE t.ontology = 'GO'"},
        {"gene_sets", "SELECT COUNT(*) FROM gene_sets WHERE collection LIKE 'GO\\_%' ESCAPE '\\'"},
        {"memberships", "SELECT COUNT(*) FROM gene_set_members"},
    };
    for (const auto& [name, sql] : counts) {
      auto n = db_->QueryInt(sql);
      if (!n.ok()) {
        status = n.status();
        break;
      }
      report.counts[name] = *n;
    }
  }
  if (status.ok()) {
    const std::string detail =
        absl::StrCat(std::filesystem::path(org_hs_eg_sqlite).filename().string(), " + ",
                     std::filesystem::path(go_sqlite).filename().string(), ": ", report.ToString());
    status = RecordSource(MakeSource("org.Hs.eg.db (NCBI Gene, gene2pubmed)",
                                     absl::StrCat("3.16.0; Entrez Gene ", gene_date),
                                     "Artistic-2.0 (package); NCBI data: public domain", detail));
    if (status.ok()) {
      status =
          RecordSource(MakeSource("GO.db (Gene Ontology)", absl::StrCat("3.16.0; GO ", go_date),
                                  "Artistic-2.0 (package); GO data: CC BY 4.0", detail));
    }
  }
  if (status.ok()) status = db_->Exec("COMMIT; DROP TABLE temp.org_gene; DROP TABLE temp.go_map");
  if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
  detach();
  if (!status.ok()) return Annotate(status, "importing the Bioconductor annotation files");
  return report;
}

}  // namespace haystack
