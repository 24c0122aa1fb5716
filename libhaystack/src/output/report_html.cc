#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/json.h"
#include "haystack/http/encoding.h"
#include "haystack/output/run_report.h"
#include "internal/report_content.h"
#include "internal/svg_plots.h"

namespace haystack {
namespace {

using output_internal::FormatNumber;
using output_internal::ScoreText;

std::string H(std::string_view text) { return HtmlEscape(text); }

template <class Enum>
std::string Name(Enum value) {
  return std::string(EnumName(value));
}

constexpr char kStyle[] = R"(
:root { color-scheme: light; }
body { margin: 0; background: #f3f4f6; color: #111827; line-height: 1.5;
  font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; }
header { background: #1e3a8a; color: #fff; padding: 16px 24px; }
header .brand { font-weight: 700; letter-spacing: 0.05em; }
main { max-width: 960px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 28px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 32px 0 12px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
blockquote { margin: 0; padding: 12px 16px; background: #eef2ff; border-left: 4px solid #1e3a8a;
  white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d1d5db; padding: 6px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #f9fafb; }
.score { font-size: 40px; font-weight: 700; color: #065f46; }
.note { background: #fffbeb; border-left: 4px solid #92400e; padding: 8px 12px; }
.error { background: #fef2f2; border-left: 4px solid #991b1b; padding: 8px 12px; }
.plot { max-width: 640px; display: block; margin: 8px 0; font-size: 12px; }
.plot text { fill: #111827; }
.plot .grid { stroke: #e5e7eb; }
.plot .axis { stroke: #6b7280; }
.plot .threshold { stroke: #b45309; stroke-dasharray: 6 4; }
.plot .series { fill: none; stroke: #1e3a8a; stroke-width: 2; }
.plot .point { fill: #1e3a8a; }
.plot .up { fill: #b91c1c; }
.plot .down { fill: #1d4ed8; }
.plot .bar.up { fill: #b91c1c; }
.plot .bar.down { fill: #1d4ed8; }
code { overflow-wrap: anywhere; }
footer { max-width: 960px; margin: 0 auto; padding: 12px 24px; color: #4b5563; font-size: 13px; }
)";

// <head>, the header and the title line.
void AppendHead(std::string& h, const RunReportInput& input) {
  const Run& run = input.run;
  absl::StrAppend(
      &h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
      // Self-contained and inert: no scripts, no external loads, even if a string slipped by.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n",
      "<title>HAYSTACK run report ", H(run.run_id), "</title>\n<style>", kStyle,
      "</style>\n</head>\n<body>\n<a class=\"skip\" href=\"#content\">Skip to the report</a>\n",
      "<header><span class=\"brand\">HAYSTACK</span> run report</header>\n",
      "<main id=\"content\">\n<h1>HAYSTACK Run Report</h1>\n<p>Run <code>", H(run.run_id),
      "</code> · status <strong>", Name(run.status), "</strong> · generated ",
      FormatTimestamp(input.generated_at), "</p>\n");
}

// The question as asked, and as understood.
void AppendQuery(std::string& h, const RunReportInput& input) {
  const Run& run = input.run;
  absl::StrAppend(&h, "<h2>Query</h2>\n<blockquote dir=\"auto\">", H(run.raw_query),
                  "</blockquote>\n");
  if (run.structured_query) {
    const StructuredQuery& q = *run.structured_query;
    absl::StrAppend(&h, "<ul>\n<li>Cell type: ", H(q.cell_type_name.value_or(q.cell_type_query)));
    if (q.cell_type_cl_id) absl::StrAppend(&h, " (", H(*q.cell_type_cl_id), ")");
    absl::StrAppend(&h, "</li>\n");
    if (q.perturbation_query) {
      absl::StrAppend(&h, "<li>Perturbation: ",
                      H(q.perturbation_resolved.value_or(*q.perturbation_query)), "</li>\n");
    }
    if (!q.expected_targets.empty()) {
      absl::StrAppend(&h, "<li>Expected targets: ", H(absl::StrJoin(q.expected_targets, ", ")),
                      "</li>\n");
    }
    for (const std::string& note : q.notes) absl::StrAppend(&h, "<li>Note: ", H(note), "</li>\n");
    absl::StrAppend(&h, "</ul>\n");
  }
}

// The final score, why the run stopped, and the score plot.
void AppendSummary(std::string& h, const RunReportInput& input,
                   const output_internal::ReportContent& c) {
  const Run& run = input.run;
  absl::StrAppend(&h, "<h2>Results Summary</h2>\n<p><span class=\"score\">",
                  c.final_score || !c.best ? ScoreText(c.final_score, "n/a") : "unscored",
                  "</span> final grounding score");
  if (!c.final_score && c.best) {
    absl::StrAppend(&h, " (no grounding component could be scored)");
  }
  if (input.score_threshold) absl::StrAppend(&h, " (threshold ", *input.score_threshold, ")");
  absl::StrAppend(&h,
                  "</p>\n<ul>\n<li>Task type: ", c.task_type.empty() ? "unknown" : H(c.task_type),
                  "</li>\n<li>Iterations: ", run.iterations.size(), "</li>\n");
  if (c.best) absl::StrAppend(&h, "<li>Best iteration: ", c.best->iteration_number, "</li>\n");
  if (!c.termination.empty()) absl::StrAppend(&h, "<li>Stopped: ", H(c.termination), "</li>\n");
  absl::StrAppend(&h, "</ul>\n");
  if (run.iterations.size() > 0) {
    std::vector<std::pair<int, int>> series;
    for (const auto& it : run.iterations) {
      if (const std::optional<int> s = CompositeScore(it.grounding_score)) {
        series.emplace_back(it.iteration_number, *s);
      }
    }
    absl::StrAppend(&h, output_internal::ScorePlotSvg(series, input.score_threshold));
  }
}

// The control strategy requested and used.
void AppendControlStrategy(std::string& h, const output_internal::ReportContent& c) {
  absl::StrAppend(&h, "<h2>Control Strategy</h2>\n<ul>\n<li>Requested: <code>", c.control_requested,
                  "</code></li>\n");
  if (!c.control_effective.empty()) {
    absl::StrAppend(&h, "<li>Used: <code>", c.control_effective, "</code></li>\n");
  }
  absl::StrAppend(&h, "</ul>\n");
  if (c.control_fell_back) {
    absl::StrAppend(&h,
                    "<p class=\"note\"><strong>Fallback:</strong> no matched control cells were "
                    "found, so the query cells served as the control; scores carry the "
                    "query-as-control penalty.</p>\n");
  }
}

// The best iteration's score components.
void AppendScoreBreakdown(std::string& h, const output_internal::ReportContent& c) {
  absl::StrAppend(&h, "<h2>Score Breakdown (",
                  c.perturbational ? "perturbational" : "observational", ")</h2>\n");
  if (c.scores.empty()) {
    absl::StrAppend(&h, "<p>No iteration finished, so there is no score.</p>\n");
  } else {
    absl::StrAppend(&h,
                    "<table>\n<caption>Score components of the best iteration</caption>\n"
                    "<thead><tr><th scope=\"col\">Component</th><th scope=\"col\">Score</th>"
                    "<th scope=\"col\">Notes</th></tr></thead>\n<tbody>\n");
    for (const auto& row : c.scores) {
      absl::StrAppend(&h, "<tr><th scope=\"row\">", H(row.component), "</th><td>",
                      ScoreText(row.score, "n/a"), "</td><td>", H(row.note), "</td></tr>\n");
    }
    absl::StrAppend(&h, "</tbody>\n</table>\n");
  }
}

// Enriched pathways: bars and table.
void AppendPathways(std::string& h, const output_internal::ReportContent& c) {
  absl::StrAppend(&h, "<h2>Enriched Pathways</h2>\n");
  if (c.pathways.empty()) {
    absl::StrAppend(&h, "<p>None at the configured significance.</p>\n");
  } else {
    absl::StrAppend(&h, output_internal::PathwayBarsSvg(c.pathways));
    absl::StrAppend(&h,
                    "<table>\n<caption>Enriched pathways (over-representation, adjusted "
                    "p)</caption>\n<thead><tr><th scope=\"col\">Pathway</th><th "
                    "scope=\"col\">ID</th><th scope=\"col\">Collection</th><th "
                    "scope=\"col\">Direction</th><th scope=\"col\">Overlap</th><th "
                    "scope=\"col\">Adjusted p</th></tr></thead>\n<tbody>\n");
    for (const auto* p : c.pathways) {
      absl::StrAppend(&h, "<tr><td>", H(p->name), "</td><td>", H(p->set_id), "</td><td>",
                      H(p->collection), "</td><td>", H(p->direction), "</td><td>", p->overlap, "/",
                      p->set_size, "</td><td>", FormatNumber(p->adjusted_p_value), "</td></tr>\n");
    }
    absl::StrAppend(&h, "</tbody>\n</table>\n");
  }
}

// The DE design, its caveats, the volcano plot and the top genes.
void AppendDifferentialExpression(std::string& h, const output_internal::ReportContent& c) {
  absl::StrAppend(&h, "<h2>Top Differentially Expressed Genes</h2>\n");
  if (c.de) {
    absl::StrAppend(&h, "<p>Compared ", c.de->n_treatment_cells, " predicted cells with ",
                    c.de->n_control_cells, " control cells (", H(c.de->control_source), ", ",
                    Name(c.de->method), ", ", Name(c.de->correction), "); ", c.de->n_up, " up, ",
                    c.de->n_down, " down of ", c.de->n_genes_tested, " genes tested (",
                    c.de->n_genes_filtered, " detected in too few cells were not tested).</p>\n");
    if (!c.de->design.empty()) {
      absl::StrAppend(&h, "<p><strong>What a p-value's n is</strong>: ", H(c.de->design),
                      ".</p>\n");
    }
    if (!c.de->caveats.empty()) {
      absl::StrAppend(&h, "<ul>\n");
      for (const std::string& caveat : c.de->caveats) {
        absl::StrAppend(&h, "<li><em>Caveat</em>: ", H(caveat), "</li>\n");
      }
      absl::StrAppend(&h, "</ul>\n");
    }
    if (!c.up.empty() || !c.down.empty()) {
      absl::StrAppend(&h, output_internal::VolcanoPlotSvg(c.up, c.down, c.de->lfc_threshold,
                                                          c.de->pval_threshold));
    }
  }
  auto genes = [&h](std::string_view title, const std::vector<const DeGene*>& detailed,
                    const std::vector<std::string>& names) {
    if (!detailed.empty()) {
      absl::StrAppend(&h, "<table>\n<caption>", std::string(title),
                      "</caption>\n<thead><tr><th scope=\"col\">Gene</th><th "
                      "scope=\"col\">log2 fold change</th><th scope=\"col\">Adjusted "
                      "p</th></tr></thead>\n<tbody>\n");
      for (const auto* g : detailed) {
        absl::StrAppend(&h, "<tr><td>", H(g->gene), "</td><td>", FormatNumber(g->log2_fold_change),
                        "</td><td>", FormatNumber(g->adjusted_p_value), "</td></tr>\n");
      }
      absl::StrAppend(&h, "</tbody>\n</table>\n");
      return;
    }
    std::vector<std::string> escaped;
    for (const auto& n : names) escaped.push_back(H(n));
    absl::StrAppend(&h, "<p><strong>", std::string(title),
                    "</strong>: ", escaped.empty() ? "none" : absl::StrJoin(escaped, ", "),
                    "</p>\n");
  };
  genes("Upregulated", c.up, c.up_names);
  genes("Downregulated", c.down, c.down_names);
}

// Every iteration, and the last evaluation's suggestions.
void AppendIterations(std::string& h, const RunReportInput& input,
                      const output_internal::ReportContent& c) {
  const Run& run = input.run;
  absl::StrAppend(&h, "<h2>Iterations</h2>\n");
  if (run.iterations.empty()) {
    absl::StrAppend(&h, "<p>None finished.</p>\n");
  } else {
    absl::StrAppend(&h,
                    "<table>\n<caption>Every iteration of the run</caption>\n<thead><tr><th "
                    "scope=\"col\">#</th><th scope=\"col\">Prompt strategy</th><th "
                    "scope=\"col\">Score</th><th scope=\"col\">Control</th><th "
                    "scope=\"col\">Duration (s)</th></tr></thead>\n<tbody>\n");
    for (const auto& it : run.iterations) {
      absl::StrAppend(&h, "<tr><td>", it.iteration_number, "</td><td>",
                      Name(it.selected_prompt.strategy), "</td><td>",
                      ScoreText(CompositeScore(it.grounding_score), "unscored"), "</td><td>",
                      Name(it.control_strategy), "</td><td>", FormatNumber(it.duration_seconds),
                      "</td></tr>\n");
    }
    absl::StrAppend(&h, "</tbody>\n</table>\n");
  }
  if (!c.suggestions.empty()) {
    absl::StrAppend(&h, "<h3>Suggestions from the last evaluation</h3>\n<ul>\n");
    for (const auto& s : c.suggestions) absl::StrAppend(&h, "<li>", H(s), "</li>\n");
    absl::StrAppend(&h, "</ul>\n");
  }
}

// Components that could not be scored, with the reasons.
void AppendUnavailable(std::string& h, const RunReportInput& input) {
  absl::StrAppend(&h, "<h2>Components Unavailable</h2>\n");
  if (input.unavailable_components.empty()) {
    absl::StrAppend(&h, "<p>All evidence sources were available.</p>\n");
  } else {
    absl::StrAppend(&h, "<ul>\n");
    for (const auto& u : input.unavailable_components) absl::StrAppend(&h, "<li>", H(u), "</li>\n");
    absl::StrAppend(&h, "</ul>\n");
  }
}

// The run's error and its warnings.
void AppendErrors(std::string& h, const RunReportInput& input) {
  const Run& run = input.run;
  if (run.error || !input.warnings.empty()) {
    absl::StrAppend(&h, "<h2>Errors</h2>\n<ul>\n");
    auto error_item = [&h](const RunError& e) {
      absl::StrAppend(&h, "<li class=\"error\"><strong>", H(e.error_type), "</strong>");
      if (e.phase) absl::StrAppend(&h, " in ", Name(*e.phase));
      if (e.iteration) absl::StrAppend(&h, " (iteration ", *e.iteration, ")");
      absl::StrAppend(&h, ": ", H(e.message), "</li>\n");
    };
    if (run.error) error_item(*run.error);
    for (const auto& w : input.warnings) error_item(w);
    absl::StrAppend(&h, "</ul>\n");
  }
}

// Versions of what produced the result, and the footer.
void AppendProvenance(std::string& h, const RunReportInput& input) {
  absl::StrAppend(&h, "<h2>Provenance</h2>\n<dl>\n<dt>HAYSTACK</dt><dd>",
                  H(input.provenance.haystack_version), "</dd>\n<dt>Knowledge base</dt><dd>",
                  H(input.provenance.knowledge_base), "</dd>\n<dt>Atlas</dt><dd>",
                  H(input.provenance.atlas), "</dd>\n<dt>Model backend</dt><dd>",
                  H(input.provenance.model_backend), "</dd>\n</dl>\n</main>\n",
                  "<footer>HAYSTACK predicts single-cell perturbation responses and checks them "
                  "against prior biological knowledge.</footer>\n</body>\n</html>\n");
}

}  // namespace

std::string RenderReportHtml(const RunReportInput& input) {
  const output_internal::ReportContent c = output_internal::BuildReportContent(input);
  std::string h;
  AppendHead(h, input);
  AppendQuery(h, input);
  AppendSummary(h, input, c);
  AppendControlStrategy(h, c);
  AppendScoreBreakdown(h, c);
  if (c.perturbational) {
    AppendPathways(h, c);
    AppendDifferentialExpression(h, c);
  }
  AppendIterations(h, input, c);
  AppendUnavailable(h, input);
  AppendErrors(h, input);
  AppendProvenance(h, input);
  return h;
}

}  // namespace haystack
