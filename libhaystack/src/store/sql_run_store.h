// RunStore over a SqlConnection: the guards, leases and ledger written once for SQLite and
// PostgreSQL.
#ifndef HAYSTACK_STORE_SQL_RUN_STORE_H_
#define HAYSTACK_STORE_SQL_RUN_STORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "haystack/core/retry.h"
#include "haystack/store/open_run_store.h"
#include "haystack/store/run_store.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {

using ListenerFactory =
    std::function<absl::StatusOr<std::unique_ptr<CancellationListener>>(std::string_view run_id)>;

// One logical write: its id is recorded with the write (run_events.request_id) and kept across
// the store's retries, so that a retry can tell "my earlier attempt committed" from a refusal.
struct WriteRequest {
  explicit WriteRequest(std::string_view run_id);
  std::string run_id;
  std::string id;
  // Set when a retry found this request already committed by an earlier attempt whose
  // acknowledgement was lost: the body did not run again.
  bool recognized = false;
};

class SqlRunStore final : public RunStore {
 public:
  // Applies migrations on `db` (which reconnects by itself after a lost connection).
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(std::unique_ptr<SqlConnection> db,
                                                        ListenerFactory listen,
                                                        const RunStoreOptions& options);

  absl::Status CreateRun(const Run& run) override;
  absl::StatusOr<Run> GetRun(std::string_view run_id) override;
  absl::StatusOr<Lease> ClaimRun(std::string_view run_id, std::string_view owner,
                                 absl::Duration lease_duration) override;
  absl::Status RenewLease(Lease& lease, absl::Duration lease_duration) override;
  absl::Status ReleaseLease(const Lease& lease) override;
  absl::Status UpdateProgress(const Lease& lease, const RunProgress& progress) override;
  absl::Status RecordIteration(const Lease& lease, const IterationRecord& record) override;
  absl::StatusOr<Run> FinishRun(const Lease& lease, const TerminalUpdate& update) override;
  absl::Status RequestCancellation(std::string_view run_id) override;
  absl::StatusOr<std::unique_ptr<CancellationListener>> ListenForCancellation(
      std::string_view run_id) override;
  absl::StatusOr<std::optional<NotificationRecord>> ClaimNotification(
      std::string_view run_id, NotificationKind kind, std::string_view claimant,
      absl::Duration claim_duration) override;
  absl::Status RecordNotificationResult(const NotificationRecord& claimed,
                                        const NotificationResult& result) override;
  absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(
      std::string_view run_id) override;
  absl::Status AppendEvent(const RunEvent& event) override;
  absl::StatusOr<std::vector<RunEvent>> ListEvents(std::string_view run_id) override;
  absl::StatusOr<int> SchemaVersion() override;

 private:
  SqlRunStore(std::unique_ptr<SqlConnection> db, ListenerFactory listen,
              const RunStoreOptions& options)
      : listen_(std::move(listen)), options_(options), db_(std::move(db)) {}

  using Body = std::function<absl::Status(SqlConnection&)>;

  // Runs `body` in a write transaction, retried on transient failures (lost connection, lock
  // contention, serialization failure) within the retry budget. With a `request`, a retry
  // first checks whether an earlier attempt committed the request (then the body is skipped
  // and request->recognized set), and a refusal on a retry is re-examined the same way.
  absl::Status Transaction(WriteRequest* request, const Body& body);
  // One statement outside a transaction, with the same retries.
  absl::StatusOr<SqlResult> Query(std::string_view sql, const std::vector<SqlParam>& params);
  // Calls `attempt` (under the connection lock, with its attempt number) until it succeeds or
  // fails for good: not retryable, the shared outage budget spent, or the shutdown token fired.
  // The waits between attempts are taken without the lock.
  absl::Status Retrying(const std::function<absl::Status(SqlConnection&, int)>& attempt);
  // The outage bookkeeping shared by every operation (see RunStoreOptions::retry).
  absl::Time OutageDeadline();
  void NoteOutcome(bool reachable);
  absl::Time AttemptDeadline(const RetryLoop& retry) const;

  // True if `request` is recorded. With `lock_run`, the run's row is locked first on
  // PostgreSQL, so that a commit still in progress on another connection is waited for.
  absl::StatusOr<bool> IsRecorded(SqlConnection& db, const WriteRequest& request, bool lock_run);

  // Loads the run row for a guarded write (locked on PostgreSQL) and checks the guards:
  // kNotFound, kFailedPrecondition (finalized), kAborted (lease lost).
  absl::StatusOr<Run> LoadForWrite(SqlConnection& db, std::string_view run_id, const Lease* lease,
                                   std::string_view action);
  absl::Status InsertEvent(SqlConnection& db, const RunEvent& event,
                           const WriteRequest* request = nullptr);
  absl::StatusOr<std::optional<NotificationRecord>> LoadNotification(SqlConnection& db,
                                                                     std::string_view run_id,
                                                                     NotificationKind kind,
                                                                     bool lock);
  std::string Now() const;

  ListenerFactory listen_;
  RunStoreOptions options_;
  std::mutex mu_;  // one connection: operations are serialised
  std::unique_ptr<SqlConnection> db_;
  std::mutex outage_mu_;
  std::optional<absl::Time> outage_since_;  // on options_.clock; unset while reachable
};

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_SQL_RUN_STORE_H_
