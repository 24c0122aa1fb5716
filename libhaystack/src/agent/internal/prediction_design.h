// The independent units behind a perturbational prediction, read from the atlas
// (docs/scoring.md §1.2): the donors (or samples) of the query cells, and the real cells the
// prompt holds with the real controls that match them.
#ifndef HAYSTACK_AGENT_INTERNAL_PREDICTION_DESIGN_H_
#define HAYSTACK_AGENT_INTERNAL_PREDICTION_DESIGN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/enums.h"
#include "haystack/core/prompt.h"
#include "haystack/scoring/differential_expression.h"

namespace haystack::agent_internal {

struct DesignInputs {
  const CellAtlas& atlas;
  const std::vector<std::string>& genes;           // the predictions' columns
  const std::vector<int64_t>& query_cell_indices;  // atlas rows of the predictions' rows
  const ExpressionMatrix& query_cells;             // their expression, over `genes`
  const PromptCandidate& prompt;
  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;
  int min_cells = 10;  // de_config.min_cells_per_group
};

// Owns the evidence matrices the design points to: keep it where it is while the design is used.
class PredictionDesignData {
 public:
  static absl::StatusOr<std::unique_ptr<PredictionDesignData>> Build(const DesignInputs& in);
  const scoring::PredictionDesign& design() const { return design_; }

 private:
  // `donors`: the donor of each query cell, in the predictions' row order.
  absl::Status ReadUnits(const DesignInputs& in, const std::vector<std::string>& donors);
  // The evidence's controls, given the evidence's treated cells.
  absl::Status ReadMatchedControls(const DesignInputs& in);
  absl::Status ReadQueryControls(const DesignInputs& in, const std::vector<std::string>& donors);

  scoring::PredictionDesign design_;
  std::optional<ExpressionMatrix> evidence_treated_;
  std::optional<ExpressionMatrix> evidence_control_;
};

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_PREDICTION_DESIGN_H_
