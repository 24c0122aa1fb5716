#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/json.h"
#include "haystack/output/run_report.h"
#include "internal/report_content.h"

namespace haystack {
namespace {

using output_internal::FormatNumber;
using output_internal::ScoreText;

std::string E(std::string_view text) { return MarkdownEscape(text); }

template <class Enum>
std::string Name(Enum value) {
  return std::string(EnumName(value));
}

// The query keeps its line breaks: one quoted line per input line.
std::string QuoteBlock(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    absl::StrAppend(&out, "> ", E(text.substr(start, end - start)), "\n");
    if (end == text.size()) break;
    start = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  return out;
}

}  // namespace

std::string RenderReportMarkdown(const RunReportInput& input) {
  const Run& run = input.run;
  const output_internal::ReportContent c = output_internal::BuildReportContent(input);
  std::string md = "# HAYSTACK Run Report\n\n";
  absl::StrAppend(&md, "Run `", E(run.run_id), "` · status **", Name(run.status), "**",
                  " · generated ", FormatTimestamp(input.generated_at), "\n\n");

  absl::StrAppend(&md, "## Query\n\n", QuoteBlock(run.raw_query), "\n");
  if (run.structured_query) {
    const StructuredQuery& q = *run.structured_query;
    absl::StrAppend(&md, "- **Cell type**: ", E(q.cell_type_name.value_or(q.cell_type_query)));
    if (q.cell_type_cl_id) absl::StrAppend(&md, " (", E(*q.cell_type_cl_id), ")");
    absl::StrAppend(&md, "\n");
    if (q.perturbation_query) {
      absl::StrAppend(&md, "- **Perturbation**: ",
                      E(q.perturbation_resolved.value_or(*q.perturbation_query)), "\n");
    }
    if (!q.expected_targets.empty()) {
      absl::StrAppend(&md, "- **Expected targets**: ", E(absl::StrJoin(q.expected_targets, ", ")),
                      "\n");
    }
    // How the question was read: cell types selected, time points pooled, unknown entities.
    for (const std::string& note : q.notes) absl::StrAppend(&md, "- **Note**: ", E(note), "\n");
    absl::StrAppend(&md, "\n");
  }

  absl::StrAppend(&md, "## Results Summary\n\n");
  absl::StrAppend(&md, "- **Task Type**: ", c.task_type.empty() ? "unknown" : E(c.task_type), "\n");
  absl::StrAppend(&md, "- **Final Score**: ",
                  c.final_score || !c.best ? ScoreText(c.final_score, "n/a")
                                           : "unscored (no grounding component could be scored)");
  if (input.score_threshold) absl::StrAppend(&md, " (threshold ", *input.score_threshold, ")");
  absl::StrAppend(&md, "\n- **Iterations**: ", run.iterations.size(), "\n");
  if (c.best) absl::StrAppend(&md, "- **Best iteration**: ", c.best->iteration_number, "\n");
  if (!c.termination.empty()) absl::StrAppend(&md, "- **Stopped**: ", E(c.termination), "\n");
  absl::StrAppend(&md, "\n## Control Strategy\n\n- Requested: `", c.control_requested, "`\n");
  if (!c.control_effective.empty()) {
    absl::StrAppend(&md, "- Used: `", c.control_effective, "`\n");
  }
  if (c.control_fell_back) {
    absl::StrAppend(&md,
                    "- **Fallback**: no matched control cells were found, so the query cells "
                    "served as the control; scores carry the query-as-control penalty.\n");
  }

  absl::StrAppend(&md, "\n## Score Breakdown (",
                  c.perturbational ? "perturbational" : "observational", ")\n\n");
  if (c.scores.empty()) {
    absl::StrAppend(&md, "No iteration finished, so there is no score.\n");
  } else {
    absl::StrAppend(&md, "| Component | Score | Notes |\n|---|---|---|\n");
    for (const auto& row : c.scores) {
      absl::StrAppend(&md, "| ", E(row.component), " | ", ScoreText(row.score, "n/a"), " | ",
                      E(row.note), " |\n");
    }
  }

  if (c.perturbational) {
    absl::StrAppend(&md, "\n## Enriched Pathways\n\n");
    if (c.pathways.empty()) {
      absl::StrAppend(&md, "None at the configured significance.\n");
    } else {
      absl::StrAppend(&md, "| Pathway | ID | Collection | Direction | Overlap | Adjusted p |\n",
                      "|---|---|---|---|---|---|\n");
      for (const auto* p : c.pathways) {
        absl::StrAppend(&md, "| ", E(p->name), " | ", E(p->set_id), " | ", E(p->collection), " | ",
                        E(p->direction), " | ", p->overlap, "/", p->set_size, " | ",
                        FormatNumber(p->adjusted_p_value), " |\n");
      }
    }
    absl::StrAppend(&md, "\n## Top Differentially Expressed Genes\n\n");
    if (c.de) {
      absl::StrAppend(&md, "Compared ", c.de->n_treatment_cells, " predicted cells with ",
                      c.de->n_control_cells, " control cells (", E(c.de->control_source), ", ",
                      Name(c.de->method), ", ", Name(c.de->correction), "); ", c.de->n_up, " up, ",
                      c.de->n_down, " down of ", c.de->n_genes_tested, " genes tested (",
                      c.de->n_genes_filtered, " detected in too few cells were not tested).\n\n");
      if (!c.de->design.empty()) {
        absl::StrAppend(&md, "**What a p-value's n is**: ", E(c.de->design), ".\n\n");
      }
      for (const std::string& caveat : c.de->caveats) {
        absl::StrAppend(&md, "- *Caveat*: ", E(caveat), "\n");
      }
      if (!c.de->caveats.empty()) absl::StrAppend(&md, "\n");
    }
    auto genes = [&md](std::string_view title, const std::vector<const DeGene*>& detailed,
                       const std::vector<std::string>& names) {
      absl::StrAppend(&md, "**", std::string(title), "**: ");
      std::vector<std::string> parts;
      if (!detailed.empty()) {
        for (const auto* g : detailed) {
          parts.push_back(absl::StrCat(E(g->gene), " (log2FC ", FormatNumber(g->log2_fold_change),
                                       ", adj. p ", FormatNumber(g->adjusted_p_value), ")"));
        }
      } else {
        for (const auto& n : names) parts.push_back(E(n));
      }
      absl::StrAppend(&md, parts.empty() ? "none" : absl::StrJoin(parts, ", "), "\n\n");
    };
    genes("Upregulated", c.up, c.up_names);
    genes("Downregulated", c.down, c.down_names);
  }

  absl::StrAppend(&md, "\n## Iterations\n\n");
  if (run.iterations.empty()) {
    absl::StrAppend(&md, "None finished.\n");
  } else {
    absl::StrAppend(&md, "| # | Prompt strategy | Score | Control | Duration (s) |\n",
                    "|---|---|---|---|---|\n");
    for (const auto& it : run.iterations) {
      absl::StrAppend(&md, "| ", it.iteration_number, " | ", Name(it.selected_prompt.strategy),
                      " | ", ScoreText(CompositeScore(it.grounding_score), "unscored"), " | ",
                      Name(it.control_strategy), " | ", FormatNumber(it.duration_seconds), " |\n");
    }
  }
  if (!c.suggestions.empty()) {
    absl::StrAppend(&md, "\n### Suggestions from the last evaluation\n\n");
    for (const auto& s : c.suggestions) absl::StrAppend(&md, "- ", E(s), "\n");
  }

  absl::StrAppend(&md, "\n## Components Unavailable\n\n");
  if (input.unavailable_components.empty()) {
    absl::StrAppend(&md, "All evidence sources were available.\n");
  } else {
    for (const auto& u : input.unavailable_components) absl::StrAppend(&md, "- ", E(u), "\n");
  }
  if (run.error || !input.warnings.empty()) {
    absl::StrAppend(&md, "\n## Errors\n\n");
    auto error_line = [&md](const RunError& e) {
      absl::StrAppend(&md, "- **", E(e.error_type), "**");
      if (e.phase) absl::StrAppend(&md, " in ", Name(*e.phase));
      if (e.iteration) absl::StrAppend(&md, " (iteration ", *e.iteration, ")");
      absl::StrAppend(&md, ": ", E(e.message), "\n");
    };
    if (run.error) error_line(*run.error);
    for (const auto& w : input.warnings) error_line(w);
  }
  absl::StrAppend(&md, "\n## Provenance\n\n- HAYSTACK: ", E(input.provenance.haystack_version),
                  "\n- Knowledge base: ", E(input.provenance.knowledge_base),
                  "\n- Atlas: ", E(input.provenance.atlas),
                  "\n- Model backend: ", E(input.provenance.model_backend), "\n");
  return md;
}

}  // namespace haystack
