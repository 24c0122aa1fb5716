// KnowledgeImporter: schema creation, generic imports, curated tables and the finishing pass.
// The Bioconductor import lives in bioconductor_import.cc.
#include "haystack/knowledge/knowledge_importer.h"

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "knowledge/internal/line_reader.h"
#include "knowledge/internal/schema.h"
#include "knowledge/internal/sqlite_db.h"

namespace haystack {

using knowledge_internal::Database;
using knowledge_internal::Statement;

std::string ImportReport::ToString() const {
  std::vector<std::string> parts;
  for (const auto& [what, n] : counts) parts.push_back(absl::StrCat(n, " ", what));
  return absl::StrCat(source, ": ", absl::StrJoin(parts, ", "));
}

KnowledgeImporter::KnowledgeImporter(std::unique_ptr<Database> db, const Clock& clock)
    : db_(std::move(db)), clock_(clock) {}

KnowledgeImporter::~KnowledgeImporter() = default;

absl::StatusOr<std::unique_ptr<KnowledgeImporter>> KnowledgeImporter::Create(
    const std::string& path, const Clock& clock) {
  auto db = Database::Open(path, Database::Mode::kReadWriteCreate);
  if (!db.ok()) return db.status();
  // Imports are bulk loads of a file nobody reads yet: no fsync, and the rollback journal in
  // memory (still there, so that a failed import rolls back instead of leaving half a source).
  HAYSTACK_RETURN_IF_ERROR((*db)->Exec("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"));
  HAYSTACK_RETURN_IF_ERROR((*db)->Exec(knowledge_internal::kSchemaSql));
  auto version = (*db)->QueryInt(
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM kb_meta "
      "WHERE key = 'schema_version'), 0)");
  if (!version.ok()) return version.status();
  if (*version != 0 && *version != knowledge_internal::kSchemaVersion) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(path, " has knowledge base schema version ", *version,
                                  "; this build writes version ",
                                  knowledge_internal::kSchemaVersion, " (rebuild the file)"));
  }
  HAYSTACK_RETURN_IF_ERROR(
      (*db)->Exec(absl::StrCat("INSERT OR REPLACE INTO kb_meta VALUES ('schema_version', '",
                               knowledge_internal::kSchemaVersion, "')")));
  return std::unique_ptr<KnowledgeImporter>(new KnowledgeImporter(std::move(*db), clock));
}

SourceVersion KnowledgeImporter::MakeSource(std::string source, std::string version,
                                            std::string license, std::string detail) const {
  return {std::move(source), std::move(version), std::move(license), FormatTimestamp(clock_.Now()),
          std::move(detail)};
}

absl::Status KnowledgeImporter::RecordSource(const SourceVersion& source) {
  auto stmt = db_->Prepare("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, source.source)
      .Bind(2, source.version)
      .Bind(3, source.license)
      .Bind(4, source.imported_at)
      .Bind(5, source.detail);
  return stmt->Run();
}

absl::StatusOr<int64_t> KnowledgeImporter::GeneIdFor(const std::string& symbol,
                                                     std::map<std::string, int64_t>* cache) {
  if (auto it = cache->find(symbol); it != cache->end()) return it->second;
  auto id = LookUpOrAddGene(symbol);
  if (id.ok()) cache->emplace(symbol, *id);
  return id;
}

absl::StatusOr<int64_t> KnowledgeImporter::LookUpOrAddGene(const std::string& symbol) {
  auto by_symbol = db_->Prepare("SELECT gene_id FROM genes WHERE symbol = ?");
  if (!by_symbol.ok()) return by_symbol.status();
  by_symbol->Bind(1, symbol);
  auto row = by_symbol->Step();
  if (!row.ok()) return row.status();
  if (*row) return by_symbol->Int(0);
  auto by_alias = db_->Prepare("SELECT MIN(gene_id), COUNT(*) FROM gene_aliases WHERE alias = ?");
  if (!by_alias.ok()) return by_alias.status();
  by_alias->Bind(1, symbol);
  row = by_alias->Step();
  if (!row.ok()) return row.status();
  if (*row && by_alias->Int(1) == 1) return by_alias->Int(0);
  auto insert = db_->Prepare("INSERT INTO genes(symbol) VALUES (?) RETURNING gene_id");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, symbol);
  row = insert->Step();
  if (!row.ok()) return row.status();
  return insert->Int(0);
}

namespace {

// Runs `body` inside a transaction, rolling back on error.
template <class F>
absl::Status InTransaction(Database& db, F&& body) {
  HAYSTACK_RETURN_IF_ERROR(db.Exec("BEGIN"));
  absl::Status status = body();
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return db.Exec("COMMIT");
}

}  // namespace

absl::StatusOr<ImportReport> KnowledgeImporter::ImportOntology(const OntologyData& ontology,
                                                               const SourceVersion& source) {
  ImportReport report{source.source, {}};
  absl::Status status = InTransaction(*db_, [&]() -> absl::Status {
    auto upsert = db_->Prepare(
        "INSERT INTO terms(id, name, ontology, obsolete) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO "
        "UPDATE SET name = excluded.name, ontology = excluded.ontology, obsolete = "
        "excluded.obsolete RETURNING term_id");
    auto clear_edges = db_->Prepare("DELETE FROM term_edges WHERE child = ?");
    auto clear_synonyms = db_->Prepare("DELETE FROM term_synonyms WHERE term_id = ?");
    auto synonym = db_->Prepare("INSERT OR IGNORE INTO term_synonyms VALUES (?, ?)");
    auto edge = db_->Prepare(
        "INSERT OR IGNORE INTO term_edges SELECT c.term_id, p.term_id, ? FROM terms c, terms p "
        "WHERE c.id = ? AND p.id = ?");
    for (auto* s : {&upsert, &clear_edges, &clear_synonyms, &synonym, &edge}) {
      if (!s->ok()) return s->status();
    }
    for (const auto& term : ontology.terms) {
      upsert->Bind(1, term.id).Bind(2, term.name).Bind(3, term.ontology);
      upsert->Bind(4, int64_t{term.obsolete ? 1 : 0});
      auto row = upsert->Step();
      if (!row.ok()) return row.status();
      const int64_t term_id = upsert->Int(0);
      upsert->Reset();
      clear_edges->Bind(1, term_id);
      HAYSTACK_RETURN_IF_ERROR(clear_edges->Run());
      clear_synonyms->Bind(1, term_id);
      HAYSTACK_RETURN_IF_ERROR(clear_synonyms->Run());
      for (const auto& text : term.synonyms) {
        synonym->Bind(1, term_id).Bind(2, text);
        HAYSTACK_RETURN_IF_ERROR(synonym->Run());
        ++report.counts["synonyms"];
      }
      ++report.counts["terms"];
    }
    for (const auto& e : ontology.edges) {
      edge->Bind(1, e.relation).Bind(2, e.child).Bind(3, e.parent);
      HAYSTACK_RETURN_IF_ERROR(edge->Run());
      ++report.counts["edges"];
    }
    return RecordSource(source);
  });
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<ImportReport> KnowledgeImporter::ImportGeneSets(const std::vector<GeneSet>& sets,
                                                               const SourceVersion& source) {
  ImportReport report{source.source, {}};
  const auto genes_before = db_->QueryInt("SELECT COUNT(*) FROM genes");
  if (!genes_before.ok()) return genes_before.status();
  absl::Status status = InTransaction(*db_, [&]() -> absl::Status {
    auto upsert = db_->Prepare(
        "INSERT INTO gene_sets(id, name, collection, size) VALUES (?, ?, ?, ?) ON CONFLICT(id) "
        "DO UPDATE SET name = excluded.name, collection = excluded.collection, size = "
        "excluded.size RETURNING set_id");
    auto clear = db_->Prepare("DELETE FROM gene_set_members WHERE set_id = ?");
    auto member = db_->Prepare("INSERT OR IGNORE INTO gene_set_members VALUES (?, ?)");
    for (auto* s : {&upsert, &clear, &member}) {
      if (!s->ok()) return s->status();
    }
    std::map<std::string, int64_t> gene_ids;
    for (const auto& set : sets) {
      upsert->Bind(1, set.id).Bind(2, set.name).Bind(3, set.collection);
      upsert->Bind(4, static_cast<int64_t>(set.genes.size()));
      auto row = upsert->Step();
      if (!row.ok()) return row.status();
      const int64_t set_id = upsert->Int(0);
      upsert->Reset();
      clear->Bind(1, set_id);
      HAYSTACK_RETURN_IF_ERROR(clear->Run());
      for (const auto& symbol : set.genes) {
        auto gene_id = GeneIdFor(symbol, &gene_ids);
        if (!gene_id.ok()) return gene_id.status();
        member->Bind(1, set_id).Bind(2, *gene_id);
        HAYSTACK_RETURN_IF_ERROR(member->Run());
        ++report.counts["memberships"];
      }
      ++report.counts["gene_sets"];
    }
    // Two symbols may have mapped to one gene (symbol and alias): sizes count genes.
    HAYSTACK_RETURN_IF_ERROR(
        db_->Exec("UPDATE gene_sets SET size = (SELECT COUNT(*) FROM gene_set_members m WHERE "
                  "m.set_id = gene_sets.set_id)"));
    return RecordSource(source);
  });
  if (!status.ok()) return status;
  const auto genes_after = db_->QueryInt("SELECT COUNT(*) FROM genes");
  if (!genes_after.ok()) return genes_after.status();
  report.counts["new_genes"] = *genes_after - *genes_before;
  return report;
}

absl::StatusOr<ImportReport> KnowledgeImporter::ImportPerturbations(
    const std::vector<PerturbationRow>& rows, const std::string& path,
    const SourceVersion& source) {
  ImportReport report{source.source, {}};
  auto go_terms = db_->QueryInt("SELECT COUNT(*) FROM terms WHERE ontology = 'GO'");
  if (!go_terms.ok()) return go_terms.status();
  auto known = db_->Prepare("SELECT COUNT(*) FROM terms WHERE id = ?");
  if (!known.ok()) return known.status();
  for (const auto& row : rows) {
    for (const auto& id : row.perturbation.expected_pathways) {
      if (*go_terms == 0 && id.rfind("GO:", 0) == 0) continue;  // GO not imported (yet)
      known->Bind(1, id);
      auto found = known->Step();
      if (!found.ok()) return found.status();
      const bool exists = known->Int(0) > 0;
      known->Reset();
      if (!exists) {
        return knowledge_internal::LineError(
            path, row.line,
            absl::StrCat("expected pathway \"", id, "\" of ", row.perturbation.name,
                         " is not a term of the knowledge base"));
      }
    }
  }
  absl::Status status = InTransaction(*db_, [&]() -> absl::Status {
    auto insert =
        db_->Prepare("INSERT OR REPLACE INTO perturbations VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    for (const auto& row : rows) {
      const Perturbation& p = row.perturbation;
      insert->Bind(1, p.name)
          .Bind(2, EnumName(p.type))
          .Bind(3, knowledge_internal::JoinList(p.synonyms))
          .Bind(4, knowledge_internal::JoinList(p.targets))
          .Bind(5, knowledge_internal::JoinList(p.expected_pathways))
          .Bind(6, knowledge_internal::JoinList(p.expected_up))
          .Bind(7, knowledge_internal::JoinList(p.expected_down))
          .Bind(8, p.description);
      HAYSTACK_RETURN_IF_ERROR(insert->Run());
      ++report.counts["perturbations"];
    }
    return RecordSource(source);
  });
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<ImportReport> KnowledgeImporter::ImportEnsemblIds(
    const std::vector<std::pair<std::string, std::string>>& ensembl_to_symbol,
    const SourceVersion& source) {
  ImportReport report{source.source, {}};
  absl::Status status = InTransaction(*db_, [&]() -> absl::Status {
    auto existing = db_->Prepare("SELECT gene_id FROM gene_ensembl WHERE ensembl_id = ?");
    if (!existing.ok()) return existing.status();
    auto insert = db_->Prepare("INSERT INTO gene_ensembl VALUES (?, ?)");
    if (!insert.ok()) return insert.status();
    std::map<std::string, int64_t> gene_ids;
    std::set<std::string> ambiguous;
    for (const auto& [id, symbol] : ensembl_to_symbol) {
      HAYSTACK_ASSIGN_OR_RETURN(int64_t gene_id, GeneIdFor(symbol, &gene_ids));
      existing->Reset();
      existing->Bind(1, id);
      HAYSTACK_ASSIGN_OR_RETURN(bool found, existing->Step());
      if (!found) {
        insert->Reset();
        insert->Bind(1, id).Bind(2, gene_id);
        HAYSTACK_RETURN_IF_ERROR(insert->Run());
      } else if (existing->Int(0) != gene_id) {
        ambiguous.insert(id);
      }
    }
    for (const std::string& id : ambiguous) {
      HAYSTACK_RETURN_IF_ERROR(db_->Exec(absl::StrCat(
          "DELETE FROM gene_ensembl WHERE ensembl_id = ", knowledge_internal::SqlQuote(id))));
    }
    HAYSTACK_ASSIGN_OR_RETURN(report.counts["ensembl_ids"],
                              db_->QueryInt("SELECT COUNT(*) FROM gene_ensembl"));
    report.counts["ambiguous_ensembl_ids"] = static_cast<int64_t>(ambiguous.size());
    return RecordSource(source);
  });
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<ImportReport> KnowledgeImporter::ImportInteractions(
    const std::vector<Interaction>& interactions, const SourceVersion& source) {
  ImportReport report{source.source, {}};
  absl::Status status = InTransaction(*db_, [&]() -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(db_->Exec("DELETE FROM interactions"));
    auto insert = db_->Prepare("INSERT OR REPLACE INTO interactions VALUES (?, ?, ?)");
    if (!insert.ok()) return insert.status();
    std::map<std::string, int64_t> gene_ids;
    for (const auto& link : interactions) {
      int64_t ids[2];
      const std::string* symbols[2] = {&link.a, &link.b};
      for (int k = 0; k < 2; ++k) {
        auto gene_id = GeneIdFor(*symbols[k], &gene_ids);
        if (!gene_id.ok()) return gene_id.status();
        ids[k] = *gene_id;
      }
      if (ids[0] == ids[1]) continue;
      insert->Bind(1, std::min(ids[0], ids[1])).Bind(2, std::max(ids[0], ids[1]));
      insert->Bind(3, int64_t{link.score});
      HAYSTACK_RETURN_IF_ERROR(insert->Run());
      ++report.counts["interactions"];
    }
    HAYSTACK_RETURN_IF_ERROR(
        db_->Exec(absl::StrCat("INSERT OR REPLACE INTO kb_meta VALUES ('network_source', ",
                               knowledge_internal::SqlQuote(absl::StrCat(
                                   source.source, " ", source.version, " (", source.detail, ")")),
                               ")")));
    return RecordSource(source);
  });
  if (!status.ok()) return status;
  return report;
}

absl::StatusOr<std::vector<ImportReport>> KnowledgeImporter::ImportCurated(
    const std::string& directory) {
  const std::filesystem::path dir(directory);
  std::vector<ImportReport> reports;
  const std::pair<const char*, const char*> tables[] = {
      {"cell_types.tsv", "Cell Ontology"}, {"tissues.tsv", "UBERON"}, {"diseases.tsv", "MONDO"}};
  for (const auto& [file, ontology] : tables) {
    const std::string path = (dir / file).string();
    auto data = ParseOntologyTsv(path);
    if (!data.ok()) return data.status();
    auto report = ImportOntology(
        *data, MakeSource(absl::StrCat("curated ", ontology, " subset"), "data/curated",
                          "CC BY 4.0", absl::StrCat(file, ": ", data->terms.size(), " terms")));
    if (!report.ok()) return report.status();
    reports.push_back(std::move(*report));
  }
  const std::string path = (dir / "perturbations.tsv").string();
  auto rows = ParsePerturbationTsv(path);
  if (!rows.ok()) return rows.status();
  auto report = ImportPerturbations(
      *rows, path,
      MakeSource("curated perturbations", "data/curated", "CC BY 4.0 (HAYSTACK curation)",
                 absl::StrCat("perturbations.tsv: ", rows->size(), " perturbations")));
  if (!report.ok()) return report.status();
  reports.push_back(std::move(*report));
  return reports;
}

absl::Status KnowledgeImporter::Finish() {
  return InTransaction(*db_, [&]() -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(db_->Exec("DELETE FROM entity_labels"));
    auto insert = db_->Prepare("INSERT OR IGNORE INTO entity_labels VALUES (?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    auto add = [&](std::string_view kind, std::string_view id, std::string_view label,
                   bool is_name) -> absl::Status {
      const std::string normalized = NormalizeEntityText(label);
      if (normalized.empty()) return absl::OkStatus();
      insert->Bind(1, kind).Bind(2, normalized).Bind(3, id).Bind(4, label);
      insert->Bind(5, int64_t{is_name ? 1 : 0});
      return insert->Run();
    };
    // Ontology terms by prefix: the entity kinds Resolve serves.
    auto terms = db_->Prepare(
        "SELECT t.id, t.name, s.synonym, CASE WHEN t.ontology = 'CL' THEN 'cell_type' WHEN "
        "t.ontology = 'UBERON' THEN 'tissue' ELSE 'disease' END FROM terms t LEFT JOIN "
        "term_synonyms s USING (term_id) WHERE t.obsolete = 0 AND t.ontology IN ('CL', "
        "'UBERON', 'MONDO', 'PATO')");
    if (!terms.ok()) return terms.status();
    while (true) {
      auto row = terms->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const std::string kind = terms->Text(3);
      HAYSTACK_RETURN_IF_ERROR(add(kind, terms->TextView(0), terms->TextView(1), true));
      if (!terms->IsNull(2)) {
        HAYSTACK_RETURN_IF_ERROR(add(kind, terms->TextView(0), terms->TextView(2), false));
      }
    }
    auto perturbations = db_->Prepare("SELECT name, synonyms FROM perturbations");
    if (!perturbations.ok()) return perturbations.status();
    while (true) {
      auto row = perturbations->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const std::string name = perturbations->Text(0);
      HAYSTACK_RETURN_IF_ERROR(add("perturbation", name, name, true));
      for (const auto& s : knowledge_internal::SplitList(perturbations->TextView(1))) {
        HAYSTACK_RETURN_IF_ERROR(add("perturbation", name, s, false));
      }
    }
    // Genes resolve by symbol and alias; their labels are exact strings, looked up directly.
    HAYSTACK_RETURN_IF_ERROR(db_->Exec(
        "INSERT OR REPLACE INTO kb_meta SELECT 'publication_corpus', COUNT(DISTINCT pmid) FROM "
        "publications"));
    // The papers linked to many genes, so that co-citation can leave them out cheaply (the
    // cut-off is applied when reading; the few thousand papers above 10 genes are kept).
    HAYSTACK_RETURN_IF_ERROR(db_->Exec("DELETE FROM publication_sizes"));
    HAYSTACK_RETURN_IF_ERROR(db_->Exec(
        "INSERT INTO publication_sizes SELECT pmid, COUNT(*) FROM publications GROUP BY pmid "
        "HAVING COUNT(*) > 10"));
    return db_->Exec("INSERT OR REPLACE INTO kb_meta VALUES ('finished', '1')");
  });
}

}  // namespace haystack
