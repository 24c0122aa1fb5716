#include "haystack/job/run_executor.h"

namespace haystack {

absl::Status RunRecorder::UpdateProgress(const RunProgress& progress) {
  return store_.UpdateProgress(lease_, progress);
}

absl::Status RunRecorder::RecordIteration(const IterationRecord& record) {
  return store_.RecordIteration(lease_, record);
}

absl::Status RunRecorder::Note(std::string_view kind, std::string_view message,
                               std::optional<RunPhase> phase, std::optional<int> iteration) {
  return store_.AppendEvent({.run_id = lease_.run_id,
                             .at = clock_.Now(),
                             .attempt = lease_.attempt,
                             .kind = std::string(kind),
                             .phase = phase,
                             .iteration = iteration,
                             .message = std::string(message)});
}

absl::StatusOr<Run> RunRecorder::Reload() { return store_.GetRun(lease_.run_id); }

}  // namespace haystack
