// The curated demo vocabulary in data/curated/*.tsv (cell types with CL ids and markers,
// tissues, diseases, perturbations with expected responsive genes) as the synthetic demo atlas
// uses it. Read with the knowledge base's validating parsers (knowledge/formats.h), so the demo
// atlas and the knowledge base accept exactly the same files and use the same names.
#ifndef HAYSTACK_SYNTH_CURATED_VOCABULARY_H_
#define HAYSTACK_SYNTH_CURATED_VOCABULARY_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace haystack::synth {

struct CuratedTerm {
  std::string id;  // CL:..., UBERON:..., MONDO:... / PATO:...
  std::string name;
  std::vector<std::string> synonyms;
  std::vector<std::string> parents;
  std::vector<std::string> genes;  // markers (cell types) or signature genes (tissues, diseases)
};

struct CuratedPerturbation {
  std::string name;  // canonical, as in the atlas's perturbation column
  std::string type;  // cytokine | drug | genetic
  std::vector<std::string> synonyms;
  std::vector<std::string> targets;
  std::vector<std::string> expected_pathways;
  std::vector<std::string> expected_up;
  std::vector<std::string> expected_down;
  std::string description;
};

// How the synthetic demo atlas draws one cell type (demo_cell_types.tsv; SYNTHETIC).
struct DemoCellType {
  double weight = 0;        // share of cells, before normalisation over the generated types
  double library_size = 1;  // relative to the mean library size
  enum class Compartment { kBlood, kStromal, kEpithelial } compartment = Compartment::kBlood;
};

struct CuratedVocabulary {
  std::vector<CuratedTerm> cell_types;
  std::vector<CuratedTerm> tissues;
  std::vector<CuratedTerm> diseases;
  std::vector<CuratedPerturbation> perturbations;
  // The demo atlas's design: by CL id, and response strengths by (perturbation, CL id or "*").
  std::map<std::string, DemoCellType> demo_cell_types;
  std::map<std::pair<std::string, std::string>, double> demo_responses;

  const CuratedTerm* CellType(std::string_view id) const;
  // Cell types no other listed cell type names as a parent, that have markers.
  std::vector<const CuratedTerm*> LeafCellTypes() const;
};

// Reads cell_types.tsv, tissues.tsv, diseases.tsv and perturbations.tsv from `dir` with
// ParseOntologyTsv and ParsePerturbationTsv, and the demo design (demo_cell_types.tsv,
// demo_responses.tsv) with the same TsvTable. Errors (kConfiguration) name the file and line:
// missing columns, malformed or duplicate ids, undefined parents, cycles, unknown types.
absl::StatusOr<CuratedVocabulary> ReadCuratedVocabulary(const std::string& dir);

}  // namespace haystack::synth

#endif  // HAYSTACK_SYNTH_CURATED_VOCABULARY_H_
