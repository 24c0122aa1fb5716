// The production KnowledgeBase: a read-only SQLite file in the schema of docs/knowledge.md,
// written by KnowledgeImporter (the haystack-kb tool). One connection behind a mutex with cached
// prepared statements; the network is built once and shared.
#ifndef HAYSTACK_KNOWLEDGE_SQLITE_KNOWLEDGE_BASE_H_
#define HAYSTACK_KNOWLEDGE_SQLITE_KNOWLEDGE_BASE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

namespace knowledge_internal {
class Database;
class Statement;
struct OntologyPath;
}  // namespace knowledge_internal

// The GO co-annotation network proxy (used when no STRING network was imported): two genes
// are linked when both belong to at least one GO Biological Process set with at most this many
// genes. Small propagated sets are specific processes ("JAK-STAT cascade involved in ...");
// large ones ("immune system process") would link everything. See docs/knowledge.md.
inline constexpr int kGoProxyMaxSetSize = 20;

class SqliteKnowledgeBase final : public KnowledgeBase {
 public:
  // Opens an imported file read-only. Errors: kStorage/NotFound for a missing file,
  // kDatabase/FailedPrecondition for another schema version or an unfinished import.
  static absl::StatusOr<std::unique_ptr<SqliteKnowledgeBase>> Open(const std::string& path);
  ~SqliteKnowledgeBase() override;

  absl::StatusOr<std::optional<Gene>> FindGene(std::string_view symbol_or_alias) const override;
  // From the gene_ensembl table (org.Hs.eg.db's Ensembl ids); a file built before that table
  // existed maps nothing.
  absl::StatusOr<std::optional<std::string>> SymbolOfEnsemblId(
      std::string_view ensembl_id) const override;
  absl::StatusOr<std::vector<std::string>> GeneSetCollections() const override;
  absl::StatusOr<std::vector<GeneSet>> GeneSets(std::string_view collection, int min_size,
                                                int max_size) const override;
  absl::StatusOr<std::vector<GeneSet>> GeneSetsWithin(
      std::string_view collection, std::span<const std::string> genes) const override;
  absl::StatusOr<std::optional<GeneSet>> GetGeneSet(std::string_view id) const override;
  absl::StatusOr<std::vector<std::string>> GeneSetsContaining(
      std::string_view symbol) const override;
  absl::StatusOr<std::optional<OntologyTerm>> GetTerm(std::string_view id) const override;
  // Up-then-down paths over is_a and part_of edges: ancestors at distance k, descendants at m,
  // relatives (siblings, cousins) at k + m. Relations: parent, grandparent, ancestor, child,
  // grandchild, descendant, sibling, relative.
  absl::StatusOr<std::vector<OntologyNeighbor>> Neighbors(std::string_view id,
                                                          int max_distance) const override;
  absl::StatusOr<std::vector<OntologyNeighbor>> Ancestors(std::string_view id,
                                                          int max_distance) const override;
  absl::StatusOr<std::optional<Perturbation>> FindPerturbation(
      std::string_view name_or_synonym) const override;
  absl::StatusOr<std::vector<Perturbation>> Perturbations() const override;
  // Cell types, tissues, diseases and perturbations: normalised label equality (exact 1.0,
  // synonym 0.95, "+"→"positive" variant 0.9), then whole-word containment either way (fuzzy,
  // 0.5 × length ratio). Genes: symbol 1.0, case-insensitive symbol 0.98, alias 0.9, full
  // name 0.85.
  absl::StatusOr<std::vector<EntityMatch>> Resolve(EntityKind kind, std::string_view text,
                                                   int limit) const override;
  absl::StatusOr<std::shared_ptr<const InteractionNetwork>> Network() const override;
  // shared = |pubs(gene) ∩ ∪ pubs(query)|; expected = |pubs(gene)| · |∪ pubs(query)| / N with N
  // the number of distinct publications linked to any gene; every count leaves out papers
  // linked to more than kMaxGenesPerPublication genes.
  absl::StatusOr<std::vector<CoCitation>> CoCitations(
      const std::vector<std::string>& query_genes,
      const std::vector<std::string>& genes) const override;
  absl::StatusOr<std::vector<SourceVersion>> Sources() const override;

  // Row counts per table ("genes", "gene_sets", ...), for `haystack-kb info` and tests.
  absl::StatusOr<std::map<std::string, int64_t>> TableCounts() const;

 private:
  SqliteKnowledgeBase(std::unique_ptr<knowledge_internal::Database> db, std::string path);
  // A cached prepared statement, reset; call with mu_ held.
  absl::StatusOr<knowledge_internal::Statement*> Query(std::string_view sql) const;
  absl::StatusOr<std::vector<std::string>> Column(std::string_view sql,
                                                  std::string_view param) const;
  absl::StatusOr<std::shared_ptr<const InteractionNetwork>> BuildNetwork() const;
  // Ontology walks; call with mu_ held. TermKey: the surrogate key of an ontology id.
  absl::StatusOr<int64_t> TermKey(std::string_view id) const;
  absl::StatusOr<std::vector<int64_t>> Linked(std::string_view sql, int64_t term) const;
  absl::StatusOr<std::vector<OntologyNeighbor>> NeighborTerms(
      const std::map<int64_t, knowledge_internal::OntologyPath>& found) const;
  // gene_id → symbol, read once; call with mu_ held.
  absl::StatusOr<const std::unordered_map<int64_t, std::string>*> SymbolsById() const;
  // The papers above kMaxGenesPerPublication genes, read once; call with mu_ held.
  absl::StatusOr<const std::unordered_set<int64_t>*> HighThroughputPublications() const;

  mutable std::mutex mu_;
  std::unique_ptr<knowledge_internal::Database> db_;
  std::string path_;  // for the read-only connections of long reads (GeneSetsWithin)
  mutable std::map<std::string, std::unique_ptr<knowledge_internal::Statement>, std::less<>>
      statements_;
  mutable std::shared_ptr<const InteractionNetwork> network_;
  mutable std::optional<std::unordered_map<int64_t, std::string>> symbols_by_id_;
  mutable std::optional<std::unordered_set<int64_t>> high_throughput_;
  int64_t publication_corpus_ = 0;
  bool has_ensembl_map_ = false;
};

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_SQLITE_KNOWLEDGE_BASE_H_
