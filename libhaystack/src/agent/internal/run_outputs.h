// Output generation: output.h5ad from the best iteration's predictions, report.md,
// report.html and log.json (docs/output.md "Artifacts", "output.h5ad").
#ifndef HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_
#define HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/run.h"
#include "haystack/output/run_report.h"
#include "internal/run_artifacts.h"

namespace haystack::agent_internal {

struct FinalOutputs {
  std::string anndata_uri;
  std::string report_uri;
  std::string report_html_uri;
  std::string log_uri;
};

// Per predicted cell (the query cells, in order), the context output.h5ad keeps; each empty or
// one value per cell.
struct CellContext {
  std::vector<std::string> donor_id;
  std::vector<std::string> tissue;
  std::vector<std::string> disease;
};

// The context of `cells` as the atlas names it (through its column mapping); a field the atlas
// lacks stays empty.
absl::StatusOr<CellContext> ReadCellContext(const CellAtlas& atlas,
                                            const std::vector<int64_t>& cells);

// output.h5ad: the best iteration's predictions and their cells' context, described by the run
// as it will read once completed (`run` holds its final state and output URIs). Returns its URI.
absl::StatusOr<std::string> WriteOutputAnnData(RunArtifacts& artifacts, const Run& run,
                                               const AnnData& best_predictions,
                                               CellContext context);

// report.md, report.html and log.json, in this order, after output.h5ad (`anndata_uri`): the
// reports' phases end before they are rendered, so they are written last, in milliseconds.
absl::StatusOr<FinalOutputs> WriteRunReports(RunArtifacts& artifacts, const RunReportInput& report,
                                             std::string anndata_uri);

// The URIs WriteOutputAnnData and WriteRunReports will use, to put into the record before
// rendering.
FinalOutputs PlannedOutputs(const RunArtifacts& artifacts);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_
