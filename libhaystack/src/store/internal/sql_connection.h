// A minimal SQL connection abstraction over libpq and SQLite, so that the run store's logic
// (guards, leases, ledger) is written once (sql_run_store.cc) for both databases.
#ifndef HAYSTACK_STORE_INTERNAL_SQL_CONNECTION_H_
#define HAYSTACK_STORE_INTERNAL_SQL_CONNECTION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/core/stop_token.h"

namespace haystack::store_internal {

// A bound parameter. Timestamps are bound as RFC 3339 text.
using SqlParam = std::variant<std::nullptr_t, std::string, int64_t, double, bool>;

// A fully materialised result: every value as text (NULL = nullopt).
class SqlResult {
 public:
  SqlResult() = default;
  SqlResult(std::vector<std::string> columns,
            std::vector<std::vector<std::optional<std::string>>> rows, int64_t affected)
      : columns_(std::move(columns)), rows_(std::move(rows)), affected_(affected) {}

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  int64_t affected_rows() const { return affected_; }
  // Value of column `name` in row `row`; nullopt for NULL. The column must exist.
  const std::optional<std::string>& Get(size_t row, std::string_view name) const;
  bool HasColumn(std::string_view name) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
  int64_t affected_ = 0;
};

enum class SqlDialect { kPostgres, kSqlite };

// Real-time bounds on a connection's waits (see RunStoreOptions).
struct SqlIoOptions {
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration statement_timeout = absl::Seconds(60);
  absl::Duration busy_timeout = absl::Seconds(15);  // SQLite
  StopToken stop;                                   // shutdown
  absl::Duration stop_grace = absl::Seconds(2);
  // PostgreSQL behind a transaction-pooling PgBouncer: no session-level settings.
  bool transaction_pooling = false;
  // PostgreSQL's notices and warnings (internal/postgres_notices.h), never raw to stderr.
  Logger logger = Logger::Null();
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;

  // A real-time limit for the statements that follow (and the connecting they need), on top of
  // the connection's own timeouts: the caller's remaining retry budget. A statement that cannot
  // finish in time is abandoned with a retryable kUnavailable and, on PostgreSQL, the
  // connection is dropped: whether a COMMIT in flight took effect is then unknown to the caller.
  virtual void SetDeadline(absl::Time deadline) = 0;

  // Runs one statement. SQL uses $1, $2, … placeholders in both dialects. Errors: kUnavailable
  // for a lost connection (the next call reconnects), kAborted for serialization failures and
  // deadlocks, kAlreadyExists for unique violations, kInternal otherwise; kind kDatabase.
  virtual absl::StatusOr<SqlResult> Execute(std::string_view sql,
                                            const std::vector<SqlParam>& params = {}) = 0;
  // Runs a script of statements without parameters (migrations).
  virtual absl::Status ExecuteScript(std::string_view sql) = 0;

  // Starts a transaction that will write (SQLite: BEGIN IMMEDIATE, so that lock waits happen
  // up front and not as a failed upgrade).
  virtual absl::Status BeginWrite() = 0;
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;  // best effort
};

// Errors worth retrying the whole transaction for: a lost connection, lock contention, a
// serialization failure or deadlock. Connections mark them; the store's own refusals (lease
// lost, finalized run) are never marked.
absl::Status MarkRetryable(absl::Status status);
bool IsRetryableSqlError(const absl::Status& status);

// PG prints booleans as t/f, SQLite as 1/0.
bool ParseSqlBool(const std::optional<std::string>& value);
// PG prints timestamptz as "2026-11-24 10:15:00.123+00"; SQLite holds our RFC 3339 text.
absl::StatusOr<absl::Time> ParseSqlTimestamp(std::string_view text);

// kConfiguration for a path that cannot hold a database (a directory, not writable).
absl::StatusOr<std::unique_ptr<SqlConnection>> ConnectSqlite(const std::string& path,
                                                             const SqlIoOptions& io);
// kConfiguration for a connection string that libpq cannot parse or whose values it would
// refuse (sslmode, port, …). Connects at the first statement (and again after a lost
// connection), so an unreachable server shows as a retryable kUnavailable there.
absl::StatusOr<std::unique_ptr<SqlConnection>> ConnectPostgres(const std::string& conninfo,
                                                               const SqlIoOptions& io);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_SQL_CONNECTION_H_
