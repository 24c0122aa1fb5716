// The curated TSV tables: perturbations and ontology subsets (ParsePerturbationTsv,
// ParseOntologyTsv). Format: data/curated/README.md.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/enums.h"
#include "haystack/knowledge/formats.h"
#include "haystack/knowledge/tsv_table.h"
#include "knowledge/internal/line_reader.h"
#include "knowledge/internal/ontology_checks.h"

namespace haystack {

absl::StatusOr<std::vector<PerturbationRow>> ParsePerturbationTsv(const std::string& path) {
  auto table = TsvTable::Read(path, {"name", "type", "synonyms", "targets", "expected_pathways",
                                     "expected_up", "expected_down", "description"});
  if (!table.ok()) return table.status();
  std::vector<PerturbationRow> out;
  std::map<std::string, int> seen;
  for (const auto& row : table->rows()) {
    PerturbationRow p;
    p.line = row.line;
    p.perturbation.name = table->Get(row, "name");
    if (p.perturbation.name.empty()) return table->Error(row, "empty name");
    if (auto [it, inserted] = seen.emplace(p.perturbation.name, row.line); !inserted) {
      return table->Error(row, absl::StrCat("duplicate perturbation \"", p.perturbation.name,
                                            "\" (first on line ", it->second, ")"));
    }
    auto type = ParseEnum<PerturbationType>(table->Get(row, "type"));
    if (!type.ok()) return table->Error(row, std::string(type.status().message()));
    p.perturbation.type = *type;
    p.perturbation.synonyms = knowledge_internal::SplitList(table->Get(row, "synonyms"));
    p.perturbation.targets = knowledge_internal::SplitList(table->Get(row, "targets"));
    p.perturbation.expected_pathways =
        knowledge_internal::SplitList(table->Get(row, "expected_pathways"));
    for (const auto& id : p.perturbation.expected_pathways) {
      if (!knowledge_internal::IsCurie(id)) {
        return table->Error(row, absl::StrCat("malformed pathway id \"", id, "\""));
      }
    }
    p.perturbation.expected_up = knowledge_internal::SplitList(table->Get(row, "expected_up"));
    p.perturbation.expected_down = knowledge_internal::SplitList(table->Get(row, "expected_down"));
    p.perturbation.description = table->Get(row, "description");
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<OntologyData> ParseOntologyTsv(const std::string& path) {
  auto table = TsvTable::Read(path, {"id", "name", "synonyms", "parents"});
  if (!table.ok()) return table.status();
  OntologyData data;
  std::map<std::string, int> lines;
  for (const auto& row : table->rows()) {
    OntologyTerm term;
    term.id = table->Get(row, "id");
    term.name = table->Get(row, "name");
    if (!knowledge_internal::IsCurie(term.id)) {
      return table->Error(row, absl::StrCat("malformed id \"", term.id, "\""));
    }
    if (term.name.empty()) return table->Error(row, "empty name");
    if (auto [it, inserted] = lines.emplace(term.id, row.line); !inserted) {
      return table->Error(
          row, absl::StrCat("duplicate term ", term.id, " (first on line ", it->second, ")"));
    }
    term.ontology = knowledge_internal::IdPrefix(term.id);
    term.synonyms = knowledge_internal::SplitList(table->Get(row, "synonyms"));
    for (const auto& parent : knowledge_internal::SplitList(table->Get(row, "parents"))) {
      data.edges.push_back({term.id, parent, "is_a"});
    }
    for (const char* column : {"markers", "signature"}) {
      if (!table->Has(column)) continue;
      if (auto genes = knowledge_internal::SplitList(table->Get(row, column)); !genes.empty()) {
        data.genes[term.id] = std::move(genes);
      }
    }
    data.terms.push_back(std::move(term));
  }
  for (const auto& edge : data.edges) {
    if (lines.count(edge.parent) == 0) {
      return knowledge_internal::LineError(
          path, lines[edge.child],
          absl::StrCat("parent \"", edge.parent, "\" of ", edge.child, " is not defined"));
    }
  }
  if (auto status = knowledge_internal::CheckAcyclic(data, lines, path); !status.ok()) {
    return status;
  }
  return data;
}

}  // namespace haystack
