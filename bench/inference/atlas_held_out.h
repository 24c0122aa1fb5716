// Held-out evaluation of the CPU baseline on the demo atlas (haystack-atlas synth's generator,
// GenerateSyntheticAtlas): for a perturbation and a cell type, the perturbed cells of that type
// are held out; prompt = the perturbation's cells of the other types, reference = the control
// cells of those types, query = the held-out type's control cells, truth = the held-out
// perturbed cells.
#ifndef HAYSTACK_BENCH_INFERENCE_ATLAS_HELD_OUT_H_
#define HAYSTACK_BENCH_INFERENCE_ATLAS_HELD_OUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"

namespace haystack::bench {

struct HeldOutCase {
  std::string perturbation;
  std::string cell_type;
  int64_t prompt_cells = 0, reference_cells = 0, query_cells = 0, truth_cells = 0;
  double r_baseline = 0;     // Pearson r, predicted vs observed pseudobulk shift
  double rmse_baseline = 0;  // RMSE of the shift
  double rmse_no_change = 0;
};

// Every (perturbation, cell type) with at least `min_cells` cells in each of the four groups.
absl::StatusOr<std::vector<HeldOutCase>> EvaluateHeldOut(const AnnData& atlas, int64_t min_cells,
                                                         int threads);

}  // namespace haystack::bench

#endif  // HAYSTACK_BENCH_INFERENCE_ATLAS_HELD_OUT_H_
