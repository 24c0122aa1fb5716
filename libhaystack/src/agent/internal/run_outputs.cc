#include "internal/run_outputs.h"

#include "haystack/core/error.h"
#include "haystack/output/anndata_output.h"

namespace haystack::agent_internal {

absl::StatusOr<CellContext> ReadCellContext(const CellAtlas& atlas,
                                            const std::vector<int64_t>& cells) {
  CellContext context;
  for (auto [field, values] : {std::pair{AtlasField::kDonor, &context.donor_id},
                               std::pair{AtlasField::kTissue, &context.tissue},
                               std::pair{AtlasField::kDisease, &context.disease}}) {
    if (!atlas.HasField(field)) continue;
    values->reserve(cells.size());
    for (int64_t cell : cells) {
      HAYSTACK_ASSIGN_OR_RETURN(std::string value, atlas.ValueOf(field, cell));
      values->push_back(std::move(value));
    }
  }
  return context;
}

FinalOutputs PlannedOutputs(const RunArtifacts& artifacts) {
  return {.anndata_uri = artifacts.Uri("output.h5ad"),
          .report_uri = artifacts.Uri("report.md"),
          .report_html_uri = artifacts.Uri("report.html"),
          .log_uri = artifacts.Uri("log.json")};
}

absl::StatusOr<std::string> WriteOutputAnnData(RunArtifacts& artifacts, const Run& run,
                                               const AnnData& best_predictions,
                                               CellContext context) {
  if (!best_predictions.x) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                     "the best iteration's predictions hold no expression matrix");
  }
  PredictionOutput prediction;
  prediction.predictions = *best_predictions.x;
  prediction.cell_ids = best_predictions.obs.index;
  prediction.gene_symbols = best_predictions.var.index;
  prediction.donor_id = std::move(context.donor_id);
  prediction.tissue = std::move(context.tissue);
  prediction.disease = std::move(context.disease);
  HAYSTACK_ASSIGN_OR_RETURN(AnnData output, BuildOutputAnnData(run, prediction));
  return artifacts.PutAnnData("output.h5ad", output);
}

absl::StatusOr<FinalOutputs> WriteRunReports(RunArtifacts& artifacts, const RunReportInput& report,
                                             std::string anndata_uri) {
  FinalOutputs outputs;
  outputs.anndata_uri = std::move(anndata_uri);
  HAYSTACK_ASSIGN_OR_RETURN(
      outputs.report_uri,
      artifacts.PutText("report.md", RenderReportMarkdown(report), "text/markdown; charset=utf-8"));
  HAYSTACK_ASSIGN_OR_RETURN(
      outputs.report_html_uri,
      artifacts.PutText("report.html", RenderReportHtml(report), "text/html; charset=utf-8"));
  HAYSTACK_ASSIGN_OR_RETURN(
      outputs.log_uri, artifacts.PutText("log.json", RenderRunLog(report), "application/json"));
  return outputs;
}

}  // namespace haystack::agent_internal
