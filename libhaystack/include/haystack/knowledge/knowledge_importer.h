// Builds a SqliteKnowledgeBase file: creates the schema, imports sources into it and records
// each source's provenance. Used by the haystack-kb tool and by tests; a run only reads.
//
//   auto importer = KnowledgeImporter::Create("kb.sqlite");
//   importer->ImportBioconductor(org_hs_eg_sqlite, go_sqlite);
//   importer->ImportCurated("data/curated");
//   importer->Finish();  // entity dictionaries and statistics; required before reading
#ifndef HAYSTACK_KNOWLEDGE_KNOWLEDGE_IMPORTER_H_
#define HAYSTACK_KNOWLEDGE_KNOWLEDGE_IMPORTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/clock.h"
#include "haystack/knowledge/formats.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

namespace knowledge_internal {
class Database;
}

// What one import wrote, for the tool's output and the sources table.
struct ImportReport {
  std::string source;
  std::map<std::string, int64_t> counts;  // "genes", "gene_sets", "terms", ...
  std::string ToString() const;           // "GO: 43559 terms, 61000 edges"
};

class KnowledgeImporter {
 public:
  // Opens `path`, creating it with the schema if absent. Errors: kDatabase.
  static absl::StatusOr<std::unique_ptr<KnowledgeImporter>> Create(const std::string& path,
                                                                   const Clock& clock);
  ~KnowledgeImporter();
  KnowledgeImporter(const KnowledgeImporter&) = delete;
  KnowledgeImporter& operator=(const KnowledgeImporter&) = delete;

  // Genes (symbol, name, Entrez id, aliases), gene → PubMed links, GO terms with synonyms and
  // is_a/part_of edges, and gene sets GO_BP/GO_MF/GO_CC (ancestor-propagated annotations,
  // distinct over evidence codes) from Bioconductor's org.Hs.eg.sqlite and GO.sqlite.
  absl::StatusOr<ImportReport> ImportBioconductor(const std::string& org_hs_eg_sqlite,
                                                  const std::string& go_sqlite);
  // Terms and edges (replacing terms with the same ids and their outgoing edges).
  absl::StatusOr<ImportReport> ImportOntology(const OntologyData& ontology,
                                              const SourceVersion& source);
  // Gene sets (replacing sets with the same ids). Member symbols are matched to genes by
  // symbol, then by an alias naming exactly one gene; other symbols become new genes.
  absl::StatusOr<ImportReport> ImportGeneSets(const std::vector<GeneSet>& sets,
                                              const SourceVersion& source);
  // Perturbations (replacing same names). When the knowledge base holds GO terms, every
  // expected pathway must be one of them (error names the file line).
  absl::StatusOr<ImportReport> ImportPerturbations(const std::vector<PerturbationRow>& rows,
                                                   const std::string& path,
                                                   const SourceVersion& source);
  // Ensembl gene id (without version) → symbol pairs, e.g. another organism's or release's map
  // (ImportBioconductor imports org.Hs.eg.db's). Symbols are matched to genes like gene set
  // members. An id given two different genes, or a gene other than the one it already maps to,
  // maps to none.
  absl::StatusOr<ImportReport> ImportEnsemblIds(
      const std::vector<std::pair<std::string, std::string>>& ensembl_to_symbol,
      const SourceVersion& source);
  // Replaces the interaction network.
  absl::StatusOr<ImportReport> ImportInteractions(const std::vector<Interaction>& interactions,
                                                  const SourceVersion& source);
  // The curated tables of data/curated: cell_types.tsv (CL), tissues.tsv (UBERON),
  // diseases.tsv (MONDO/PATO), perturbations.tsv.
  absl::StatusOr<std::vector<ImportReport>> ImportCurated(const std::string& directory);

  // Rebuilds the entity dictionaries used by Resolve and the statistics used by CoCitations.
  // Call once after the last import.
  absl::Status Finish();

  // A SourceVersion stamped with the clock's time.
  SourceVersion MakeSource(std::string source, std::string version, std::string license,
                           std::string detail) const;

 private:
  KnowledgeImporter(std::unique_ptr<knowledge_internal::Database> db, const Clock& clock);
  absl::Status RecordSource(const SourceVersion& source);
  // The gene id for `symbol`, matching aliases, inserting a new gene if none matches;
  // memoised in `cache` for the length of one import.
  absl::StatusOr<int64_t> GeneIdFor(const std::string& symbol,
                                    std::map<std::string, int64_t>* cache);
  absl::StatusOr<int64_t> LookUpOrAddGene(const std::string& symbol);

  std::unique_ptr<knowledge_internal::Database> db_;
  const Clock& clock_;
};

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_KNOWLEDGE_IMPORTER_H_
