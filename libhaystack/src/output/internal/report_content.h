// What report.md and report.html both show, computed once from the run record.
#ifndef HAYSTACK_OUTPUT_INTERNAL_REPORT_CONTENT_H_
#define HAYSTACK_OUTPUT_INTERNAL_REPORT_CONTENT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haystack/output/run_report.h"

namespace haystack::output_internal {

struct ScoreRow {
  std::string component;  // "Pathway coherence"
  std::optional<int> score;
  std::string note;  // rationale or the reason it is unavailable
};

struct ReportContent {
  const IterationRecord* best = nullptr;
  bool perturbational = true;
  std::string task_type;
  std::optional<int> final_score;
  std::string termination;  // readable sentence, "" if not finished
  std::string control_requested;
  std::string control_effective;
  bool control_fell_back = false;
  std::vector<ScoreRow> scores;
  std::vector<const EnrichedPathway*> pathways;  // by adjusted p, at most 15
  std::vector<const DeGene*> up;                 // at most 20 each
  std::vector<const DeGene*> down;
  std::vector<std::string> up_names;  // when only gene names are known
  std::vector<std::string> down_names;
  std::vector<std::string> suggestions;
  std::optional<DeSummary> de;
};

ReportContent BuildReportContent(const RunReportInput& input);

std::string TerminationSentence(TerminationReason reason);
// "7/10", or `absent` for a missing score ("n/a" for a component, "unscored" for an iteration).
std::string ScoreText(std::optional<int> score, std::string_view absent);
// "%.3g"-style numbers for p-values and fold changes.
std::string FormatNumber(double value);

}  // namespace haystack::output_internal

#endif  // HAYSTACK_OUTPUT_INTERNAL_REPORT_CONTENT_H_
