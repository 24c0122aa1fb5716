// A KnowledgeBase held in memory, filled by code: for tests of the modules that use one, and
// for tools that build a knowledge base before writing it out. A faithful fake of
// SqliteKnowledgeBase: tests/knowledge/conformance_test.cc runs the same cases on both.
#ifndef HAYSTACK_KNOWLEDGE_IN_MEMORY_KNOWLEDGE_BASE_H_
#define HAYSTACK_KNOWLEDGE_IN_MEMORY_KNOWLEDGE_BASE_H_

#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "haystack/knowledge/knowledge_base.h"

namespace haystack {
namespace knowledge_internal {
struct OntologyPath;
}

class InMemoryKnowledgeBase final : public KnowledgeBase {
 public:
  InMemoryKnowledgeBase() = default;

  void AddGene(Gene gene);
  // Maps an Ensembl gene id (without version) to a gene symbol; an id mapped to two symbols
  // maps to none, as in the SQLite import.
  void AddEnsemblId(const std::string& ensembl_id, const std::string& symbol);
  void AddGeneSet(GeneSet set);  // members are sorted and deduplicated
  // `parents` are is_a parents of `term`.
  void AddTerm(OntologyTerm term, std::vector<std::string> parents = {});
  void AddPerturbation(Perturbation perturbation);
  void AddInteraction(const std::string& a, const std::string& b);
  void SetNetworkSource(std::string source) { network_source_ = std::move(source); }
  // Publication ids linked to a gene.
  void AddPublications(const std::string& gene, std::vector<std::string> publication_ids);
  void AddSource(SourceVersion source) { sources_.push_back(std::move(source)); }

  absl::StatusOr<std::optional<Gene>> FindGene(std::string_view symbol_or_alias) const override;
  absl::StatusOr<std::optional<std::string>> SymbolOfEnsemblId(
      std::string_view ensembl_id) const override;
  absl::StatusOr<std::vector<std::string>> GeneSetCollections() const override;
  absl::StatusOr<std::vector<GeneSet>> GeneSets(std::string_view collection, int min_size,
                                                int max_size) const override;
  absl::StatusOr<std::optional<GeneSet>> GetGeneSet(std::string_view id) const override;
  absl::StatusOr<std::vector<std::string>> GeneSetsContaining(
      std::string_view symbol) const override;
  absl::StatusOr<std::optional<OntologyTerm>> GetTerm(std::string_view id) const override;
  absl::StatusOr<std::vector<OntologyNeighbor>> Neighbors(std::string_view id,
                                                          int max_distance) const override;
  absl::StatusOr<std::vector<OntologyNeighbor>> Ancestors(std::string_view id,
                                                          int max_distance) const override;
  absl::StatusOr<std::optional<Perturbation>> FindPerturbation(
      std::string_view name_or_synonym) const override;
  absl::StatusOr<std::vector<Perturbation>> Perturbations() const override;
  absl::StatusOr<std::vector<EntityMatch>> Resolve(EntityKind kind, std::string_view text,
                                                   int limit) const override;
  absl::StatusOr<std::shared_ptr<const InteractionNetwork>> Network() const override;
  absl::StatusOr<std::vector<CoCitation>> CoCitations(
      const std::vector<std::string>& query_genes,
      const std::vector<std::string>& genes) const override;
  absl::StatusOr<std::vector<SourceVersion>> Sources() const override;

 private:
  std::vector<std::string> ParentsOf(const std::string& id) const;
  std::vector<std::string> ChildrenOf(const std::string& id) const;
  std::vector<OntologyNeighbor> NeighborTerms(
      const std::map<std::string, knowledge_internal::OntologyPath>& found) const;

  std::map<std::string, Gene> genes_;
  std::map<std::string, std::optional<std::string>, std::less<>> ensembl_;  // nullopt: ambiguous
  std::map<std::string, GeneSet> gene_sets_;
  std::map<std::string, OntologyTerm> terms_;
  std::multimap<std::string, std::string> parents_;  // child → parent
  std::map<std::string, Perturbation> perturbations_;
  std::vector<std::pair<std::string, std::string>> interactions_;
  std::string network_source_ = "in-memory";
  std::map<std::string, std::vector<std::string>> publications_;
  std::vector<SourceVersion> sources_;
  // Built on first use; behind a pointer so that the knowledge base stays movable.
  struct NetworkCache {
    std::mutex mu;
    std::shared_ptr<const InteractionNetwork> network;
  };
  std::unique_ptr<NetworkCache> network_cache_ = std::make_unique<NetworkCache>();
};

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_IN_MEMORY_KNOWLEDGE_BASE_H_
