// The run database: the run record, its append-only event history and the notification
// ledger (docs/operations.md, "What a re-execution does" and "The database").
//
// Every write the orchestrator makes goes through a lease: ClaimRun gives the caller a Lease
// (owner + attempt, a fencing token) and every later write is conditional on it, on the run not
// being finalized and — for completing or failing — on no cancellation having been requested.
// A write that loses such a race changes nothing and reports why:
//   kAborted            the lease was lost (expired and taken by another attempt)
//   kFailedPrecondition the run is finalized, or (kind kCancelled) cancellation was requested
//   kNotFound           no such run
//   kUnavailable        the database could not be reached after retries (transient)
//
// Writes know their own outcome. Every write is retried within the store after a lost
// connection, and each logical write carries a request id of its own, recorded in the same
// transaction (in its run_events row). A retry first looks for that id: if the earlier attempt
// committed but its acknowledgement was lost, the retry recognises its own write and reports
// the success the first attempt would have reported — a claim it holds, a finish it made, an
// iteration it recorded (no second event), a cancellation it requested — instead of a refusal.
// Implementations: SqliteRunStore (embedded default) and PostgresRunStore (libpq); both pass
// the same conformance suite (tests/store/).
#ifndef HAYSTACK_STORE_RUN_STORE_H_
#define HAYSTACK_STORE_RUN_STORE_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/run.h"

namespace haystack {

// Proof that this process owns a run: writes are fenced on (run_id, owner, attempt).
struct Lease {
  std::string run_id;
  std::string owner;
  int attempt = 0;
  absl::Time expires_at;
};

// A guarded progress write; unset fields are left alone.
struct RunProgress {
  std::optional<RunPhase> phase;
  std::optional<int> iteration;
  std::optional<StructuredQuery> structured_query;
  std::optional<ControlStrategy> control_strategy_effective;
  std::optional<bool> control_cells_available;
  std::optional<int64_t> random_seed;
};

// The single write that moves a run to its terminal state (with termination_reason and
// end_time), together with the intent to notify the user, in one transaction.
struct TerminalUpdate {
  RunStatus status = RunStatus::kCompleted;  // completed, failed or cancelled
  TerminationReason reason = TerminationReason::kConverged;
  std::optional<int> final_score;
  std::optional<int> best_iteration;
  std::optional<RunError> error;
  std::optional<std::string> output_anndata_path;
  std::optional<std::string> output_report_path;
  std::optional<std::string> output_log_path;
  // Recorded as a pending notification to be delivered by NotifyOnce-style code.
  std::optional<NotificationKind> notification;
  std::string notification_recipient;
};

enum class NotificationStatus {
  kPending,  // intent recorded, not attempted
  // Claimed by an execution (claimed_by) until claim_expires_at. A claim that expires in this
  // state belongs to an execution that died or lost the database before recording the outcome,
  // which is unknown: the next execution claims it again and sends it again (at least once).
  kSending,
  kSent,
  kFailed,
};

template <>
struct EnumTraits<NotificationStatus> {
  static constexpr std::string_view kTypeName = "NotificationStatus";
  static constexpr std::array<std::pair<NotificationStatus, std::string_view>, 4> kValues = {{
      {NotificationStatus::kPending, "pending"},
      {NotificationStatus::kSending, "sending"},
      {NotificationStatus::kSent, "sent"},
      {NotificationStatus::kFailed, "failed"},
  }};
};

struct NotificationRecord {
  std::string run_id;
  NotificationKind kind = NotificationKind::kRunCompleted;
  NotificationStatus status = NotificationStatus::kPending;
  std::string recipient;
  int attempts = 0;
  std::string provider;
  std::string provider_message_id;
  std::string last_error;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<absl::Time> sent_at;
  // The claim: "<claimant> <request id>", unique per claim; empty before the first.
  std::string claimed_by;
  std::optional<absl::Time> claim_expires_at;
};

// What one delivery attempt of a claimed notification came to.
struct NotificationResult {
  bool delivered = false;
  std::string provider;
  std::string provider_message_id;
  std::string error;  // when not delivered: already redacted by the caller
};

struct RunEvent {
  int64_t id = 0;  // assigned by the store, increasing
  std::string run_id;
  absl::Time at;
  int attempt = 0;
  std::string kind;  // "created", "claimed", "progress", "iteration", "finished", ...
  std::optional<RunPhase> phase;
  std::optional<int> iteration;
  std::string message;
  // The write that appended this event (empty for events of older versions).
  std::string request_id;
};

// A hint that cancellation may have been requested (PostgreSQL LISTEN/NOTIFY). Callers always
// poll GetRun behind it: hints can be lost.
class CancellationListener {
 public:
  virtual ~CancellationListener() = default;
  // Waits up to `timeout`; true if a cancellation hint for the run arrived.
  virtual bool Wait(absl::Duration timeout) = 0;
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // Inserts a new run (as the web API would). kAlreadyExists if the id is taken.
  virtual absl::Status CreateRun(const Run& run) = 0;
  virtual absl::StatusOr<Run> GetRun(std::string_view run_id) = 0;

  // Claims the run for `owner` until now + `lease_duration`, incrementing its attempt counter
  // and moving a pending run to running. Refused (kAborted, with the holder) while another
  // owner's lease is live; kFailedPrecondition once the run is finalized (a run the API marked
  // cancelled but that was never finalized can be claimed, to finish the cancellation).
  virtual absl::StatusOr<Lease> ClaimRun(std::string_view run_id, std::string_view owner,
                                         absl::Duration lease_duration) = 0;
  // Extends the lease (heartbeat).
  virtual absl::Status RenewLease(Lease& lease, absl::Duration lease_duration) = 0;
  // Gives the lease up without finishing the run (SIGTERM: a re-execution may claim at once).
  virtual absl::Status ReleaseLease(const Lease& lease) = 0;

  virtual absl::Status UpdateProgress(const Lease& lease, const RunProgress& progress) = 0;
  // Records a finished iteration: appends it to `iterations` (replacing a record with the same
  // number, so a retried write is harmless), appends its composite to `grounding_scores` and
  // sets current_iteration.
  virtual absl::Status RecordIteration(const Lease& lease, const IterationRecord& record) = 0;
  // Moves the run to its terminal state. Completed/failed are refused (kFailedPrecondition,
  // kind kCancelled) when cancellation was requested; the caller then finishes as cancelled.
  virtual absl::StatusOr<Run> FinishRun(const Lease& lease, const TerminalUpdate& update) = 0;

  // Records the user's request (sets cancel_requested_at) and sends a hint to listeners.
  // kFailedPrecondition if the run is already finalized.
  virtual absl::Status RequestCancellation(std::string_view run_id) = 0;
  virtual absl::StatusOr<std::unique_ptr<CancellationListener>> ListenForCancellation(
      std::string_view run_id) = 0;

  // Notification ledger. ClaimNotification moves a notification to sending for `claimant`
  // (an execution's worker id) until now + `claim_duration`, and returns it: a pending one, or
  // one whose earlier claim expired while sending (the previous claimant's outcome is unknown;
  // the caller sends again). nullopt when there is nothing to claim: sent, failed, or claimed
  // by someone else whose claim is live (ListNotifications shows until when).
  virtual absl::StatusOr<std::optional<NotificationRecord>> ClaimNotification(
      std::string_view run_id, NotificationKind kind, std::string_view claimant,
      absl::Duration claim_duration) = 0;
  // Records the outcome of the claim `claimed` (as ClaimNotification returned it): sent or
  // failed. kFailedPrecondition if the claim was lost (it expired and another execution took
  // the notification over).
  virtual absl::Status RecordNotificationResult(const NotificationRecord& claimed,
                                                const NotificationResult& result) = 0;
  virtual absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(
      std::string_view run_id) = 0;

  // Event history (append-only). Store mutations append their own events; callers may add
  // more (e.g. phase timings, warnings).
  virtual absl::Status AppendEvent(const RunEvent& event) = 0;
  virtual absl::StatusOr<std::vector<RunEvent>> ListEvents(std::string_view run_id) = 0;

  // The schema version the database is at after migrations.
  virtual absl::StatusOr<int> SchemaVersion() = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_STORE_RUN_STORE_H_
