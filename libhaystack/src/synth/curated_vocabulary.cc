#include "haystack/synth/curated_vocabulary.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/enums.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/formats.h"
#include "haystack/knowledge/tsv_table.h"

namespace haystack::synth {
namespace {

absl::StatusOr<std::vector<CuratedTerm>> ReadTerms(const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(OntologyData table, ParseOntologyTsv(path));
  std::vector<CuratedTerm> out;
  std::map<std::string, size_t> index;
  for (OntologyTerm& term : table.terms) {
    index.emplace(term.id, out.size());
    CuratedTerm t{
        .id = term.id, .name = std::move(term.name), .synonyms = std::move(term.synonyms)};
    if (auto genes = table.genes.find(t.id); genes != table.genes.end()) t.genes = genes->second;
    out.push_back(std::move(t));
  }
  // Edges are in row order, each row's parents in column order, as the file lists them.
  for (const TermEdge& edge : table.edges) out[index.at(edge.child)].parents.push_back(edge.parent);
  return out;
}

absl::StatusOr<std::vector<CuratedPerturbation>> ReadPerturbations(const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<PerturbationRow> rows, ParsePerturbationTsv(path));
  std::vector<CuratedPerturbation> out;
  out.reserve(rows.size());
  for (PerturbationRow& row : rows) {
    Perturbation& p = row.perturbation;
    out.push_back({.name = std::move(p.name),
                   .type = std::string(EnumName(p.type)),
                   .synonyms = std::move(p.synonyms),
                   .targets = std::move(p.targets),
                   .expected_pathways = std::move(p.expected_pathways),
                   .expected_up = std::move(p.expected_up),
                   .expected_down = std::move(p.expected_down),
                   .description = std::move(p.description)});
  }
  return out;
}

// A number in (0, max] from `column`, or an error naming the file and line.
absl::StatusOr<double> PositiveNumber(const TsvTable& table, const TsvTable::Row& row,
                                      const std::string& column, double max) {
  double value = 0;
  if (!absl::SimpleAtod(table.Get(row, column), &value) || !(value > 0 && value <= max)) {
    return table.Error(row, absl::StrCat(column, " \"", table.Get(row, column),
                                         "\" is not a number in (0, ", max, "]"));
  }
  return value;
}

absl::StatusOr<std::map<std::string, DemoCellType>> ReadDemoCellTypes(const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(TsvTable table,
                            TsvTable::Read(path, {"id", "weight", "library_size", "compartment"}));
  std::map<std::string, DemoCellType> out;
  for (const TsvTable::Row& row : table.rows()) {
    DemoCellType type;
    HAYSTACK_ASSIGN_OR_RETURN(type.weight, PositiveNumber(table, row, "weight", 1));
    HAYSTACK_ASSIGN_OR_RETURN(type.library_size, PositiveNumber(table, row, "library_size", 10));
    const std::string& compartment = table.Get(row, "compartment");
    if (compartment == "blood") {
      type.compartment = DemoCellType::Compartment::kBlood;
    } else if (compartment == "stromal") {
      type.compartment = DemoCellType::Compartment::kStromal;
    } else if (compartment == "epithelial") {
      type.compartment = DemoCellType::Compartment::kEpithelial;
    } else {
      return table.Error(row, absl::StrCat("compartment \"", compartment,
                                           "\" is not blood, stromal or epithelial"));
    }
    if (!out.emplace(table.Get(row, "id"), type).second) {
      return table.Error(row, absl::StrCat("duplicate cell type ", table.Get(row, "id")));
    }
  }
  return out;
}

absl::StatusOr<std::map<std::pair<std::string, std::string>, double>> ReadDemoResponses(
    const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(TsvTable table,
                            TsvTable::Read(path, {"perturbation", "cell_type", "strength"}));
  std::map<std::pair<std::string, std::string>, double> out;
  for (const TsvTable::Row& row : table.rows()) {
    HAYSTACK_ASSIGN_OR_RETURN(double strength, PositiveNumber(table, row, "strength", 2));
    std::pair<std::string, std::string> key{table.Get(row, "perturbation"),
                                            table.Get(row, "cell_type")};
    if (!out.emplace(key, strength).second) {
      return table.Error(row, absl::StrCat("duplicate row for ", key.first, " in ", key.second));
    }
  }
  return out;
}

}  // namespace

const CuratedTerm* CuratedVocabulary::CellType(std::string_view id) const {
  for (const auto& t : cell_types) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::vector<const CuratedTerm*> CuratedVocabulary::LeafCellTypes() const {
  std::set<std::string> parents;
  for (const auto& t : cell_types) parents.insert(t.parents.begin(), t.parents.end());
  std::vector<const CuratedTerm*> out;
  for (const auto& t : cell_types) {
    if (!parents.count(t.id) && !t.genes.empty()) out.push_back(&t);
  }
  return out;
}

absl::StatusOr<CuratedVocabulary> ReadCuratedVocabulary(const std::string& dir) {
  CuratedVocabulary v;
  HAYSTACK_ASSIGN_OR_RETURN(v.cell_types, ReadTerms(dir + "/cell_types.tsv"));
  HAYSTACK_ASSIGN_OR_RETURN(v.tissues, ReadTerms(dir + "/tissues.tsv"));
  HAYSTACK_ASSIGN_OR_RETURN(v.diseases, ReadTerms(dir + "/diseases.tsv"));
  HAYSTACK_ASSIGN_OR_RETURN(v.perturbations, ReadPerturbations(dir + "/perturbations.tsv"));
  HAYSTACK_ASSIGN_OR_RETURN(v.demo_cell_types, ReadDemoCellTypes(dir + "/demo_cell_types.tsv"));
  HAYSTACK_ASSIGN_OR_RETURN(v.demo_responses, ReadDemoResponses(dir + "/demo_responses.tsv"));
  return v;
}

}  // namespace haystack::synth
