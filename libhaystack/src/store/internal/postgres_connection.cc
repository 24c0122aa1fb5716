// SqlConnection over libpq: parameterised statements only, text results, reconnect on the next
// call after a lost connection. Every wait is non-blocking with a deadline (postgres_io.h): a
// statement that gets no answer in time is abandoned and its connection dropped.
#include <libpq-fe.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/redact.h"
#include "internal/postgres_io.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {
namespace {

// SQLSTATE classes: 08 connection exception, 57P0x operator intervention (shutdown, crash),
// 53 insufficient resources; 40001 serialization failure, 40P01 deadlock; 23505 unique.
absl::StatusCode CodeForSqlState(std::string_view state) {
  if (state.substr(0, 2) == "08" || state.substr(0, 3) == "57P" || state.substr(0, 2) == "53") {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  // 55P03 lock_not_available (lock_timeout), 57014 query_canceled (statement_timeout).
  if (state == "55P03" || state == "57014") return absl::StatusCode::kUnavailable;
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state.substr(0, 2) == "22" || state.substr(0, 2) == "23") {
    return absl::StatusCode::kInvalidArgument;
  }
  return absl::StatusCode::kInternal;
}

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(std::string conninfo, SqlIoOptions io)
      : conninfo_(std::move(conninfo)), io_(std::move(io)) {}
  ~PostgresConnection() override { Drop(); }

  absl::Status Connect() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
    Drop();
    IoDeadline deadline = StatementDeadline(io_.connect_timeout);
    HAYSTACK_ASSIGN_OR_RETURN(conn_, ConnectWithin(conninfo_, deadline, &io_.logger));
    // Sending must not block either (a large statement on a stalled network).
    if (PQsetnonblocking(conn_, 1) != 0) return LibpqFailure();
    // Notices are not silenced by a session's client_min_messages, which a transaction pooler
    // would not carry from one transaction to the next: ConnectWithin logs them (debug level).
    // UTC timestamps in ISO format. PgBouncer tracks TimeZone and DateStyle per client and sets
    // them on whichever server session runs the client's next transaction, so these two hold in
    // transaction pooling too (and ParseSqlTimestamp reads any offset regardless).
    HAYSTACK_RETURN_IF_ERROR(
        Run("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'", {}, /*script=*/true).status());
    // No hanging forever on a lock or a runaway statement. A pooler carries no other setting
    // across transactions: there, write transactions set their own (BeginWrite), and reads rely
    // on the client-side deadline and the role's settings (docs/operations.md).
    if (io_.transaction_pooling) return absl::OkStatus();
    return Run(TimeoutSettings("SET"), {}, /*script=*/true).status();
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  void SetDeadline(absl::Time deadline) override { deadline_ = deadline; }

  absl::StatusOr<SqlResult> Execute(std::string_view sql,
                                    const std::vector<SqlParam>& params) override {
    if (in_transaction_ && (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK)) {
      return LostConnection("lost the connection to PostgreSQL during a transaction");
    }
    HAYSTACK_RETURN_IF_ERROR(Connect());
    HAYSTACK_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, params, /*script=*/false));
    return ToSqlResult(result.get());
  }

  absl::Status ExecuteScript(std::string_view sql) override {
    HAYSTACK_RETURN_IF_ERROR(Connect());
    return Run(sql, {}, /*script=*/true).status();
  }

  // The timeouts are set for the transaction too: behind a transaction pooler the session's
  // may be another client's (or none), and a write is what waits on locks.
  absl::Status BeginWrite() override {
    if (in_transaction_ && (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK)) {
      return LostConnection("lost the connection to PostgreSQL during a transaction");
    }
    HAYSTACK_RETURN_IF_ERROR(Connect());
    HAYSTACK_RETURN_IF_ERROR(
        Run(absl::StrCat("BEGIN; ", TimeoutSettings("SET LOCAL")), {}, /*script=*/true).status());
    in_transaction_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    auto r = Execute("COMMIT", {});
    in_transaction_ = false;
    return r.status();
  }
  void Rollback() override {
    in_transaction_ = false;
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return;
    if (!Run("ROLLBACK", {}, /*script=*/true).ok()) Drop();
  }

 private:
  IoDeadline StatementDeadline(absl::Duration timeout) const {
    return IoDeadline(std::min(deadline_, absl::Now() + timeout), io_.stop, io_.stop_grace);
  }

  // Sends one statement (or, with `script`, a multi-statement text without parameters) and
  // reads its result without ever blocking past the deadline.
  absl::StatusOr<ResultPtr> Run(std::string_view sql, const std::vector<SqlParam>& params,
                                bool script) {
    IoDeadline deadline = StatementDeadline(io_.statement_timeout);
    const std::string text(sql);
    int sent = 0;
    if (script) {
      sent = PQsendQuery(conn_, text.c_str());
    } else {
      std::vector<std::string> texts(params.size());
      std::vector<const char*> values(params.size(), nullptr);
      for (size_t i = 0; i < params.size(); ++i) {
        if (!ParamText(params[i], &texts[i])) continue;
        values[i] = texts[i].c_str();
      }
      sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                               values.data(), nullptr, nullptr, /*resultFormat=*/0);
    }
    if (sent == 0) return LibpqFailure();
    HAYSTACK_RETURN_IF_ERROR(Flush(deadline));
    ResultPtr last(nullptr, PQclear);
    while (true) {
      while (PQisBusy(conn_) != 0) {
        if (!WaitForSocket(conn_, /*write=*/false, deadline)) return Abandoned(deadline);
        if (PQconsumeInput(conn_) == 0) return LibpqFailure();
      }
      PGresult* next = PQgetResult(conn_);
      if (next == nullptr) break;
      // The first error wins (later results of a failed script are not interesting).
      if (last == nullptr || Succeeded(last.get())) {
        last.reset(next);
      } else {
        PQclear(next);
      }
    }
    if (last == nullptr) return LostConnection("PostgreSQL returned no result");
    if (!Succeeded(last.get())) return ResultError(last.get());
    return last;
  }

  absl::Status Flush(IoDeadline& deadline) {
    while (true) {
      const int flushed = PQflush(conn_);
      if (flushed == 0) return absl::OkStatus();
      if (flushed < 0) return LibpqFailure();
      if (!WaitForSocket(conn_, /*write=*/true, deadline)) return Abandoned(deadline);
      if (PQconsumeInput(conn_) == 0) return LibpqFailure();
    }
  }

  std::string TimeoutSettings(std::string_view set) const {
    return absl::StrFormat("%s statement_timeout = %d; %s lock_timeout = %d", set,
                           absl::ToInt64Milliseconds(io_.statement_timeout), set,
                           absl::ToInt64Milliseconds(io_.statement_timeout / 2));
  }

  static bool ParamText(const SqlParam& p, std::string* out) {
    if (std::holds_alternative<std::nullptr_t>(p)) return false;
    if (const auto* s = std::get_if<std::string>(&p)) {
      *out = *s;
    } else if (const auto* n = std::get_if<int64_t>(&p)) {
      *out = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&p)) {
      *out = fmt::format("{}", *d);
    } else {
      *out = std::get<bool>(p) ? "true" : "false";
    }
    return true;
  }

  static bool Succeeded(PGresult* result) {
    const ExecStatusType status = PQresultStatus(result);
    return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
  }

  static SqlResult ToSqlResult(PGresult* result) {
    std::vector<std::string> columns;
    const int ncols = PQnfields(result);
    for (int c = 0; c < ncols; ++c) columns.emplace_back(PQfname(result, c));
    std::vector<std::vector<std::optional<std::string>>> rows;
    const int nrows = PQntuples(result);
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      std::vector<std::optional<std::string>> row;
      row.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(result, r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result, r, c),
                                       static_cast<size_t>(PQgetlength(result, r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(result);
    const int64_t affected = (tuples != nullptr && *tuples != '\0') ? std::atoll(tuples) : 0;
    return SqlResult(std::move(columns), std::move(rows), affected);
  }

  void Drop() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    in_transaction_ = false;
  }

  // The statement got no answer in time: the connection is dropped, so that a late answer
  // cannot be mistaken for the next statement's.
  absl::Status Abandoned(IoDeadline& deadline) {
    Drop();
    return MarkRetryable(MakeError(
        ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
        deadline.stopped() ? "a PostgreSQL statement was abandoned: the job is stopping"
                           : "PostgreSQL did not answer before the deadline; connection dropped"));
  }

  absl::Status LostConnection(std::string_view detail) {
    Drop();
    return MarkRetryable(
        MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                  fmt::format("lost the connection to PostgreSQL: {}",
                              RedactSecrets(detail.empty() ? "connection closed" : detail))));
  }

  // The connection failed as libpq's last message says.
  absl::Status LibpqFailure() { return LostConnection(TrimLibpqMessage(PQerrorMessage(conn_))); }

  absl::Status ResultError(PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = TrimLibpqMessage(RedactSecrets(PQresultErrorMessage(result)));
    absl::StatusCode code =
        state != nullptr ? CodeForSqlState(state) : absl::StatusCode::kUnavailable;
    if (PQstatus(conn_) != CONNECTION_OK) code = absl::StatusCode::kUnavailable;
    if (code == absl::StatusCode::kUnavailable && PQstatus(conn_) != CONNECTION_OK) Drop();
    if (code == absl::StatusCode::kUnavailable) in_transaction_ = false;
    absl::Status status =
        MakeError(ErrorKind::kDatabase, code,
                  fmt::format("PostgreSQL{}: {}", state ? fmt::format(" [{}]", state) : "",
                              message.empty() ? "connection lost" : message));
    const bool retryable =
        code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kAborted;
    return retryable ? MarkRetryable(std::move(status)) : status;
  }

  std::string conninfo_;
  SqlIoOptions io_;
  absl::Time deadline_ = absl::InfiniteFuture();
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> ConnectPostgres(const std::string& conninfo,
                                                               const SqlIoOptions& io) {
  HAYSTACK_RETURN_IF_ERROR(ValidatePostgresConninfo(conninfo));
  // Connected by the first statement, inside the store's retries: an outage at start-up is
  // waited out like any other.
  return std::make_unique<PostgresConnection>(conninfo, io);
}

}  // namespace haystack::store_internal
