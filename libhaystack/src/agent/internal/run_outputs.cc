#include "internal/run_outputs.h"

#include "haystack/core/error.h"
#include "haystack/output/anndata_output.h"

namespace haystack::agent_internal {
namespace {

// The predictions carry the query cells' obs (the atlas's columns); these are the context
// columns output.h5ad keeps per cell.
std::vector<std::string> ObsStrings(const DataFrame& obs, std::string_view column) {
  const DataFrameColumn* found = obs.Find(column);
  if (found == nullptr) return {};
  std::vector<std::string> out;
  if (const auto* categorical = std::get_if<Categorical>(&found->values)) {
    out.reserve(categorical->codes.size());
    for (size_t i = 0; i < categorical->codes.size(); ++i) {
      out.emplace_back(categorical->ValueAt(i).value_or(""));
    }
  } else if (const auto* strings = std::get_if<std::vector<std::string>>(&found->values)) {
    out = *strings;
  }
  return out;
}

}  // namespace

FinalOutputs PlannedOutputs(const RunArtifacts& artifacts) {
  return {.anndata_uri = artifacts.Uri("output.h5ad"),
          .report_uri = artifacts.Uri("report.md"),
          .report_html_uri = artifacts.Uri("report.html"),
          .log_uri = artifacts.Uri("log.json")};
}

absl::StatusOr<FinalOutputs> WriteRunOutputs(RunArtifacts& artifacts, const RunReportInput& report,
                                             const AnnData& best_predictions) {
  if (!best_predictions.x) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                     "the best iteration's predictions hold no expression matrix");
  }
  PredictionOutput prediction;
  prediction.predictions = *best_predictions.x;
  prediction.cell_ids = best_predictions.obs.index;
  prediction.gene_symbols = best_predictions.var.index;
  prediction.donor_id = ObsStrings(best_predictions.obs, "donor_id");
  prediction.tissue = ObsStrings(best_predictions.obs, "tissue_ontology_term_id");
  prediction.disease = ObsStrings(best_predictions.obs, "disease_ontology_term_id");
  HAYSTACK_ASSIGN_OR_RETURN(AnnData output, BuildOutputAnnData(report.run, prediction));

  FinalOutputs outputs;
  HAYSTACK_ASSIGN_OR_RETURN(outputs.anndata_uri, artifacts.PutAnnData("output.h5ad", output));
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
