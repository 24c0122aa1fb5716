#include "haystack/synth/curated_vocabulary.h"

#include <map>
#include <set>

#include "haystack/core/enums.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/formats.h"

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
  return v;
}

}  // namespace haystack::synth
