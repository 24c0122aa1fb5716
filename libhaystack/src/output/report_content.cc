#include "internal/report_content.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "haystack/core/text.h"

namespace haystack {

const IterationRecord* BestIteration(const Run& run) {
  if (run.best_iteration) {
    for (const auto& it : run.iterations) {
      if (it.iteration_number == *run.best_iteration) return &it;
    }
  }
  const IterationRecord* best = nullptr;
  for (const auto& it : run.iterations) {
    if (best == nullptr || CompositeScore(it.grounding_score).value_or(0) >
                               CompositeScore(best->grounding_score).value_or(0)) {
      best = &it;
    }
  }
  return best;
}

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      out.push_back(' ');
    } else if (u < 0x20 || u == 0x7f) {
      continue;  // other control characters are dropped
    } else if (std::string_view("\\`*_{}[]()#+-!|<>&~").find(c) != std::string_view::npos) {
      out.push_back('\\');  // CommonMark: any ASCII punctuation may be backslash-escaped
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace output_internal {
namespace {

std::string Pretty(std::string_view snake) {
  std::string out(snake);
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

std::string ScoreText(std::optional<int> score, std::string_view absent) {
  return score ? absl::StrCat(*score, "/10") : std::string(absent);
}

std::string TerminationSentence(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kConverged:
      return "converged: the score reached the threshold";
    case TerminationReason::kPlateau:
      return "plateau: the score stopped improving; the best iteration is reported";
    case TerminationReason::kMaxIterations:
      return "maximum iterations reached; the best iteration is reported";
    case TerminationReason::kCancelled:
      return "cancelled at the user's request";
    case TerminationReason::kError:
      return "stopped on an error";
    case TerminationReason::kCandidatesExhausted:
      return "candidates exhausted: every prompt candidate was tried; the best iteration is "
             "reported";
    case TerminationReason::kUnscored:
      return "unscored: no grounding component could be scored; the predictions are reported "
             "without a score";
  }
  return "";
}

std::string FormatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

ReportContent BuildReportContent(const RunReportInput& input) {
  const Run& run = input.run;
  ReportContent c;
  c.best = BestIteration(run);
  if (run.structured_query) {
    c.task_type = std::string(EnumName(run.structured_query->task_type));
    c.perturbational = IsPerturbational(run.structured_query->task_type);
  }
  c.final_score = run.final_score;
  if (!c.final_score && c.best) c.final_score = CompositeScore(c.best->grounding_score);
  if (run.termination_reason) c.termination = TerminationSentence(*run.termination_reason);
  c.control_requested = std::string(EnumName(run.control_strategy));
  if (run.control_strategy_effective) {
    c.control_effective = std::string(EnumName(*run.control_strategy_effective));
    c.control_fell_back = *run.control_strategy_effective != run.control_strategy;
  }
  if (c.best == nullptr) return c;
  if (const auto* g = std::get_if<GroundingScore>(&c.best->grounding_score)) {
    c.perturbational = true;
    for (const auto& p : g->enriched_pathways) c.pathways.push_back(&p);
    std::stable_sort(c.pathways.begin(), c.pathways.end(),
                     [](auto* a, auto* b) { return a->adjusted_p_value < b->adjusted_p_value; });
    if (c.pathways.size() > 15) c.pathways.resize(15);
    c.de = g->de_summary;
    if (g->de_summary) {
      for (const auto& d : g->de_summary->top_up) c.up.push_back(&d);
      for (const auto& d : g->de_summary->top_down) c.down.push_back(&d);
      if (c.up.size() > 20) c.up.resize(20);
      if (c.down.size() > 20) c.down.resize(20);
    }
    c.up_names.assign(g->de_genes_up.begin(),
                      g->de_genes_up.begin() + std::min<size_t>(20, g->de_genes_up.size()));
    c.down_names.assign(g->de_genes_down.begin(),
                        g->de_genes_down.begin() + std::min<size_t>(20, g->de_genes_down.size()));
    c.suggestions = g->improvement_suggestions;
    if (g->confidence_penalty > 0) {
      c.scores.push_back({"Query-as-control penalty", std::nullopt,
                          absl::StrCat("-", FormatNumber(g->confidence_penalty),
                                       " applied before rounding (no matched controls)")});
    }
  } else {
    const auto& o = std::get<ObservationalGroundingScore>(c.best->grounding_score);
    c.perturbational = false;
    c.suggestions = o.improvement_suggestions;
  }
  std::vector<ScoreRow> rows;
  for (const auto& component : Components(c.best->grounding_score)) {
    rows.push_back({Pretty(component.name), component.score,
                    component.score ? component.rationale
                                    : absl::StrCat("unavailable: ", component.unavailable_reason)});
  }
  if (rows.empty()) {
    // Records without component details: the typed fields.
    auto add = [&rows](std::string name, std::optional<int> score) {
      rows.push_back({std::move(name), score, score ? "" : "unavailable"});
    };
    if (const auto* g = std::get_if<GroundingScore>(&c.best->grounding_score)) {
      add("Pathway coherence", g->pathway_coherence);
      add("Target activation", g->target_activation);
      add("Literature support", g->literature_support);
      add("Network coherence", g->network_coherence);
    } else {
      const auto& o = std::get<ObservationalGroundingScore>(c.best->grounding_score);
      add("Marker gene expression", o.marker_gene_expression);
      add("Tissue signature match", o.tissue_signature_match);
      add("Donor effect capture", o.donor_effect_capture);
      add("Cell type coherence", o.cell_type_coherence);
    }
  }
  rows.insert(rows.end(), c.scores.begin(), c.scores.end());
  c.scores = std::move(rows);
  return c;
}

}  // namespace output_internal
}  // namespace haystack
