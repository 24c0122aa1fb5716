#include "haystack/knowledge/sqlite_knowledge_base.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "knowledge/internal/line_reader.h"
#include "knowledge/internal/schema.h"
#include "knowledge/internal/shared_logic.h"
#include "knowledge/internal/sqlite_db.h"

namespace haystack {

using knowledge_internal::Database;
using knowledge_internal::Statement;

namespace {

// From this many genes on, GeneSetsWithin reads the collection's member rows once and keeps
// the genes asked for, instead of looking up each gene's rows: an atlas's 30,000 genes in the
// demo knowledge base's GO_BP (1.5M member rows) take 0.3 s so, 10 s gene by gene.
constexpr size_t kScanCollectionFromGenes = 2000;

// Steps `stmt` to the end, calling `row` for each row; resets it afterwards.
template <class F>
absl::Status ForEachRow(Statement& stmt, F&& row) {
  while (true) {
    auto has = stmt.Step();
    if (!has.ok()) {
      stmt.Reset();
      return has.status();
    }
    if (!*has) break;
    row(stmt);
  }
  stmt.Reset();
  return absl::OkStatus();
}

std::string_view KindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCellType:
      return "cell_type";
    case EntityKind::kTissue:
      return "tissue";
    case EntityKind::kDisease:
      return "disease";
    case EntityKind::kPerturbation:
      return "perturbation";
    case EntityKind::kGene:
      return "gene";
  }
  return "";
}

constexpr const char* kTermById =
    "SELECT t.term_id, t.id, t.name, t.ontology, t.obsolete, (SELECT group_concat(synonym, "
    "char(31)) FROM term_synonyms s WHERE s.term_id = t.term_id) FROM terms t WHERE ";

OntologyTerm TermFromRow(const Statement& row) {
  OntologyTerm term;
  term.id = row.Text(1);
  term.name = row.Text(2);
  term.ontology = row.Text(3);
  term.obsolete = row.Int(4) != 0;
  if (!row.IsNull(5)) term.synonyms = knowledge_internal::SplitFields(row.TextView(5), '\x1f');
  return term;
}

Perturbation PerturbationFromRow(const Statement& row) {
  Perturbation p;
  p.name = row.Text(0);
  p.type = ParseEnum<PerturbationType>(row.TextView(1)).value_or(PerturbationType::kUnknown);
  p.synonyms = knowledge_internal::SplitList(row.TextView(2));
  p.targets = knowledge_internal::SplitList(row.TextView(3));
  p.expected_pathways = knowledge_internal::SplitList(row.TextView(4));
  p.expected_up = knowledge_internal::SplitList(row.TextView(5));
  p.expected_down = knowledge_internal::SplitList(row.TextView(6));
  p.description = row.Text(7);
  return p;
}

constexpr const char* kPerturbationColumns =
    "SELECT name, type, synonyms, targets, expected_pathways, expected_up, expected_down, "
    "description FROM perturbations ";

constexpr const char* kSetsOfCollection =
    "SELECT set_id, id, name FROM gene_sets WHERE collection = ?";

// The collection's sets for which `take(set_id)` gives members (sorted, distinct), by id.
template <class TakeMembers>
absl::StatusOr<std::vector<GeneSet>> AssembleGeneSets(Statement& sets_of,
                                                      std::string_view collection,
                                                      TakeMembers&& take) {
  sets_of.Bind(1, collection);
  std::vector<GeneSet> sets;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(sets_of, [&](const Statement& row) {
    std::optional<std::vector<std::string>> in_set = take(row.Int(0));
    if (!in_set) return;
    sets.push_back({row.Text(1), row.Text(2), std::string(collection), std::move(*in_set)});
  }));
  std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return sets;
}

// GeneSetsWithin for many genes: every member row of the collection, once, keeping the genes
// asked for. Members are collected as the rank of their symbol (the symbols asked for, sorted),
// so that each set is sorted as integers and its strings are made once, in order.
absl::StatusOr<std::vector<GeneSet>> ScanGeneSetsWithin(Database& db, std::string_view collection,
                                                        std::span<const std::string> genes) {
  std::vector<std::string_view> symbols(genes.begin(), genes.end());
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  std::unordered_map<int64_t, int32_t> rank_of;  // gene_id → position in `symbols`
  HAYSTACK_ASSIGN_OR_RETURN(Statement all_genes, db.Prepare("SELECT gene_id, symbol FROM genes"));
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(all_genes, [&](const Statement& row) {
    const auto at = std::lower_bound(symbols.begin(), symbols.end(), row.TextView(1));
    if (at != symbols.end() && *at == row.TextView(1)) {
      rank_of.emplace(row.Int(0), static_cast<int32_t>(at - symbols.begin()));
    }
  }));
  HAYSTACK_ASSIGN_OR_RETURN(
      Statement rows,
      db.Prepare("SELECT m.set_id, m.gene_id FROM gene_sets s JOIN gene_set_members m ON "
                 "m.set_id = s.set_id WHERE s.collection = ?"));
  rows.Bind(1, collection);
  std::unordered_map<int64_t, std::vector<int32_t>> members;  // by set_id
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(rows, [&](const Statement& row) {
    auto rank = rank_of.find(row.Int(1));
    if (rank != rank_of.end()) members[row.Int(0)].push_back(rank->second);
  }));
  HAYSTACK_ASSIGN_OR_RETURN(Statement sets_of, db.Prepare(kSetsOfCollection));
  return AssembleGeneSets(sets_of, collection,
                          [&](int64_t set_id) -> std::optional<std::vector<std::string>> {
                            auto found = members.find(set_id);
                            if (found == members.end()) return std::nullopt;
                            std::vector<int32_t>& ranks = found->second;
                            std::sort(ranks.begin(), ranks.end());
                            ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
                            std::vector<std::string> in_set;
                            in_set.reserve(ranks.size());
                            for (const int32_t r : ranks)
                              in_set.emplace_back(symbols[static_cast<size_t>(r)]);
                            return in_set;
                          });
}

}  // namespace

SqliteKnowledgeBase::SqliteKnowledgeBase(std::unique_ptr<Database> db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}

SqliteKnowledgeBase::~SqliteKnowledgeBase() = default;

absl::StatusOr<std::unique_ptr<SqliteKnowledgeBase>> SqliteKnowledgeBase::Open(
    const std::string& path) {
  auto db = Database::Open(path, Database::Mode::kReadOnly);
  if (!db.ok()) return db.status();
  auto meta = (*db)->Prepare("SELECT key, value FROM kb_meta");
  if (!meta.ok()) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(path, " is not a HAYSTACK knowledge base (no kb_meta table)"));
  }
  std::map<std::string, std::string> values;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(*meta, [&](const Statement& row) { values[row.Text(0)] = row.Text(1); }));
  if (values["schema_version"] != std::to_string(knowledge_internal::kSchemaVersion)) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(path, " has knowledge base schema version \"",
                                  values["schema_version"], "\"; this build reads version ",
                                  knowledge_internal::kSchemaVersion, " (rebuild it)"));
  }
  if (values["finished"] != "1") {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     absl::StrCat(path, " is an unfinished import (run `haystack-kb finish`)"));
  }
  auto kb = std::unique_ptr<SqliteKnowledgeBase>(new SqliteKnowledgeBase(std::move(*db), path));
  kb->publication_corpus_ = std::atoll(values["publication_corpus"].c_str());
  HAYSTACK_ASSIGN_OR_RETURN(
      int64_t ensembl_tables,
      kb->db_->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'gene_ensembl'"));
  kb->has_ensembl_map_ = ensembl_tables > 0;
  return kb;
}

absl::StatusOr<Statement*> SqliteKnowledgeBase::Query(std::string_view sql) const {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto stmt = db_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(std::move(*stmt))).first;
  }
  it->second->Reset();
  return it->second.get();
}

absl::StatusOr<std::vector<std::string>> SqliteKnowledgeBase::Column(std::string_view sql,
                                                                     std::string_view param) const {
  auto stmt = Query(sql);
  if (!stmt.ok()) return stmt.status();
  if (!param.empty()) (*stmt)->Bind(1, param);
  std::vector<std::string> out;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { out.push_back(row.Text(0)); }));
  return out;
}

absl::StatusOr<std::optional<Gene>> SqliteKnowledgeBase::FindGene(
    std::string_view symbol_or_alias) const {
  std::lock_guard lock(mu_);
  std::optional<Gene> gene;
  int64_t gene_id = 0;
  for (std::string_view sql :
       {"SELECT gene_id, symbol, entrez_id, name FROM genes WHERE symbol = ?",
        "SELECT g.gene_id, g.symbol, g.entrez_id, g.name FROM gene_aliases a JOIN genes g USING "
        "(gene_id) WHERE a.alias = ? ORDER BY g.gene_id LIMIT 1"}) {
    auto stmt = Query(sql);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->Bind(1, symbol_or_alias);
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) {
      gene_id = row.Int(0);
      gene = Gene{row.Text(1), row.Text(2), row.Text(3), {}};
    }));
    if (gene.has_value()) break;
  }
  if (!gene.has_value()) return gene;
  auto aliases = Query("SELECT alias FROM gene_aliases WHERE gene_id = ? ORDER BY alias");
  if (!aliases.ok()) return aliases.status();
  (*aliases)->Bind(1, gene_id);
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**aliases, [&](const Statement& row) { gene->aliases.push_back(row.Text(0)); }));
  return gene;
}

absl::StatusOr<std::optional<std::string>> SqliteKnowledgeBase::SymbolOfEnsemblId(
    std::string_view ensembl_id) const {
  if (!has_ensembl_map_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto stmt = Query(
      "SELECT g.symbol FROM gene_ensembl e JOIN genes g USING (gene_id) WHERE e.ensembl_id = ?");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, WithoutEnsemblVersion(ensembl_id));
  std::optional<std::string> symbol;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) { symbol = row.Text(0); }));
  return symbol;
}

absl::StatusOr<std::vector<std::string>> SqliteKnowledgeBase::GeneSetCollections() const {
  std::lock_guard lock(mu_);
  return Column("SELECT DISTINCT collection FROM gene_sets ORDER BY collection", "");
}

absl::StatusOr<std::vector<GeneSet>> SqliteKnowledgeBase::GeneSets(std::string_view collection,
                                                                   int min_size,
                                                                   int max_size) const {
  std::lock_guard lock(mu_);
  HAYSTACK_ASSIGN_OR_RETURN(const auto* symbols, SymbolsById());
  // No ORDER BY: sorting 10^5 member rows in SQL costs more than the lookups themselves. The
  // plan walks the (collection, size) index, then each set's members by primary key; symbols
  // come from memory (a join to genes per member row cost ~2/3 of reading all of GO).
  auto stmt = Query(
      "SELECT s.set_id, s.id, s.name, m.gene_id FROM gene_sets s JOIN gene_set_members m ON "
      "m.set_id = s.set_id WHERE s.collection = ? AND s.size BETWEEN ? AND ?");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, collection).Bind(2, int64_t{min_size}).Bind(3, int64_t{max_size});
  std::vector<GeneSet> sets;
  std::unordered_map<int64_t, size_t> index;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) {
    auto [it, inserted] = index.try_emplace(row.Int(0), sets.size());
    if (inserted) sets.push_back({row.Text(1), row.Text(2), std::string(collection), {}});
    if (auto symbol = symbols->find(row.Int(3)); symbol != symbols->end()) {
      sets[it->second].genes.push_back(symbol->second);
    }
  }));
  for (auto& set : sets) std::sort(set.genes.begin(), set.genes.end());
  std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return sets;
}

absl::StatusOr<const std::unordered_map<int64_t, std::string>*> SqliteKnowledgeBase::SymbolsById()
    const {
  if (symbols_by_id_) return &*symbols_by_id_;
  auto stmt = Query("SELECT gene_id, symbol FROM genes");
  if (!stmt.ok()) return stmt.status();
  std::unordered_map<int64_t, std::string> symbols;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { symbols.emplace(row.Int(0), row.Text(1)); }));
  symbols_by_id_ = std::move(symbols);
  return &*symbols_by_id_;
}

absl::StatusOr<std::vector<GeneSet>> SqliteKnowledgeBase::GeneSetsWithin(
    std::string_view collection, std::span<const std::string> genes) const {
  if (genes.size() >= kScanCollectionFromGenes) {
    // A read of a whole collection (a second on CELLxGENE-sized input) goes through a
    // read-only connection of its own, without mu_: the other methods are not held up by it
    // while a run reads its gene sets ahead of the first evaluation.
    HAYSTACK_ASSIGN_OR_RETURN(std::unique_ptr<Database> own,
                              Database::Open(path_, Database::Mode::kReadOnly));
    return ScanGeneSetsWithin(*own, collection, genes);
  }
  std::lock_guard lock(mu_);
  std::unordered_map<int64_t, std::vector<std::string>> members;  // by set_id
  // The member rows of each gene (index gene_set_members_by_gene) in the collection's sets.
  auto by_symbol = Query(
      "SELECT m.set_id, g.symbol FROM genes g JOIN gene_set_members m ON m.gene_id = g.gene_id "
      "JOIN gene_sets s ON s.set_id = m.set_id WHERE g.symbol = ? AND s.collection = ?");
  if (!by_symbol.ok()) return by_symbol.status();
  for (const std::string& gene : genes) {
    (*by_symbol)->Reset();
    (*by_symbol)->Bind(1, gene).Bind(2, collection);
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(
        **by_symbol, [&](const Statement& row) { members[row.Int(0)].push_back(row.Text(1)); }));
  }
  HAYSTACK_ASSIGN_OR_RETURN(Statement * sets_of, Query(kSetsOfCollection));
  return AssembleGeneSets(*sets_of, collection,
                          [&](int64_t set_id) -> std::optional<std::vector<std::string>> {
                            auto found = members.find(set_id);
                            if (found == members.end()) return std::nullopt;
                            std::vector<std::string> in_set = std::move(found->second);
                            std::sort(in_set.begin(), in_set.end());
                            in_set.erase(std::unique(in_set.begin(), in_set.end()), in_set.end());
                            return in_set;
                          });
}

absl::StatusOr<std::optional<GeneSet>> SqliteKnowledgeBase::GetGeneSet(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto stmt = Query("SELECT set_id, id, name, collection FROM gene_sets WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, id);
  std::optional<GeneSet> set;
  int64_t set_id = 0;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) {
    set_id = row.Int(0);
    set = GeneSet{row.Text(1), row.Text(2), row.Text(3), {}};
  }));
  if (!set.has_value()) return set;
  auto members = Query(
      "SELECT g.symbol FROM gene_set_members m JOIN genes g USING (gene_id) WHERE m.set_id = ? "
      "ORDER BY g.symbol");
  if (!members.ok()) return members.status();
  (*members)->Bind(1, set_id);
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**members, [&](const Statement& row) { set->genes.push_back(row.Text(0)); }));
  return set;
}

absl::StatusOr<std::vector<std::string>> SqliteKnowledgeBase::GeneSetsContaining(
    std::string_view symbol) const {
  std::lock_guard lock(mu_);
  return Column(
      "SELECT s.id FROM genes g JOIN gene_set_members m USING (gene_id) JOIN gene_sets s USING "
      "(set_id) WHERE g.symbol = ? ORDER BY s.id",
      symbol);
}

absl::StatusOr<std::optional<OntologyTerm>> SqliteKnowledgeBase::GetTerm(
    std::string_view id) const {
  std::lock_guard lock(mu_);
  auto stmt = Query(absl::StrCat(kTermById, "t.id = ?"));
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, id);
  std::optional<OntologyTerm> term;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { term = TermFromRow(row); }));
  return term;
}

absl::StatusOr<int64_t> SqliteKnowledgeBase::TermKey(std::string_view id) const {
  auto start = Query("SELECT term_id FROM terms WHERE id = ?");
  if (!start.ok()) return start.status();
  (*start)->Bind(1, id);
  int64_t key = -1;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(**start, [&](const Statement& row) { key = row.Int(0); }));
  if (key < 0) return knowledge_internal::UnknownTermError(id);
  return key;
}

absl::StatusOr<std::vector<int64_t>> SqliteKnowledgeBase::Linked(std::string_view sql,
                                                                 int64_t term) const {
  auto stmt = Query(sql);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, term);
  std::vector<int64_t> out;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { out.push_back(row.Int(0)); }));
  return out;
}

absl::StatusOr<std::vector<OntologyNeighbor>> SqliteKnowledgeBase::NeighborTerms(
    const std::map<int64_t, knowledge_internal::OntologyPath>& found) const {
  std::vector<OntologyNeighbor> out;
  for (const auto& [term_id, f] : found) {
    auto stmt = Query(absl::StrCat(kTermById, "t.term_id = ?"));
    if (!stmt.ok()) return stmt.status();
    (*stmt)->Bind(1, term_id);
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) {
      out.push_back({TermFromRow(row), f.distance, knowledge_internal::RelationName(f.up, f.down)});
    }));
  }
  knowledge_internal::SortNeighbors(out);
  return out;
}

absl::StatusOr<std::vector<OntologyNeighbor>> SqliteKnowledgeBase::Neighbors(
    std::string_view id, int max_distance) const {
  std::lock_guard lock(mu_);
  HAYSTACK_ASSIGN_OR_RETURN(int64_t start, TermKey(id));
  auto parents = [&](int64_t t) {
    return Linked("SELECT DISTINCT parent FROM term_edges WHERE child = ?", t);
  };
  auto children = [&](int64_t t) {
    return Linked("SELECT DISTINCT child FROM term_edges WHERE parent = ?", t);
  };
  HAYSTACK_ASSIGN_OR_RETURN(
      auto found, knowledge_internal::WalkNeighbors(start, max_distance, parents, children));
  return NeighborTerms(found);
}

absl::StatusOr<std::vector<OntologyNeighbor>> SqliteKnowledgeBase::Ancestors(
    std::string_view id, int max_distance) const {
  std::lock_guard lock(mu_);
  HAYSTACK_ASSIGN_OR_RETURN(int64_t start, TermKey(id));
  auto parents = [&](int64_t t) {
    return Linked("SELECT DISTINCT parent FROM term_edges WHERE child = ?", t);
  };
  HAYSTACK_ASSIGN_OR_RETURN(auto up, knowledge_internal::WalkUp(start, max_distance, parents));
  std::map<int64_t, knowledge_internal::OntologyPath> found;
  for (const auto& [term, k] : up) {
    if (term != start) found[term] = {k, k, 0};
  }
  return NeighborTerms(found);
}

absl::StatusOr<std::optional<Perturbation>> SqliteKnowledgeBase::FindPerturbation(
    std::string_view name_or_synonym) const {
  std::lock_guard lock(mu_);
  auto stmt = Query(absl::StrCat(
      kPerturbationColumns,
      "WHERE name = (SELECT id FROM entity_labels WHERE kind = 'perturbation' AND normalized = ? "
      "ORDER BY is_name DESC, id LIMIT 1)"));
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, NormalizeEntityText(name_or_synonym));
  std::optional<Perturbation> p;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { p = PerturbationFromRow(row); }));
  return p;
}

absl::StatusOr<std::vector<Perturbation>> SqliteKnowledgeBase::Perturbations() const {
  std::lock_guard lock(mu_);
  auto stmt = Query(absl::StrCat(kPerturbationColumns, "ORDER BY name"));
  if (!stmt.ok()) return stmt.status();
  std::vector<Perturbation> out;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**stmt, [&](const Statement& row) { out.push_back(PerturbationFromRow(row)); }));
  return out;
}

absl::StatusOr<std::vector<EntityMatch>> SqliteKnowledgeBase::Resolve(EntityKind kind,
                                                                      std::string_view text,
                                                                      int limit) const {
  std::lock_guard lock(mu_);
  std::vector<EntityMatch> matches;
  auto run = [&](std::string_view sql, std::string_view param, MatchMethod method,
                 double score) -> absl::Status {
    auto stmt = Query(sql);
    if (!stmt.ok()) return stmt.status();
    (*stmt)->Bind(1, param);
    return ForEachRow(**stmt, [&](const Statement& row) {
      // Columns: id, name, matched label, is_name. A label that is not the name is a synonym.
      const bool is_name = row.Int(3) != 0;
      MatchMethod m = method;
      double s = score;
      if (method == MatchMethod::kExact && !is_name) {
        m = MatchMethod::kSynonym;
        s = 0.95;
      }
      if (m == MatchMethod::kFuzzy) {
        const double a = static_cast<double>(param.size());
        const double b = static_cast<double>(NormalizeEntityText(row.TextView(2)).size());
        s = 0.5 * std::min(a, b) / std::max(a, b);
      }
      matches.push_back({kind, row.Text(0), row.Text(1), row.Text(2), m, s});
    });
  };
  if (kind == EntityKind::kGene) {
    const std::string_view gene_sql[] = {
        "SELECT symbol, symbol, symbol, 1 FROM genes WHERE symbol = ?",
        "SELECT symbol, symbol, symbol, 1 FROM genes WHERE symbol = ? COLLATE NOCASE",
        "SELECT g.symbol, g.symbol, a.alias, 0 FROM gene_aliases a JOIN genes g USING (gene_id) "
        "WHERE a.alias = ? COLLATE NOCASE",
        "SELECT symbol, symbol, name, 0 FROM genes WHERE name = ? COLLATE NOCASE"};
    const std::pair<MatchMethod, double> how[] = {{MatchMethod::kExact, 1.0},
                                                  {MatchMethod::kNormalized, 0.98},
                                                  {MatchMethod::kSynonym, 0.9},
                                                  {MatchMethod::kSynonym, 0.85}};
    for (size_t i = 0; i < 4; ++i) {
      HAYSTACK_RETURN_IF_ERROR(run(gene_sql[i], text, how[i].first, how[i].second));
    }
  } else {
    // Label columns: id, canonical name (the is_name label of the same id), matched label.
    const std::string select = absl::StrCat(
        "SELECT l.id, (SELECT n.label FROM entity_labels n WHERE n.kind = l.kind AND n.id = l.id "
        "AND n.is_name = 1 LIMIT 1), l.label, l.is_name FROM entity_labels l WHERE l.kind = '",
        std::string(KindName(kind)), "' AND ");
    const std::string wanted = NormalizeEntityText(text);
    if (!wanted.empty()) {
      HAYSTACK_RETURN_IF_ERROR(run(select + "l.normalized = ?", wanted, MatchMethod::kExact, 1.0));
      // "CD14+ monocytes" names "CD14-positive monocyte".
      const std::string positive =
          NormalizeEntityText(absl::StrReplaceAll(wanted, {{"+", " positive "}}));
      if (positive != wanted) {
        HAYSTACK_RETURN_IF_ERROR(
            run(select + "l.normalized = ?", positive, MatchMethod::kNormalized, 0.9));
      }
      HAYSTACK_RETURN_IF_ERROR(
          // Whole words only: space-padded containment of the text in the label or the label
          // in the text ("CD14+ monocytes from blood").
          run(select + "l.normalized != ?1 AND (' ' || l.normalized || ' ' LIKE '% ' || ?1 || "
                       "' %' OR ' ' || ?1 || ' ' LIKE '% ' || l.normalized || ' %')",
              wanted, MatchMethod::kFuzzy, 0.0));
    }
  }
  return knowledge_internal::RankMatches(std::move(matches), limit);
}

absl::StatusOr<std::shared_ptr<const InteractionNetwork>> SqliteKnowledgeBase::Network() const {
  std::lock_guard lock(mu_);
  if (network_ == nullptr) {
    auto network = BuildNetwork();
    if (!network.ok()) return network.status();
    network_ = std::move(*network);
  }
  return network_;
}

absl::StatusOr<std::shared_ptr<const InteractionNetwork>> SqliteKnowledgeBase::BuildNetwork()
    const {
  std::string source;
  std::vector<std::pair<std::string, std::string>> edges;
  auto stored = Query(
      "SELECT ga.symbol, gb.symbol FROM interactions i JOIN genes ga ON ga.gene_id = i.a JOIN "
      "genes gb ON gb.gene_id = i.b");
  if (!stored.ok()) return stored.status();
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(
      **stored, [&](const Statement& row) { edges.emplace_back(row.Text(0), row.Text(1)); }));
  if (!edges.empty()) {
    auto names = Column("SELECT value FROM kb_meta WHERE key = 'network_source'", "");
    if (!names.ok()) return names.status();
    source = names->empty() ? "imported interactions" : names->front();
  } else {
    source =
        absl::StrCat("GO co-annotation proxy (GO_BP sets of 2-", kGoProxyMaxSetSize, " genes)");
    auto members = Query(
        "SELECT m.set_id, g.symbol FROM gene_sets s JOIN gene_set_members m USING (set_id) JOIN "
        "genes g USING (gene_id) WHERE s.collection = 'GO_BP' AND s.size BETWEEN 2 AND ? ORDER "
        "BY m.set_id");
    if (!members.ok()) return members.status();
    (*members)->Bind(1, int64_t{kGoProxyMaxSetSize});
    int64_t current = -1;
    std::vector<std::string> set;
    auto flush = [&] {
      for (size_t i = 0; i < set.size(); ++i) {
        for (size_t j = i + 1; j < set.size(); ++j) edges.emplace_back(set[i], set[j]);
      }
      set.clear();
    };
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(**members, [&](const Statement& row) {
      if (row.Int(0) != current) {
        flush();
        current = row.Int(0);
      }
      set.push_back(row.Text(1));
    }));
    flush();
  }
  return knowledge_internal::MakeNetwork(std::move(source), edges);
}

absl::StatusOr<const std::unordered_set<int64_t>*> SqliteKnowledgeBase::HighThroughputPublications()
    const {
  if (high_throughput_) return &*high_throughput_;
  // Files imported before publication_sizes existed count the papers here (a few seconds).
  auto has_table = db_->QueryInt(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'publication_sizes'");
  if (!has_table.ok()) return has_table.status();
  auto big =
      Query(*has_table > 0 ? "SELECT pmid FROM publication_sizes WHERE genes > ?"
                           : "SELECT pmid FROM publications GROUP BY pmid HAVING COUNT(*) > ?");
  if (!big.ok()) return big.status();
  (*big)->Bind(1, int64_t{kMaxGenesPerPublication});
  std::unordered_set<int64_t> pmids;
  HAYSTACK_RETURN_IF_ERROR(
      ForEachRow(**big, [&](const Statement& row) { pmids.insert(row.Int(0)); }));
  high_throughput_ = std::move(pmids);
  return &*high_throughput_;
}

absl::StatusOr<std::vector<CoCitation>> SqliteKnowledgeBase::CoCitations(
    const std::vector<std::string>& query_genes, const std::vector<std::string>& genes) const {
  std::lock_guard lock(mu_);
  HAYSTACK_ASSIGN_OR_RETURN(const std::unordered_set<int64_t>* excluded,
                            HighThroughputPublications());
  auto pubs = Query(
      "SELECT p.pmid FROM genes g JOIN publications p USING (gene_id) WHERE g.symbol = ? ORDER "
      "BY p.pmid");
  if (!pubs.ok()) return pubs.status();
  std::unordered_set<int64_t> query_pubs;
  for (const auto& q : query_genes) {
    (*pubs)->Bind(1, q);
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(**pubs, [&](const Statement& row) {
      if (!excluded->contains(row.Int(0))) query_pubs.insert(row.Int(0));
    }));
  }
  const int64_t corpus =
      std::max<int64_t>(1, publication_corpus_ - static_cast<int64_t>(excluded->size()));
  std::vector<CoCitation> out;
  out.reserve(genes.size());
  for (const auto& gene : genes) {
    CoCitation c;
    c.gene = gene;
    c.query_publications = static_cast<int64_t>(query_pubs.size());
    c.corpus_publications = corpus;
    (*pubs)->Bind(1, gene);
    HAYSTACK_RETURN_IF_ERROR(ForEachRow(**pubs, [&](const Statement& row) {
      if (excluded->contains(row.Int(0))) return;
      ++c.gene_publications;
      if (query_pubs.count(row.Int(0)) > 0) {
        ++c.shared_publications;
        if (c.example_publication_ids.size() < 3) {
          c.example_publication_ids.push_back(absl::StrCat("PMID:", row.Int(0)));
        }
      }
    }));
    c.expected_shared = static_cast<double>(c.gene_publications) *
                        static_cast<double>(query_pubs.size()) / static_cast<double>(corpus);
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<SourceVersion>> SqliteKnowledgeBase::Sources() const {
  std::lock_guard lock(mu_);
  auto stmt = Query(
      "SELECT source, version, license, imported_at, detail FROM sources ORDER BY imported_at, "
      "source");
  if (!stmt.ok()) return stmt.status();
  std::vector<SourceVersion> out;
  HAYSTACK_RETURN_IF_ERROR(ForEachRow(**stmt, [&](const Statement& row) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4)});
  }));
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> SqliteKnowledgeBase::TableCounts() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> counts;
  for (const char* table :
       {"genes", "gene_aliases", "gene_sets", "gene_set_members", "terms", "term_synonyms",
        "term_edges", "perturbations", "interactions", "publications", "entity_labels"}) {
    auto n = db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", table));
    if (!n.ok()) return n.status();
    counts[table] = *n;
  }
  return counts;
}

}  // namespace haystack
