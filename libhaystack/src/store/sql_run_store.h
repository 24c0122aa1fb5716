// RunStore over a SqlConnection: the guards, leases and ledger written once for SQLite and
// PostgreSQL.
#ifndef HAYSTACK_STORE_SQL_RUN_STORE_H_
#define HAYSTACK_STORE_SQL_RUN_STORE_H_

#include <functional>
#include <memory>
#include <mutex>

#include "haystack/store/open_run_store.h"
#include "haystack/store/run_store.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {

using ListenerFactory =
    std::function<absl::StatusOr<std::unique_ptr<CancellationListener>>(std::string_view run_id)>;

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
      std::string_view run_id, NotificationKind kind) override;
  absl::Status RecordNotificationResult(std::string_view run_id, NotificationKind kind,
                                        bool delivered, std::string_view provider,
                                        std::string_view provider_message_id,
                                        std::string_view error) override;
  absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(
      std::string_view run_id) override;
  absl::Status AppendEvent(const RunEvent& event) override;
  absl::StatusOr<std::vector<RunEvent>> ListEvents(std::string_view run_id) override;
  absl::StatusOr<int> SchemaVersion() override;

 private:
  SqlRunStore(std::unique_ptr<SqlConnection> db, ListenerFactory listen,
              const RunStoreOptions& options)
      : listen_(std::move(listen)), options_(options), db_(std::move(db)) {}

  // Runs `body` in a write transaction; retries the whole transaction on transient failures
  // (lost connection, lock contention, serialization failure) within the reconnect budget.
  // `body` must be idempotent up to its own guards, which every caller here is.
  absl::Status Transaction(const std::function<absl::Status(SqlConnection&)>& body);
  // One statement outside a transaction, with the same retries.
  absl::StatusOr<SqlResult> Query(std::string_view sql, const std::vector<SqlParam>& params);
  // Retries `attempt` while it fails transiently and the budget lasts.
  absl::Status Retrying(const std::function<absl::Status()>& attempt);

  // Loads the run row for a guarded write (locked on PostgreSQL) and checks the guards:
  // kNotFound, kFailedPrecondition (finalized), kAborted (lease lost).
  absl::StatusOr<Run> LoadForWrite(SqlConnection& db, std::string_view run_id, const Lease* lease,
                                   std::string_view action);
  absl::Status InsertEvent(SqlConnection& db, const RunEvent& event);
  std::string Now() const;

  ListenerFactory listen_;
  RunStoreOptions options_;
  std::mutex mu_;  // one connection: operations are serialised
  std::unique_ptr<SqlConnection> db_;
};

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_SQL_RUN_STORE_H_
