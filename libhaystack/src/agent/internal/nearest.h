// "What the atlas has instead", nearest first, for refusals.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::agent_internal {

// Up to `limit` "label (id)" of the atlas's cell types: ontology neighbours of `term_id` in
// the knowledge base first (by distance), then by similarity of their labels to `text`.
std::string NearestCellTypes(const AtlasVocabulary& vocabulary, const KnowledgeBase& knowledge,
                             std::string_view text, std::optional<std::string> term_id,
                             size_t limit = 8);

// Up to `limit` of the atlas's (non-control) perturbation values: those sharing a part with
// `parts` first, then those of the same type or sharing a target with `known`, then by
// similarity of their names to `text`.
std::string NearestPerturbations(const AtlasVocabulary& vocabulary, std::string_view text,
                                 const std::vector<std::string>& parts,
                                 const std::optional<Perturbation>& known, size_t limit = 8);

// Values nearest to `text` first (numbers by |difference| when both are numeric-looking).
std::string NearestValues(const std::vector<AtlasTerm>& terms, std::string_view text,
                          size_t limit = 10);

// How to make the atlas's own vocabulary or the knowledge base name the thing.
std::string ExtensionHint(std::string_view what);

// A name written with a typo: the entry of `names` (normalised name → entries) whose name is
// nearest to `normalized`, within min(max_edits, the name's length / chars_per_edit) edits (so
// short names get no edits: "IL4" never becomes "IL6"). Names shared by several entries are
// skipped; ties go to the alphabetically first name.
struct NameTypo {
  size_t entry = 0;
  std::string name;
  int distance = 0;
};
std::optional<NameTypo> ClosestName(
    const std::unordered_map<std::string, std::vector<size_t>>& names,
    const std::string& normalized, int max_edits, int chars_per_edit);

// Similarity in [0, 1] of two phrases: shared words, then characters.
double PhraseSimilarity(std::string_view a, std::string_view b);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_
