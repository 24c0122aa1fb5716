// Output generation: output.h5ad from the best iteration's predictions, report.md,
// report.html and log.json (DESIGN.md §3 "Artifacts", "The AnnData output"; docs/output.md).
#ifndef HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_
#define HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
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

// The run as it will read once completed (`report.run` holds its final state and output
// URIs), and the best iteration's predictions. Files are written in this order: output.h5ad,
// report.md, report.html, log.json.
absl::StatusOr<FinalOutputs> WriteRunOutputs(RunArtifacts& artifacts, const RunReportInput& report,
                                             const AnnData& best_predictions);

// The URIs WriteRunOutputs will use, to put into the record before rendering.
FinalOutputs PlannedOutputs(const RunArtifacts& artifacts);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_RUN_OUTPUTS_H_
