#include "haystack/knowledge/in_memory_knowledge_base.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "knowledge/internal/shared_logic.h"

namespace haystack {
namespace {

// Greek letters as written in gene and cytokine names, spelled out.
constexpr std::pair<std::string_view, std::string_view> kGreek[] = {
    {"α", "alpha"},  {"β", "beta"},  {"γ", "gamma"}, {"δ", "delta"}, {"κ", "kappa"},
    {"λ", "lambda"}, {"ω", "omega"}, {"Α", "alpha"}, {"Β", "beta"},  {"Γ", "gamma"},
};

std::string Singular(const std::string& word) {
  // "monocytes" → "monocyte", "cells" → "cell"; leave "class", "mass", "CD4s"-like short words.
  if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's' &&
      std::isalpha(static_cast<unsigned char>(word[word.size() - 2]))) {
    return word.substr(0, word.size() - 1);
  }
  return word;
}

}  // namespace

std::string NormalizeEntityText(std::string_view text) {
  std::string spaced;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [letter, name] : kGreek) {
      if (text.substr(i, letter.size()) == letter) {
        spaced += ' ';
        spaced += name;
        spaced += ' ';
        i += letter.size();
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c) || c == '+' || c >= 0x80) {
      spaced += static_cast<char>(std::tolower(c));
    } else {
      spaced += ' ';
    }
    ++i;
  }
  std::string out;
  size_t start = 0;
  while (start < spaced.size()) {
    const size_t end = spaced.find(' ', start);
    const std::string word = spaced.substr(start, end == std::string::npos ? end : end - start);
    if (!word.empty()) {
      if (!out.empty()) out += ' ';
      out += Singular(word);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

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

absl::StatusOr<std::vector<OntologyNeighbor>> InMemoryKnowledgeBase::Neighbors(
    std::string_view id, int max_distance) const {
  const std::string start(id);
  auto parents_of = [&](const std::string& t) {
    std::vector<std::string> out;
    for (auto [it, end] = parents_.equal_range(t); it != end; ++it) out.push_back(it->second);
    return out;
  };
  auto children_of = [&](const std::string& t) {
    std::vector<std::string> out;
    for (const auto& [child, parent] : parents_) {
      if (parent == t) out.push_back(child);
    }
    return out;
  };
  std::map<std::string, OntologyNeighbor> found;
  auto add = [&](const std::string& term_id, int distance, const char* relation) {
    if (term_id == start || distance > max_distance) return;
    auto term = terms_.find(term_id);
    if (term == terms_.end()) return;
    auto [it, inserted] =
        found.try_emplace(term_id, OntologyNeighbor{term->second, distance, relation});
    if (!inserted && it->second.distance > distance)
      it->second = {term->second, distance, relation};
  };
  for (const auto& parent : parents_of(start)) {
    add(parent, 1, "parent");
    for (const auto& grandparent : parents_of(parent)) add(grandparent, 2, "grandparent");
    for (const auto& sibling : children_of(parent)) add(sibling, 2, "sibling");
  }
  for (const auto& child : children_of(start)) {
    add(child, 1, "child");
    for (const auto& grandchild : children_of(child)) add(grandchild, 2, "grandchild");
  }
  std::vector<OntologyNeighbor> out;
  for (auto& [term_id, neighbor] : found) out.push_back(std::move(neighbor));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.distance < b.distance; });
  return out;
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
  const std::string wanted = NormalizeEntityText(text);
  std::vector<EntityMatch> matches;
  auto consider = [&](const std::string& id, const std::string& name, const std::string& label,
                      bool is_name) {
    const std::string normalized = NormalizeEntityText(label);
    if (normalized == wanted) {
      matches.push_back(
          {kind, id, name, label, is_name ? "exact" : "synonym", is_name ? 1.0 : 0.95});
    } else if (!wanted.empty() && normalized.find(wanted) != std::string::npos) {
      matches.push_back(
          {kind, id, name, label, "fuzzy",
           0.5 * static_cast<double>(wanted.size()) / static_cast<double>(normalized.size())});
    }
  };
  switch (kind) {
    case EntityKind::kPerturbation:
      for (const auto& [name, p] : perturbations_) {
        consider(name, name, name, true);
        for (const auto& s : p.synonyms) consider(name, name, s, false);
      }
      break;
    case EntityKind::kGene:
      for (const auto& [symbol, g] : genes_) {
        consider(symbol, symbol, symbol, true);
        for (const auto& a : g.aliases) consider(symbol, symbol, a, false);
      }
      break;
    default: {
      const std::string prefix = kind == EntityKind::kCellType ? "CL:"
                                 : kind == EntityKind::kTissue ? "UBERON:"
                                                               : "MONDO:";
      for (const auto& [id, term] : terms_) {
        if (id.rfind(prefix, 0) != 0 || term.obsolete) continue;
        consider(id, term.name, term.name, true);
        for (const auto& s : term.synonyms) consider(id, term.name, s, false);
      }
    }
  }
  return knowledge_internal::RankMatches(std::move(matches), limit);
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
