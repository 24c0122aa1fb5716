// Notifications for the three kinds, and the hostile query text of the acceptance criteria.
#ifndef HAYSTACK_TESTS_NOTIFY_SAMPLE_NOTIFICATIONS_H_
#define HAYSTACK_TESTS_NOTIFY_SAMPLE_NOTIFICATIONS_H_

#include <string>

#include "haystack/notify/notifier.h"

namespace haystack::testing {

// <script>, quotes, CR/LF, RTL text and emoji; HostileQuery(true) adds ~100 KB of padding.
inline std::string HostileQuery(bool huge = false) {
  std::string q =
      "How do CD14+ monocytes respond to IFN-\xCE\xB3? <script>alert('x')</script> "
      "\"quoted\" & 'single'\r\nBcc: victim@example.com\r\n"
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC\xF0\x9F\x94\xAC";
  if (huge) {
    std::string padding;
    while (padding.size() < 100'000) padding += " lorem ipsum \xF0\x9F\xA7\xAC";
    q += padding + "END";
  }
  return q;
}

inline RunNotification SampleNotification(NotificationKind kind) {
  RunNotification n;
  n.kind = kind;
  n.run_id = "hay_20261125_abc123";
  n.recipient = "ada@example.org";
  n.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  n.results_url = "https://app.example.org/runs/hay_20261125_abc123";
  n.iterations = 3;
  if (kind == NotificationKind::kRunCompleted) {
    n.final_score = 8;
    n.score_threshold = 7;
    n.termination_reason = TerminationReason::kConverged;
    n.task_type = TaskType::kPerturbationNovelCellTypes;
    n.control_strategy_effective = ControlStrategy::kQueryAsControl;
    n.control_strategy_fell_back = true;
    n.top_up_genes = {"CXCL10", "STAT1", "IRF1"};
    n.top_down_genes = {"CD14"};
    n.top_pathways = {"response to interferon-gamma (GO:0034341)"};
    n.unavailable_components = {"literature_support"};
    n.report_url = "https://storage.googleapis.com/b/runs/hay_20261125_abc123/report.html";
    n.anndata_url = "gs://b/runs/hay_20261125_abc123/output.h5ad";
    n.log_url = "javascript:alert(1)";
  } else if (kind == NotificationKind::kRunFailed) {
    n.error_type = "InferenceError";
    n.error_message = "the inference worker at grpc://worker:50051 was unreachable <b>3</b> times";
    n.error_phase = RunPhase::kInference;
    n.error_iteration = 2;
  }
  return n;
}

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_NOTIFY_SAMPLE_NOTIFICATIONS_H_
