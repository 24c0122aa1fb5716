// The run record: one row of the runs table (docs/architecture.md "The run store").
#ifndef HAYSTACK_CORE_RUN_H_
#define HAYSTACK_CORE_RUN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/enums.h"
#include "haystack/core/iteration.h"
#include "haystack/core/query.h"
#include "haystack/core/run_config.h"

namespace haystack {

struct RunError {
  std::string error_type;  // ErrorKindName(...)
  std::string message;
  std::optional<RunPhase> phase;
  std::optional<int> iteration;

  bool operator==(const RunError&) const = default;
};

struct Run {
  std::string run_id;
  std::string user_email;
  RunStatus status = RunStatus::kPending;
  std::string raw_query;

  // runs.config exactly as the API stored it. It is parsed (ParseRunConfig) when the job
  // starts, so that a malformed document is reported as a classified error instead of making
  // the record unreadable, and is never rewritten by the orchestrator.
  std::string config_json = "{}";

  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;  // requested
  std::optional<ControlStrategy> control_strategy_effective;
  bool control_cells_available = false;
  std::optional<StructuredQuery> structured_query;
  std::optional<int64_t> random_seed;

  std::optional<RunPhase> current_phase;
  int current_iteration = 0;
  std::vector<IterationRecord> iterations;
  // Composite per finished iteration, for cheap polling; null for an unscored iteration.
  std::vector<std::optional<int>> grounding_scores;

  std::optional<int> final_score;
  std::optional<int> best_iteration;
  std::optional<TerminationReason> termination_reason;
  std::optional<RunError> error;

  std::optional<std::string> output_anndata_path;
  std::optional<std::string> output_report_path;
  std::optional<std::string> output_log_path;

  // Batch bookkeeping.
  int attempt = 0;
  std::optional<std::string> lease_owner;
  std::optional<absl::Time> lease_expires_at;
  std::optional<absl::Time> cancel_requested_at;

  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();

  // Columns of the stored record that could not be decoded ("control_strategy: unknown value
  // 'x'"). Reading a run never fails because of its content, so that the job can still record
  // a classified failure for a malformed record instead of crashing on it.
  std::vector<std::string> invalid_fields;

  bool operator==(const Run&) const = default;
};

// A run is finished only once the orchestrator has written its terminal state: status
// terminal and termination_reason set. A run the API marked "cancelled" without a
// termination_reason still needs the orchestrator to finish the cancellation.
bool IsFinalized(const Run& run);

// True if the API asked for cancellation (either convention: docs/operations.md).
bool IsCancellationRequested(const Run& run);

// Parses runs.config: null fields mean "use the default" (the API stores model_dump()).
absl::StatusOr<RunConfig> ParseRunConfig(std::string_view config_json);

absl::Status Validate(const Run& run);

}  // namespace haystack

#endif  // HAYSTACK_CORE_RUN_H_
