#include "haystack/store/open_run_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>
#include <thread>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/redact.h"
#include "internal/postgres_io.h"
#include "internal/sql_connection.h"
#include "sql_run_store.h"

namespace haystack {
namespace {

using store_internal::ListenerFactory;
using store_internal::SqlRunStore;

// SQLite has no notification channel, and behind a transaction pooler a LISTEN would stay on
// whichever server session ran it: the hint never comes and the caller's polling decides.
class PollingOnlyListener final : public CancellationListener {
 public:
  bool Wait(absl::Duration timeout) override {
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(timeout));
    return false;
  }
};

absl::StatusOr<std::unique_ptr<CancellationListener>> PollOnly(std::string_view) {
  return std::make_unique<PollingOnlyListener>();
}

// A dedicated libpq connection LISTENing on haystack_run_cancel; RequestCancellation sends the
// run id as payload.
class PostgresCancellationListener final : public CancellationListener {
 public:
  PostgresCancellationListener(PGconn* conn, std::string run_id,
                               std::shared_ptr<const Logger> logger)
      : conn_(conn), run_id_(std::move(run_id)), logger_(std::move(logger)) {}
  ~PostgresCancellationListener() override { PQfinish(conn_); }

  bool Wait(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (TakeMatchingNotification()) return true;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      if (PQstatus(conn_) != CONNECTION_OK) {
        // The hint channel is gone; polling still works, so degrade to sleeping.
        std::this_thread::sleep_for(absl::ToChronoMilliseconds(left));
        return false;
      }
      pollfd fd{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
      const int ms = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left)));
      if (poll(&fd, 1, ms) > 0) PQconsumeInput(conn_);
    }
  }

 private:
  bool TakeMatchingNotification() {
    bool matched = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      if (n->extra != nullptr && run_id_ == n->extra) matched = true;
      PQfreemem(n);
    }
    return matched;
  }

  PGconn* conn_;
  std::string run_id_;
  std::shared_ptr<const Logger> logger_;  // libpq's notice processor holds its address
};

// Opened within the connect timeout (and abandoned on shutdown): the hint is optional, and a job
// must never wait on it.
absl::StatusOr<std::unique_ptr<CancellationListener>> ListenOnPostgres(
    const std::string& conninfo, std::string_view run_id, const RunStoreOptions& options,
    std::shared_ptr<const Logger> logger) {
  store_internal::IoDeadline deadline(absl::Now() + options.connect_timeout, options.stop,
                                      absl::ZeroDuration());
  auto connected = store_internal::ConnectWithin(conninfo, deadline, logger.get());
  if (!connected.ok()) {
    return Annotate(connected.status(), "cannot open the cancellation listener");
  }
  PGconn* conn = *connected;
  bool ok = PQsetnonblocking(conn, 1) == 0 && PQsendQuery(conn, "LISTEN haystack_run_cancel") != 0;
  while (ok && PQflush(conn) == 1) ok = store_internal::WaitForSocket(conn, true, deadline);
  while (ok && PQisBusy(conn) != 0) {
    ok = store_internal::WaitForSocket(conn, false, deadline) && PQconsumeInput(conn) != 0;
  }
  while (ok) {
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  if (!ok) {
    std::string message = RedactSecrets(PQerrorMessage(conn));
    PQfinish(conn);
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                     fmt::format("LISTEN haystack_run_cancel failed: {}",
                                 message.empty() ? "no answer in time" : message));
  }
  return std::make_unique<PostgresCancellationListener>(conn, std::string(run_id),
                                                        std::move(logger));
}

store_internal::SqlIoOptions IoOptions(const RunStoreOptions& options) {
  return {.connect_timeout = options.connect_timeout,
          .statement_timeout = options.statement_timeout,
          .busy_timeout = options.busy_timeout,
          .stop = options.stop,
          .stop_grace = options.stop_grace,
          .transaction_pooling = options.pooling == PostgresPooling::kTransaction,
          .logger = options.logger};
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://") ||
         (url.find('=') != std::string_view::npos && !url.starts_with("sqlite:"));
}

// sqlite:///abs.db → /abs.db; sqlite:rel.db → rel.db; sqlite::memory: → :memory:; a bare path
// ending in a SQLite extension is taken as is.
std::optional<std::string> SqlitePath(std::string_view url) {
  if (url.starts_with("sqlite://")) return std::string(url.substr(9));
  if (url.starts_with("sqlite:")) return std::string(url.substr(7));
  for (std::string_view ext : {".db", ".sqlite", ".sqlite3"}) {
    if (url.ends_with(ext)) return std::string(url);
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunStore>> OpenRunStore(std::string_view url,
                                                       const RunStoreOptions& options) {
  if (IsPostgresUrl(url)) {
    const std::string conninfo(url);
    HAYSTACK_ASSIGN_OR_RETURN(auto db,
                              store_internal::ConnectPostgres(conninfo, IoOptions(options)));
    ListenerFactory listen = PollOnly;
    if (options.pooling == PostgresPooling::kNone) {
      auto logger = std::make_shared<const Logger>(options.logger);  // outlives every listener
      listen = [conninfo, options, logger](std::string_view run_id) {
        return ListenOnPostgres(conninfo, run_id, options, logger);
      };
    }
    return SqlRunStore::Open(std::move(db), listen, options);
  }
  if (auto path = SqlitePath(url)) {
    if (path->empty()) return ConfigurationError("the SQLite database URL names no file");
    HAYSTACK_ASSIGN_OR_RETURN(auto db, store_internal::ConnectSqlite(*path, IoOptions(options)));
    return SqlRunStore::Open(std::move(db), PollOnly, options);
  }
  return ConfigurationError(
      fmt::format("unsupported database URL '{}': use postgresql://…, a libpq key=value string, "
                  "sqlite:///path.db or a path ending in .db",
                  RedactSecrets(url)));
}

}  // namespace haystack
