// SqlConnection over libpq: parameterised statements only (PQexecParams), text results,
// reconnect on the next call after a lost connection.
#include <libpq-fe.h>

#include <cstring>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/redact.h"
#include "internal/postgres_notices.h"
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
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (state.substr(0, 2) == "22" || state.substr(0, 2) == "23") {
    return absl::StatusCode::kInvalidArgument;
  }
  return absl::StatusCode::kInternal;
}

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(std::string conninfo, Logger logger)
      : conninfo_(std::move(conninfo)), logger_(std::move(logger)) {}
  ~PostgresConnection() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  absl::Status Connect() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    conn_ = ConnectLoggingNotices(conninfo_, &logger_);
    if (conn_ == nullptr) {
      return MarkRetryable(MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                                     "cannot connect to PostgreSQL: timeout expired"));
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = RedactSecrets(PQerrorMessage(conn_));
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
      }
      PQfinish(conn_);
      conn_ = nullptr;
      return MarkRetryable(MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                                     fmt::format("cannot connect to PostgreSQL: {}", message)));
    }
    // UTC timestamps in ISO format, and no hanging forever on a lock or a runaway statement.
    for (const char* setup :
         {"SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO'", "SET statement_timeout = '60s'",
          "SET lock_timeout = '30s'", "SET client_min_messages = warning"}) {
      PGresult* r = PQexec(conn_, setup);
      PQclear(r);
    }
    return absl::OkStatus();
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  absl::StatusOr<SqlResult> Execute(std::string_view sql,
                                    const std::vector<SqlParam>& params) override {
    if (in_transaction_ && (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK)) {
      return LostConnection();
    }
    if (auto s = Connect(); !s.ok()) return s;
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) continue;
      if (const auto* s = std::get_if<std::string>(&p)) {
        texts[i] = *s;
      } else if (const auto* n = std::get_if<int64_t>(&p)) {
        texts[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&p)) {
        texts[i] = fmt::format("{}", *d);
      } else {
        texts[i] = std::get<bool>(p) ? "true" : "false";
      }
      values[i] = texts[i].c_str();
    }
    PGresult* result =
        PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                     values.data(), nullptr, nullptr, /*resultFormat=*/0);
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(result, PQclear);
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return ResultError(result);
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

  absl::Status ExecuteScript(std::string_view sql) override {
    if (auto s = Connect(); !s.ok()) return s;
    PGresult* result = PQexec(conn_, std::string(sql).c_str());
    std::unique_ptr<PGresult, void (*)(PGresult*)> guard(result, PQclear);
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return ResultError(result);
    return absl::OkStatus();
  }

  absl::Status BeginWrite() override {
    auto r = Execute("BEGIN", {});
    if (!r.ok()) return r.status();
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
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
  }

 private:
  absl::Status LostConnection() {
    in_transaction_ = false;
    return MarkRetryable(MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                                   "lost the connection to PostgreSQL during a transaction"));
  }

  absl::Status ResultError(PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = RedactSecrets(PQresultErrorMessage(result));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    absl::StatusCode code =
        state != nullptr ? CodeForSqlState(state) : absl::StatusCode::kUnavailable;
    if (PQstatus(conn_) != CONNECTION_OK) code = absl::StatusCode::kUnavailable;
    if (code == absl::StatusCode::kUnavailable) {
      PQfinish(conn_);  // reconnect on the next call
      conn_ = nullptr;
      in_transaction_ = false;
    }
    absl::Status status =
        MakeError(ErrorKind::kDatabase, code,
                  fmt::format("PostgreSQL{}: {}", state ? fmt::format(" [{}]", state) : "",
                              message.empty() ? "connection lost" : message));
    const bool retryable =
        code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kAborted;
    return retryable ? MarkRetryable(std::move(status)) : status;
  }

  std::string conninfo_;
  Logger logger_;  // notices; its address is given to libpq
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> ConnectPostgres(const std::string& conninfo,
                                                               Logger logger) {
  auto connection = std::make_unique<PostgresConnection>(conninfo, std::move(logger));
  if (auto s = connection->Connect(); !s.ok()) return s;
  return connection;
}

}  // namespace haystack::store_internal
