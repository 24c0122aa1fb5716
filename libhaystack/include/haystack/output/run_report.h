// What a finished run leaves for its user besides the predictions: the interpretation report
// (report.md and a self-contained report.html with inline SVG plots) and the structured JSON
// log (log.json), all built from the core types of the run record.
#ifndef HAYSTACK_OUTPUT_RUN_REPORT_H_
#define HAYSTACK_OUTPUT_RUN_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "haystack/core/run.h"

namespace haystack {

// Versions of everything that shaped the result.
struct Provenance {
  std::string haystack_version;
  std::string knowledge_base;  // e.g. "demo-kb 2026-11 (sha256:…)"
  std::string atlas;           // e.g. "synthetic-pbmc v1 (12,000 cells)"
  std::string model_backend;   // e.g. "local-icl-baseline" or "grpc://worker:50051 (STACK …)"
};

// One timed phase of the run (query analysis, per-iteration phases, output generation).
struct PhaseTiming {
  RunPhase phase = RunPhase::kQueryAnalysis;
  std::optional<int> iteration;
  absl::Time started_at;
  absl::Time finished_at;
};

struct RunReportInput {
  Run run;  // the record: query, structured query, iterations, final state, error, outputs
  std::optional<int> score_threshold;  // RunConfig::score_threshold, drawn on the score plot
  std::vector<PhaseTiming> phases;
  // Errors met on the way that did not end the run (an LLM down, a literature API timeout);
  // run.error, if any, is the one that ended it.
  std::vector<RunError> warnings;
  // Evidence components that were unavailable and dropped from the score, with the reason.
  std::vector<std::string> unavailable_components;
  Provenance provenance;
  absl::Time generated_at = absl::UnixEpoch();
};

// The iteration the result comes from: run.best_iteration if set, else the highest composite
// (ties → the earlier one, docs/agent.md "The run loop"); nullptr if there are no iterations.
const IterationRecord* BestIteration(const Run& run);

// report.md: query, summary, score breakdown (perturbational or observational), enriched
// pathways, top DE genes, iterations, control strategy and any fallback, unavailable
// components, errors, provenance. Every user or data string is Markdown-escaped (backslash
// escapes, so renderers show it verbatim and raw HTML never passes through).
std::string RenderReportMarkdown(const RunReportInput& input);

// report.html: the same content as one self-contained, accessible page (no scripts, no external
// resources) with inline SVG plots: score per iteration against the threshold, a volcano plot of
// the top DE genes and a bar chart of the top pathways, each with a text alternative.
std::string RenderReportHtml(const RunReportInput& input);

// log.json (schema_version 1): identity, timing and outcome plus errors, phases with timings and
// provenance; documented in docs/output.md.
std::string RenderRunLog(const RunReportInput& input);

// Markdown escaping of inline text: the characters Markdown interprets (\ ` * _ { } [ ] ( ) # + - !
// | < > & ~) get a backslash (CommonMark renders them verbatim), CR/LF become spaces.
std::string MarkdownEscape(std::string_view text);

}  // namespace haystack

#endif  // HAYSTACK_OUTPUT_RUN_REPORT_H_
