// How perturbations are written, in atlases and in questions: doses ("IL-21 (50 ng/ml)"),
// combinations ("IFNG+TNF") and genetic perturbations ("sgIRF1", "JAK1_KD", "CRISPRi TYK2",
// "STAT2-/-", "IRF9 knockdown", "STAT1 KO").
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_PERTURBATION_NAMES_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_PERTURBATION_NAMES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haystack/agent/atlas_vocabulary.h"

namespace haystack::agent_internal {

struct GeneticName {
  std::string gene;  // as written ("IRF1")
  GeneticModality modality = GeneticModality::kKnockout;
};

// An HGNC-like symbol: starts with an upper-case letter; upper-case letters, digits, '-' and
// '.' only; 2-15 characters ("IRF1", "HLA-DRA", "C1orf112" is not recognised — its lower case
// letters — and is matched through the knowledge base instead).
bool LooksLikeGeneSymbol(std::string_view s);

// The gene and modality of a genetic perturbation value, or nullopt. Knockouts: "sgX",
// "X_KO", "X KO", "X knockout", "X-/-", "X deletion", "X-null", "X-deficient", "CRISPRko X";
// knockdowns: "X_KD", "X knockdown", "CRISPRi X", "siX", "shX". With `whole_value_is_gene` (a
// perturbation column named gene, target_gene or guide_target) a bare symbol is a knockout.
std::optional<GeneticName> ParseGenetic(std::string_view value, bool whole_value_is_gene);

// The parts of a combination, split on '+', '&' or ';' when every part has a letter
// ("IFNG+TNF" → IFNG, TNF; "CD4+" stays whole); else the value alone.
std::vector<std::string> SplitCombination(std::string_view value);

// The value without doses and durations: "IL-21 (50 ng/ml)" → "IL-21", "LPS 100ng/mL" → "LPS",
// "IFNG_10ng_24h" → "IFNG". The value itself when nothing else would remain.
std::string StripDose(std::string_view value);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_PERTURBATION_NAMES_H_
