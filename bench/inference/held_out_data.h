// A small, seeded synthetic perturbation dataset for the held-out evaluation of the CPU
// baseline: several cell types, control and perturbed cells of each, negative-binomial counts
// with library-size variation, log1p(counts / total · 10^4). The perturbation's effect is a
// shared response program whose strength differs per cell type, plus cell-type-specific genes,
// so that other cell types' response predicts the held-out one only in part.
#ifndef HAYSTACK_BENCH_INFERENCE_HELD_OUT_DATA_H_
#define HAYSTACK_BENCH_INFERENCE_HELD_OUT_DATA_H_

#include <cstdint>
#include <vector>

#include "haystack/core/matrix.h"

namespace haystack::bench {

struct HeldOutOptions {
  int genes = 2000;
  int cell_types = 4;
  int cells_per_group = 500;        // per cell type and condition
  double program_fraction = 0.05;   // genes in the shared response program
  double specific_fraction = 0.02;  // cell-type-specific responders per type
  uint64_t seed = 1;
};

struct HeldOutDataset {
  // [cell type] → cells × genes (log1p-normalised).
  std::vector<DenseMatrix> control;
  std::vector<DenseMatrix> perturbed;
};

HeldOutDataset MakeHeldOutDataset(const HeldOutOptions& options);

// Rows of all matrices except `skip`, stacked.
DenseMatrix StackExcept(const std::vector<DenseMatrix>& parts, int skip);

}  // namespace haystack::bench

#endif  // HAYSTACK_BENCH_INFERENCE_HELD_OUT_DATA_H_
