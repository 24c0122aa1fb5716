// GO Annotation File parser and true-path propagation (ParseGaf, GeneSetsFromGaf).
#include <map>
#include <set>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/knowledge/formats.h"
#include "knowledge/internal/line_reader.h"

namespace haystack {
namespace {

bool IsGoId(std::string_view id) {
  if (id.size() != 10 || !id.starts_with("GO:")) return false;
  for (char c : id.substr(3)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

const char* CollectionOf(char aspect) {
  return aspect == 'P' ? "GO_BP" : aspect == 'F' ? "GO_MF" : "GO_CC";
}

}  // namespace

absl::StatusOr<std::vector<GafAnnotation>> ParseGaf(const std::string& path) {
  auto reader = knowledge_internal::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<GafAnnotation> out;
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty() || line.front() == '!') continue;
    const auto fields = knowledge_internal::SplitFields(line, '\t');
    if (fields.size() < 15) {
      return reader->Error(
          absl::StrCat("expected at least 15 tab-separated columns, found ", fields.size()));
    }
    if (absl::StrContains(fields[3], "NOT")) continue;
    GafAnnotation a;
    a.symbol = fields[2];
    a.go_id = fields[4];
    a.line = reader->line_number();
    if (a.symbol.empty()) return reader->Error("empty symbol (column 3)");
    if (!IsGoId(a.go_id)) {
      return reader->Error(absl::StrCat("malformed GO id \"", a.go_id, "\" (column 5)"));
    }
    if (fields[8].size() != 1 || std::string_view("PFC").find(fields[8][0]) == std::string::npos) {
      return reader->Error(
          absl::StrCat("aspect (column 9) must be P, F or C, not \"", fields[8], "\""));
    }
    a.aspect = fields[8][0];
    out.push_back(std::move(a));
  }
  if (!reader->status().ok()) return reader->status();
  return out;
}

absl::StatusOr<std::vector<GeneSet>> GeneSetsFromGaf(const OntologyData& go,
                                                     const std::vector<GafAnnotation>& annotations,
                                                     const std::string& gaf_path) {
  std::unordered_map<std::string, const OntologyTerm*> terms;
  for (const auto& term : go.terms) terms[term.id] = &term;
  std::unordered_map<std::string, std::vector<std::string>> parents;
  for (const auto& edge : go.edges) parents[edge.child].push_back(edge.parent);
  // Ancestor closure (the term itself included), memoised; the ontology is acyclic (ParseObo).
  std::unordered_map<std::string, std::set<std::string>> closure;
  auto ancestors = [&](const std::string& id, auto& self) -> const std::set<std::string>& {
    if (auto it = closure.find(id); it != closure.end()) return it->second;
    std::set<std::string> all = {id};
    for (const auto& parent : parents[id]) {
      const auto& up = self(parent, self);
      all.insert(up.begin(), up.end());
    }
    return closure[id] = std::move(all);
  };
  std::map<std::string, GeneSet> sets;
  for (const auto& a : annotations) {
    auto term = terms.find(a.go_id);
    if (term == terms.end()) {
      return knowledge_internal::LineError(
          gaf_path, a.line,
          absl::StrCat("annotation to \"", a.go_id, "\", which the OBO file does not define"));
    }
    if (term->second->obsolete) {
      return knowledge_internal::LineError(gaf_path, a.line,
                                           absl::StrCat("annotation to obsolete term ", a.go_id));
    }
    for (const auto& id : ancestors(a.go_id, ancestors)) {
      GeneSet& set = sets[id];
      if (set.id.empty()) {
        set.id = id;
        set.name = terms[id]->name;
        set.collection = CollectionOf(a.aspect);
      }
      set.genes.push_back(a.symbol);
    }
  }
  std::vector<GeneSet> out;
  for (auto& [id, set] : sets) {
    std::sort(set.genes.begin(), set.genes.end());
    set.genes.erase(std::unique(set.genes.begin(), set.genes.end()), set.genes.end());
    out.push_back(std::move(set));
  }
  return out;
}

}  // namespace haystack
