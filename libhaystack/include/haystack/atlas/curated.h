// The curated demo vocabulary in data/curated/*.tsv (cell types with CL ids and markers,
// tissues, diseases, perturbations with expected responsive genes), shared by the synthetic
// atlas and the knowledge base so that both use the same names.
#ifndef HAYSTACK_ATLAS_CURATED_H_
#define HAYSTACK_ATLAS_CURATED_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace haystack {

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

struct CuratedVocabulary {
  std::vector<CuratedTerm> cell_types;
  std::vector<CuratedTerm> tissues;
  std::vector<CuratedTerm> diseases;
  std::vector<CuratedPerturbation> perturbations;

  const CuratedTerm* CellType(std::string_view id) const;
  // Cell types no other listed cell type names as a parent, that have markers.
  std::vector<const CuratedTerm*> LeafCellTypes() const;
};

// Reads cell_types.tsv, tissues.tsv, diseases.tsv and perturbations.tsv from `dir`. Errors
// (kConfiguration) name the file and line.
absl::StatusOr<CuratedVocabulary> ReadCuratedVocabulary(const std::string& dir);

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_CURATED_H_
