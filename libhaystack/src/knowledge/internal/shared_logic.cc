#include "knowledge/internal/shared_logic.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace haystack::knowledge_internal {

std::shared_ptr<const InteractionNetwork> MakeNetwork(
    std::string source, const std::vector<std::pair<std::string, std::string>>& edges) {
  auto network = std::make_shared<InteractionNetwork>();
  network->source = std::move(source);
  std::set<std::string> nodes;
  for (const auto& [a, b] : edges) {
    nodes.insert(a);
    nodes.insert(b);
  }
  network->genes.assign(nodes.begin(), nodes.end());
  network->adjacency.resize(network->genes.size());
  for (const auto& [a, b] : edges) {
    const int32_t ia = network->IndexOf(a);
    const int32_t ib = network->IndexOf(b);
    if (ia == ib) continue;
    network->adjacency[static_cast<size_t>(ia)].push_back(ib);
    network->adjacency[static_cast<size_t>(ib)].push_back(ia);
  }
  for (auto& list : network->adjacency) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return network;
}

std::vector<EntityMatch> RankMatches(std::vector<EntityMatch> matches, int limit) {
  std::map<std::string, EntityMatch> best;
  for (auto& m : matches) {
    auto [it, inserted] = best.try_emplace(m.id, m);
    if (!inserted && it->second.score < m.score) it->second = m;
  }
  std::vector<EntityMatch> out;
  for (auto& [id, m] : best) out.push_back(std::move(m));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  if (limit >= 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

const char* RelationName(int up, int down) {
  if (down == 0) return up == 1 ? "parent" : up == 2 ? "grandparent" : "ancestor";
  if (up == 0) return down == 1 ? "child" : down == 2 ? "grandchild" : "descendant";
  return up == 1 && down == 1 ? "sibling" : "relative";
}

void SortNeighbors(std::vector<OntologyNeighbor>& neighbors) {
  std::stable_sort(neighbors.begin(), neighbors.end(), [](const auto& a, const auto& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.term.id < b.term.id;
  });
}

absl::Status UnknownTermError(std::string_view id) {
  return MakeError(
      ErrorKind::kEntityResolution, absl::StatusCode::kNotFound,
      absl::StrCat("ontology term ", std::string(id), " is not in the knowledge base"));
}

namespace {

bool ContainsWords(const std::string& haystack, const std::string& needle) {
  return (" " + haystack + " ").find(" " + needle + " ") != std::string::npos;
}

}  // namespace

std::vector<EntityMatch> MatchLabels(EntityKind kind, std::string_view text,
                                     const std::vector<Label>& labels) {
  std::vector<EntityMatch> out;
  const std::string wanted = NormalizeEntityText(text);
  if (wanted.empty()) return out;
  const std::string positive =
      NormalizeEntityText(absl::StrReplaceAll(wanted, {{"+", " positive "}}));
  for (const Label& l : labels) {
    const std::string normalized = NormalizeEntityText(l.label);
    if (normalized.empty()) continue;
    if (normalized == wanted) {
      out.push_back({kind, l.id, l.name, l.label,
                     l.is_name ? MatchMethod::kExact : MatchMethod::kSynonym,
                     l.is_name ? 1.0 : 0.95});
    } else if (positive != wanted && normalized == positive) {
      out.push_back({kind, l.id, l.name, l.label, MatchMethod::kNormalized, 0.9});
    } else if (ContainsWords(normalized, wanted) || ContainsWords(wanted, normalized)) {
      const double a = static_cast<double>(wanted.size());
      const double b = static_cast<double>(normalized.size());
      out.push_back({kind, l.id, l.name, l.label, MatchMethod::kFuzzy,
                     0.5 * std::min(a, b) / std::max(a, b)});
    }
  }
  return out;
}

std::vector<EntityMatch> MatchGenes(std::string_view text, const std::vector<Gene>& genes) {
  std::vector<EntityMatch> out;
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  for (const Gene& g : genes) {
    if (g.symbol == text) {
      out.push_back({EntityKind::kGene, g.symbol, g.symbol, g.symbol, MatchMethod::kExact, 1.0});
    } else if (absl::AsciiStrToLower(g.symbol) == lower) {
      out.push_back(
          {EntityKind::kGene, g.symbol, g.symbol, g.symbol, MatchMethod::kNormalized, 0.98});
    }
    for (const std::string& alias : g.aliases) {
      if (absl::AsciiStrToLower(alias) == lower) {
        out.push_back({EntityKind::kGene, g.symbol, g.symbol, alias, MatchMethod::kSynonym, 0.9});
      }
    }
    if (!g.name.empty() && absl::AsciiStrToLower(g.name) == lower) {
      out.push_back({EntityKind::kGene, g.symbol, g.symbol, g.name, MatchMethod::kSynonym, 0.85});
    }
  }
  return out;
}

}  // namespace haystack::knowledge_internal
