#include "internal/nearest.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "internal/query_text.h"

namespace haystack::agent_internal {
namespace {

template <class T>
std::vector<T> TopByScore(std::vector<std::pair<double, T>> scored, size_t limit) {
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<T> out;
  for (auto& [score, item] : scored) {
    if (out.size() == limit) break;
    out.push_back(std::move(item));
  }
  return out;
}

// "A, B, C and 5 more": the first values and how many were left out of `total`.
std::string ListWithMore(const std::vector<std::string>& shown, size_t total) {
  if (shown.empty()) return "none";
  const size_t more = total - shown.size();
  return absl::StrCat(absl::StrJoin(shown, ", "),
                      more > 0 ? absl::StrCat(" and ", more, " more") : std::string());
}

std::optional<long> TrailingNumber(std::string_view s) {
  size_t b = s.size();
  while (b > 0 && std::isdigit(static_cast<unsigned char>(s[b - 1]))) --b;
  if (b == s.size() || s.size() - b > 9) return std::nullopt;
  return std::strtol(std::string(s.substr(b)).c_str(), nullptr, 10);
}

}  // namespace

double PhraseSimilarity(std::string_view a, std::string_view b) {
  const std::string na = NormalizeEntityText(a);
  const std::string nb = NormalizeEntityText(b);
  if (na.empty() || nb.empty()) return 0;
  std::set<std::string> wa = absl::StrSplit(na, ' ', absl::SkipEmpty());
  std::set<std::string> wb = absl::StrSplit(nb, ' ', absl::SkipEmpty());
  size_t shared = 0;
  for (const std::string& w : wa) shared += wb.count(w);
  const double words =
      static_cast<double>(shared) / static_cast<double>(wa.size() + wb.size() - shared);
  const int longest = static_cast<int>(std::max(na.size(), nb.size()));
  const int d = BoundedEditDistance(na, nb, longest);
  const double chars = 1.0 - static_cast<double>(d) / static_cast<double>(longest);
  return 0.6 * words + 0.4 * chars;
}

std::string NearestCellTypes(const AtlasVocabulary& vocabulary, const KnowledgeBase& knowledge,
                             std::string_view text, std::optional<std::string> term_id,
                             size_t limit) {
  std::vector<std::pair<double, std::string>> scored;
  std::map<std::string, int> ontology;
  if (term_id) {
    auto neighbours = knowledge.Neighbors(*term_id, 3);
    if (neighbours.ok()) {
      for (const OntologyNeighbor& n : *neighbours) ontology[n.term.id] = n.distance;
    }
  }
  for (const AtlasCellType& t : vocabulary.cell_types()) {
    double score = PhraseSimilarity(text, t.label);
    if (auto it = ontology.find(t.id); it != ontology.end()) score += 10.0 - it->second;
    scored.emplace_back(score, absl::StrCat(t.label, " (", t.id, ")"));
  }
  return ListWithMore(TopByScore(std::move(scored), limit), vocabulary.cell_types().size());
}

std::string NearestPerturbations(const AtlasVocabulary& vocabulary, std::string_view text,
                                 const std::vector<std::string>& parts,
                                 const std::optional<Perturbation>& known, size_t limit) {
  std::vector<std::pair<double, std::string>> scored;
  size_t total = 0;
  for (const AtlasPerturbation& p : vocabulary.perturbations()) {
    if (p.control) continue;
    ++total;
    double score = PhraseSimilarity(text, p.value);
    for (const std::string& part : p.parts) {
      for (const std::string& wanted : parts) {
        if (NormalizeEntityText(part) == NormalizeEntityText(wanted)) score += 10;
      }
    }
    // Kinship with the knowledge base's entry: the best of the parts, so that a combination
    // does not outrank the single perturbation it contains.
    double kin = 0;
    for (size_t i = 0; known && i < p.knowledge.size(); ++i) {
      if (!p.knowledge[i]) continue;
      double part = p.knowledge[i]->type == known->type ? 1 : 0;
      for (const std::string& t : p.knowledge[i]->targets) {
        if (std::find(known->targets.begin(), known->targets.end(), t) != known->targets.end()) {
          part += 2;
          break;
        }
      }
      kin = std::max(kin, part);
    }
    score += kin - 0.1 * static_cast<double>(p.parts.size() - 1);
    scored.emplace_back(score, p.value);
  }
  return ListWithMore(TopByScore(std::move(scored), limit), total);
}

std::string NearestValues(const std::vector<AtlasTerm>& terms, std::string_view text,
                          size_t limit) {
  std::vector<std::pair<double, std::string>> scored;
  const std::optional<long> wanted = TrailingNumber(text);
  for (const AtlasTerm& t : terms) {
    const std::optional<long> have = TrailingNumber(t.id);
    double score = PhraseSimilarity(text, t.id);
    if (wanted && have) score = 100.0 - static_cast<double>(std::labs(*wanted - *have));
    scored.emplace_back(score, t.id);
  }
  return ListWithMore(TopByScore(std::move(scored), limit), terms.size());
}

std::optional<NameTypo> ClosestName(
    const std::unordered_map<std::string, std::vector<size_t>>& names,
    const std::string& normalized, int max_edits, int chars_per_edit) {
  std::optional<NameTypo> best;
  for (const auto& [name, entries] : names) {
    const int budget = std::min(max_edits, static_cast<int>(name.size()) / chars_per_edit);
    if (budget < 1 || entries.size() != 1) continue;
    const int d = BoundedEditDistance(normalized, name, budget);
    if (d > budget) continue;
    if (!best || d < best->distance || (d == best->distance && name < best->name)) {
      best = NameTypo{entries[0], name, d};
    }
  }
  return best;
}

std::string ExtensionHint(std::string_view what) {
  return absl::StrCat(
      "if the atlas holds ", std::string(what),
      " under another column, map it in the column mapping file (HAYSTACK_ATLAS_COLUMN_MAPPING); "
      "to teach HAYSTACK another name for it, add a synonym to the knowledge base (haystack-kb "
      "import-obo / import-perturbations; README \"Bring your own atlas\")");
}

}  // namespace haystack::agent_internal
