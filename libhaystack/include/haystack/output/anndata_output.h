// output.h5ad: the final predictions as AnnData (docs/output.md "output.h5ad").
#ifndef HAYSTACK_OUTPUT_ANNDATA_OUTPUT_H_
#define HAYSTACK_OUTPUT_ANNDATA_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/core/matrix.h"
#include "haystack/core/run.h"
#include "haystack/output/artifact_store.h"

namespace haystack {

// The predicted expression of the best iteration and what describes its cells and genes.
struct PredictionOutput {
  ExpressionMatrix predictions;  // cells × genes, float32 (dense or CSR)
  std::vector<std::string> cell_ids;
  std::vector<std::string> gene_symbols;
  // Per-cell context, each empty or one value per cell.
  std::vector<std::string> donor_id;
  std::vector<std::string> tissue;
  std::vector<std::string> disease;
};

// Builds the object:
//   X   the predictions;
//   obs cell_id (also the index); categoricals task_type, cell_type_query, perturbation_query,
//       prompt_strategy and, when given, donor_id, tissue, disease; int iteration and
//       grounding_score (the best iteration's);
//   var gene_symbol (also the index), predicted_lfc and predicted_pval (NaN for genes outside
//       the DE summary's top lists), bool is_de, bool target_gene (an expected target);
//   uns["haystack"] run_id, query, task_type, config (the stored JSON text), control_strategy,
//       control_strategy_effective, final_score, termination_reason, best_iteration,
//       iterations (a list of per-iteration records) and enrichment (a dataframe).
// Fails (kStorage, kInvalidArgument) when the shapes disagree.
absl::StatusOr<AnnData> BuildOutputAnnData(const Run& run, const PredictionOutput& prediction);

// Writes `data` as runs/<run_id>/output.h5ad in `store` (encoded through a temporary local
// file, then stored create-only like every artifact).
absl::StatusOr<ArtifactInfo> StoreOutputAnnData(const AnnData& data, std::string_view run_id,
                                                ArtifactStore& store);

}  // namespace haystack

#endif  // HAYSTACK_OUTPUT_ANNDATA_OUTPUT_H_
