// The knowledge base's own SQLite schema (documented in docs/knowledge.md). Importers write it,
// SqliteKnowledgeBase reads it; nothing else depends on the upstream files' layouts.
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_SCHEMA_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_SCHEMA_H_

#include <string_view>

namespace haystack::knowledge_internal {

// Bumped when a table changes incompatibly; SqliteKnowledgeBase refuses other versions.
inline constexpr int kSchemaVersion = 1;

// Idempotent (CREATE ... IF NOT EXISTS).
inline constexpr std::string_view kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS kb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
  source TEXT PRIMARY KEY, version TEXT NOT NULL, license TEXT NOT NULL,
  imported_at TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS genes (
  gene_id INTEGER PRIMARY KEY, symbol TEXT NOT NULL UNIQUE, entrez_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS genes_by_symbol_nocase ON genes(symbol COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS genes_by_name_nocase ON genes(name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS gene_aliases (
  alias TEXT NOT NULL, gene_id INTEGER NOT NULL REFERENCES genes(gene_id),
  PRIMARY KEY (alias, gene_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gene_aliases_nocase ON gene_aliases(alias COLLATE NOCASE);
-- Added after version 1 shipped; readers treat its absence as an empty map.
CREATE TABLE IF NOT EXISTS gene_ensembl (
  ensembl_id TEXT PRIMARY KEY, gene_id INTEGER NOT NULL REFERENCES genes(gene_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gene_sets (
  set_id INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  collection TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS gene_sets_by_collection ON gene_sets(collection, size);
CREATE TABLE IF NOT EXISTS gene_set_members (
  set_id INTEGER NOT NULL, gene_id INTEGER NOT NULL, PRIMARY KEY (set_id, gene_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gene_set_members_by_gene ON gene_set_members(gene_id, set_id);
CREATE TABLE IF NOT EXISTS terms (
  term_id INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  ontology TEXT NOT NULL, obsolete INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS term_synonyms (
  term_id INTEGER NOT NULL, synonym TEXT NOT NULL, PRIMARY KEY (term_id, synonym)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS term_edges (
  child INTEGER NOT NULL, parent INTEGER NOT NULL, relation TEXT NOT NULL,
  PRIMARY KEY (child, parent, relation)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS term_edges_by_parent ON term_edges(parent, child);
CREATE TABLE IF NOT EXISTS perturbations (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, synonyms TEXT NOT NULL, targets TEXT NOT NULL,
  expected_pathways TEXT NOT NULL, expected_up TEXT NOT NULL, expected_down TEXT NOT NULL,
  description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS interactions (
  a INTEGER NOT NULL, b INTEGER NOT NULL, score INTEGER NOT NULL, PRIMARY KEY (a, b))
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publications (
  gene_id INTEGER NOT NULL, pmid INTEGER NOT NULL, PRIMARY KEY (gene_id, pmid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publication_sizes (
  pmid INTEGER PRIMARY KEY, genes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entity_labels (
  kind TEXT NOT NULL, normalized TEXT NOT NULL, id TEXT NOT NULL, label TEXT NOT NULL,
  is_name INTEGER NOT NULL, PRIMARY KEY (kind, normalized, id, label)) WITHOUT ROWID;
)sql";

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_SCHEMA_H_
