#include "haystack/knowledge/in_memory_knowledge_base.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "knowledge/internal/shared_logic.h"

namespace haystack {

int32_t InteractionNetwork::IndexOf(std::string_view symbol) const {
  auto it = std::lower_bound(genes.begin(), genes.end(), symbol,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == genes.end() || *it != symbol) return -1;
  return static_cast<int32_t>(it - genes.begin());
}

void InMemoryKnowledgeBase::AddGene(Gene gene) {
  std::string key = gene.symbol;
  genes_[key] = std::move(gene);
}

void InMemoryKnowledgeBase::AddGeneSet(GeneSet set) {
  std::sort(set.genes.begin(), set.genes.end());
  set.genes.erase(std::unique(set.genes.begin(), set.genes.end()), set.genes.end());
  std::string key = set.id;
  gene_sets_[key] = std::move(set);
}

void InMemoryKnowledgeBase::AddTerm(OntologyTerm term, std::vector<std::string> parents) {
  for (auto& parent : parents) parents_.emplace(term.id, std::move(parent));
  std::string key = term.id;
  terms_[key] = std::move(term);
}

void InMemoryKnowledgeBase::AddPerturbation(Perturbation perturbation) {
  std::string key = perturbation.name;
  perturbations_[key] = std::move(perturbation);
}

void InMemoryKnowledgeBase::AddInteraction(const std::string& a, const std::string& b) {
  interactions_.emplace_back(a, b);
  std::lock_guard lock(network_cache_->mu);
  network_cache_->network.reset();
}

void InMemoryKnowledgeBase::AddPublications(const std::string& gene,
                                            std::vector<std::string> publication_ids) {
  auto& list = publications_[gene];
  list.insert(list.end(), publication_ids.begin(), publication_ids.end());
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
}

absl::StatusOr<std::optional<Gene>> InMemoryKnowledgeBase::FindGene(
    std::string_view symbol_or_alias) const {
  if (auto it = genes_.find(std::string(symbol_or_alias)); it != genes_.end()) return it->second;
  for (const auto& [symbol, gene] : genes_) {
    for (const auto& alias : gene.aliases) {
      if (alias == symbol_or_alias) return gene;
    }
  }
  return std::nullopt;
}

void InMemoryKnowledgeBase::AddEnsemblId(const std::string& ensembl_id, const std::string& symbol) {
  auto [it, inserted] = ensembl_.try_emplace(ensembl_id, symbol);
  if (!inserted && it->second != symbol) it->second = std::nullopt;
}

absl::StatusOr<std::optional<std::string>> InMemoryKnowledgeBase::SymbolOfEnsemblId(
    std::string_view ensembl_id) const {
  auto it = ensembl_.find(WithoutEnsemblVersion(ensembl_id));
  if (it == ensembl_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<std::string>> InMemoryKnowledgeBase::GeneSetCollections() const {
  std::set<std::string> collections;
  for (const auto& [id, set] : gene_sets_) collections.insert(set.collection);
  return std::vector<std::string>(collections.begin(), collections.end());
}

absl::StatusOr<std::vector<GeneSet>> InMemoryKnowledgeBase::GeneSets(std::string_view collection,
                                                                     int min_size,
                                                                     int max_size) const {
  std::vector<GeneSet> sets;
  for (const auto& [id, set] : gene_sets_) {
    const int size = static_cast<int>(set.genes.size());
    if (set.collection == collection && size >= min_size && size <= max_size) sets.push_back(set);
  }
  return sets;
}

absl::StatusOr<std::optional<GeneSet>> InMemoryKnowledgeBase::GetGeneSet(
    std::string_view id) const {
  if (auto it = gene_sets_.find(std::string(id)); it != gene_sets_.end()) return it->second;
  return std::nullopt;
}

absl::StatusOr<std::vector<std::string>> InMemoryKnowledgeBase::GeneSetsContaining(
    std::string_view symbol) const {
  std::vector<std::string> ids;
  for (const auto& [id, set] : gene_sets_) {
    if (std::binary_search(set.genes.begin(), set.genes.end(), std::string(symbol))) {
      ids.push_back(id);
    }
  }
  return ids;
}

absl::StatusOr<std::optional<OntologyTerm>> InMemoryKnowledgeBase::GetTerm(
    std::string_view id) const {
  if (auto it = terms_.find(std::string(id)); it != terms_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> InMemoryKnowledgeBase::ParentsOf(const std::string& id) const {
  std::vector<std::string> out;
  for (auto [it, end] = parents_.equal_range(id); it != end; ++it) out.push_back(it->second);
  return out;
}

std::vector<std::string> InMemoryKnowledgeBase::ChildrenOf(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [child, parent] : parents_) {
    if (parent == id) out.push_back(child);
  }
  return out;
}

std::vector<OntologyNeighbor> InMemoryKnowledgeBase::NeighborTerms(
    const std::map<std::string, knowledge_internal::OntologyPath>& found) const {
  std::vector<OntologyNeighbor> out;
  for (const auto& [id, path] : found) {
    auto term = terms_.find(id);
    if (term == terms_.end()) continue;
    out.push_back(
        {term->second, path.distance, knowledge_internal::RelationName(path.up, path.down)});
  }
  knowledge_internal::SortNeighbors(out);
  return out;
}

absl::StatusOr<std::vector<OntologyNeighbor>> InMemoryKnowledgeBase::Neighbors(
    std::string_view id, int max_distance) const {
  const std::string start(id);
  if (!terms_.contains(start)) return knowledge_internal::UnknownTermError(id);
  auto parents = [&](const std::string& t) -> absl::StatusOr<std::vector<std::string>> {
    return ParentsOf(t);
  };
  auto children = [&](const std::string& t) -> absl::StatusOr<std::vector<std::string>> {
    return ChildrenOf(t);
  };
  HAYSTACK_ASSIGN_OR_RETURN(
      auto found, knowledge_internal::WalkNeighbors(start, max_distance, parents, children));
  return NeighborTerms(found);
}

absl::StatusOr<std::vector<OntologyNeighbor>> InMemoryKnowledgeBase::Ancestors(
    std::string_view id, int max_distance) const {
  const std::string start(id);
  if (!terms_.contains(start)) return knowledge_internal::UnknownTermError(id);
  auto parents = [&](const std::string& t) -> absl::StatusOr<std::vector<std::string>> {
    return ParentsOf(t);
  };
  HAYSTACK_ASSIGN_OR_RETURN(auto up, knowledge_internal::WalkUp(start, max_distance, parents));
  std::map<std::string, knowledge_internal::OntologyPath> found;
  for (const auto& [term, k] : up) {
    if (term != start) found[term] = {k, k, 0};
  }
  return NeighborTerms(found);
}

absl::StatusOr<std::optional<Perturbation>> InMemoryKnowledgeBase::FindPerturbation(
    std::string_view name_or_synonym) const {
  const std::string wanted = NormalizeEntityText(name_or_synonym);
  for (const auto& [name, p] : perturbations_) {
    if (NormalizeEntityText(name) == wanted) return p;
    for (const auto& synonym : p.synonyms) {
      if (NormalizeEntityText(synonym) == wanted) return p;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<Perturbation>> InMemoryKnowledgeBase::Perturbations() const {
  std::vector<Perturbation> out;
  for (const auto& [name, p] : perturbations_) out.push_back(p);
  return out;
}

absl::StatusOr<std::vector<EntityMatch>> InMemoryKnowledgeBase::Resolve(EntityKind kind,
                                                                        std::string_view text,
                                                                        int limit) const {
  if (kind == EntityKind::kGene) {
    std::vector<Gene> genes;
    for (const auto& [symbol, g] : genes_) genes.push_back(g);
    return knowledge_internal::RankMatches(knowledge_internal::MatchGenes(text, genes), limit);
  }
  std::vector<knowledge_internal::Label> labels;
  if (kind == EntityKind::kPerturbation) {
    for (const auto& [name, p] : perturbations_) {
      labels.push_back({name, name, name, true});
      for (const auto& s : p.synonyms) labels.push_back({name, name, s, false});
    }
  } else {
    // The ontologies each kind draws on, as SqliteKnowledgeBase's entity dictionary does.
    auto wanted = [kind](const std::string& ontology) {
      switch (kind) {
        case EntityKind::kCellType:
          return ontology == "CL";
        case EntityKind::kTissue:
          return ontology == "UBERON";
        default:
          return ontology == "MONDO" || ontology == "PATO";
      }
    };
    for (const auto& [id, term] : terms_) {
      if (term.obsolete || !wanted(id.substr(0, id.find(':')))) continue;
      labels.push_back({id, term.name, term.name, true});
      for (const auto& s : term.synonyms) labels.push_back({id, term.name, s, false});
    }
  }
  return knowledge_internal::RankMatches(knowledge_internal::MatchLabels(kind, text, labels),
                                         limit);
}

absl::StatusOr<std::shared_ptr<const InteractionNetwork>> InMemoryKnowledgeBase::Network() const {
  std::lock_guard lock(network_cache_->mu);
  if (network_cache_->network == nullptr) {
    network_cache_->network = knowledge_internal::MakeNetwork(network_source_, interactions_);
  }
  return network_cache_->network;
}

absl::StatusOr<std::vector<CoCitation>> InMemoryKnowledgeBase::CoCitations(
    const std::vector<std::string>& query_genes, const std::vector<std::string>& genes) const {
  // Papers above the cut-off are left out, as SqliteKnowledgeBase does.
  std::map<std::string, int64_t> genes_per_paper;
  for (const auto& [gene, pubs] : publications_) {
    for (const auto& pub : std::set<std::string>(pubs.begin(), pubs.end())) ++genes_per_paper[pub];
  }
  auto kept = [&](const std::string& pub) {
    return genes_per_paper[pub] <= kMaxGenesPerPublication;
  };
  std::set<std::string> corpus;
  for (const auto& [pub, n] : genes_per_paper) {
    if (n <= kMaxGenesPerPublication) corpus.insert(pub);
  }
  std::set<std::string> query_pubs;
  for (const auto& q : query_genes) {
    if (auto it = publications_.find(q); it != publications_.end()) {
      for (const auto& pub : it->second) {
        if (kept(pub)) query_pubs.insert(pub);
      }
    }
  }
  const int64_t corpus_size = std::max<int64_t>(1, static_cast<int64_t>(corpus.size()));
  std::vector<CoCitation> out;
  for (const auto& gene : genes) {
    CoCitation c;
    c.gene = gene;
    c.query_publications = static_cast<int64_t>(query_pubs.size());
    c.corpus_publications = corpus_size;
    if (auto it = publications_.find(gene); it != publications_.end()) {
      for (const auto& pub : std::set<std::string>(it->second.begin(), it->second.end())) {
        if (!kept(pub)) continue;
        ++c.gene_publications;
        if (query_pubs.count(pub) > 0) {
          ++c.shared_publications;
          if (c.example_publication_ids.size() < 3) c.example_publication_ids.push_back(pub);
        }
      }
    }
    c.expected_shared = static_cast<double>(c.gene_publications) *
                        static_cast<double>(query_pubs.size()) / static_cast<double>(corpus_size);
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<SourceVersion>> InMemoryKnowledgeBase::Sources() const {
  return sources_;
}

}  // namespace haystack
