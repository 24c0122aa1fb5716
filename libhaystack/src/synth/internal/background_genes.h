// Real human gene symbols (HGNC, 2022) that fill the synthetic atlas's gene space beyond the
// curated markers and responsive genes: ribosomal and mitochondrial genes, housekeeping,
// immune, stromal, epithelial, cell-cycle and signalling genes.
#ifndef HAYSTACK_SRC_SYNTH_INTERNAL_BACKGROUND_GENES_H_
#define HAYSTACK_SRC_SYNTH_INTERNAL_BACKGROUND_GENES_H_

#include <string_view>
#include <vector>

namespace haystack::synth_internal {

enum class GeneClass { kRibosomal, kMitochondrial, kHousekeeping, kOther };

struct BackgroundGene {
  std::string_view symbol;
  GeneClass cls;
};

// In a fixed order; symbols are unique.
const std::vector<BackgroundGene>& BackgroundGenes();

}  // namespace haystack::synth_internal

#endif  // HAYSTACK_SRC_SYNTH_INTERNAL_BACKGROUND_GENES_H_
