// A deterministic, realistic synthetic cell atlas for the demo, the tests and the benchmarks.
//
// SYNTHETIC DATA. Cells of the curated cell types (CL ids, markers) from several donors,
// tissues (blood for immune cells; lung or colon for fibroblasts and epithelial cells) and
// diseases (normal, Crohn disease), under control conditions (PBS, DMSO, untreated) and the
// curated perturbations, whose effects follow their curated expected up/down genes with
// cell-type-specific strength. Counts are negative binomial around per-cell library sizes;
// X is log1p(counts per 10k). docs/atlas.md gives the model; uns["haystack_synthetic"] holds
// the parameters and every drawn effect (ground truth for the inference benchmark).
#ifndef HAYSTACK_SYNTH_SYNTHETIC_ATLAS_H_
#define HAYSTACK_SYNTH_SYNTHETIC_ATLAS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/synth/curated_vocabulary.h"

namespace haystack::synth {

struct SyntheticAtlasOptions {
  int64_t cells = 10'000;
  // Genes: 0 = every available gene (curated genes + the built-in background list, ~900);
  // otherwise the curated genes plus the first background genes up to this many.
  int64_t genes = 0;
  int donors = 6;
  uint64_t seed = 42;
  double mean_library_size = 2500;  // mean total counts per cell
  bool counts_layer = true;         // layers["counts"]: the raw counts
  int threads = 2;                  // the result does not depend on it
  std::string dataset = "haystack_demo";
};

absl::StatusOr<AnnData> GenerateSyntheticAtlas(const CuratedVocabulary& vocabulary,
                                               const SyntheticAtlasOptions& options);

}  // namespace haystack::synth

#endif  // HAYSTACK_SYNTH_SYNTHETIC_ATLAS_H_
