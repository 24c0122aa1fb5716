// "What the atlas has instead", nearest first, for refusals.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_

#include <optional>
#include <string>
#include <string_view>
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

// Similarity in [0, 1] of two phrases: shared words, then characters.
double PhraseSimilarity(std::string_view a, std::string_view b);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_NEAREST_H_
