// Structural checks shared by the ontology parsers (OBO and curated TSV).
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_ONTOLOGY_CHECKS_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_ONTOLOGY_CHECKS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "haystack/knowledge/formats.h"

namespace haystack::knowledge_internal {

// Fails with "<path>:<line>: is_a/part_of cycle: A → B → A" when the edges have a cycle;
// `term_lines` gives the line where each term is defined.
absl::Status CheckAcyclic(const OntologyData& ontology,
                          const std::map<std::string, int>& term_lines, const std::string& path);

// The prefix of a CURIE: "CL:0000576" → "CL".
std::string IdPrefix(const std::string& id);

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_ONTOLOGY_CHECKS_H_
