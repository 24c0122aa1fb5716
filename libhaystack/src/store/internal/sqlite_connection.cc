// SqlConnection over SQLite: WAL journal, a busy timeout for concurrent writers (threads and
// processes), BEGIN IMMEDIATE for write transactions.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  absl::StatusCode code = absl::StatusCode::kInternal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = absl::StatusCode::kUnavailable;
  if (primary == SQLITE_CONSTRAINT) {
    code = (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
               ? absl::StatusCode::kAlreadyExists
               : absl::StatusCode::kFailedPrecondition;
  }
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL) {
    code = absl::StatusCode::kUnavailable;
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) code = absl::StatusCode::kDataLoss;
  absl::Status status =
      MakeError(ErrorKind::kDatabase, code,
                fmt::format("SQLite {}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  // Lock contention outlasting the busy timeout: worth retrying the whole transaction.
  const bool contended = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  return contended ? MarkRetryable(std::move(status)) : status;
}

// "$12" → "?12": SQLite numbers its parameters the same way with a different sigil.
std::string ToSqlitePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '$' && i + 1 < sql.size() &&
        std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back('?');
    } else {
      out.push_back(sql[i]);
    }
  }
  return out;
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, SqlIoOptions io) : db_(db), io_(std::move(io)) {
    // Lock waits that end on the caller's deadline and at once on shutdown, instead of
    // sqlite3_busy_timeout's fixed wait.
    sqlite3_busy_handler(db_, &SqliteConnection::OnBusy, this);
  }
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  void SetDeadline(absl::Time deadline) override { deadline_ = deadline; }

  absl::StatusOr<SqlResult> Execute(std::string_view sql,
                                    const std::vector<SqlParam>& params) override {
    const std::string text = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const auto& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* s = std::get_if<std::string>(&p)) {
        rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()),
                               SQLITE_TRANSIENT);
      } else if (const auto* n = std::get_if<int64_t>(&p)) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* d = std::get_if<double>(&p)) {
        rc = sqlite3_bind_double(stmt, index, *d);
      } else {
        rc = sqlite3_bind_int(stmt, index, std::get<bool>(p) ? 1 : 0);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind");
    }
    std::vector<std::string> columns;
    const int ncols = sqlite3_column_count(stmt);
    for (int c = 0; c < ncols; ++c) columns.emplace_back(sqlite3_column_name(stmt, c));
    std::vector<std::vector<std::optional<std::string>>> rows;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::optional<std::string>> row;
      row.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "step");
    return SqlResult(std::move(columns), std::move(rows), sqlite3_changes(db_));
  }

  absl::Status ExecuteScript(std::string_view sql) override {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      absl::Status status = SqliteError(db_, rc, "script");
      sqlite3_free(error);
      return status;
    }
    return absl::OkStatus();
  }

  absl::Status BeginWrite() override { return Run("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Run("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  // SQLite's busy handler: true (1) to wait and try again, 0 to give up with SQLITE_BUSY.
  static int OnBusy(void* self_ptr, int count) {
    auto* self = static_cast<SqliteConnection*>(self_ptr);
    const absl::Time now = absl::Now();
    if (count == 0) self->busy_since_ = now;
    if (self->io_.stop.stop_requested()) return 0;
    const absl::Time give_up =
        std::min(self->deadline_, self->busy_since_ + self->io_.busy_timeout);
    if (now >= give_up) return 0;
    const absl::Duration wait =
        std::min({absl::Milliseconds(1 << std::min(count, 6)), give_up - now});
    self->io_.stop.WaitFor(wait);
    return 1;
  }

  absl::Status Run(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
    return absl::OkStatus();
  }

  sqlite3* db_;
  SqlIoOptions io_;
  absl::Time deadline_ = absl::InfiniteFuture();
  absl::Time busy_since_;
};

absl::Status NotUsable(const std::filesystem::path& path, std::string_view why) {
  return ConfigurationError(fmt::format(
      "the SQLite run database {} cannot be used: {} (setting database_url)", path.string(), why));
}

// A path that cannot hold a writable database whatever happens later is a configuration error:
// a directory, a read-only file, or a directory where SQLite cannot create its journal files.
absl::Status CheckWritablePath(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status)) return NotUsable(path, "it is a directory");
  const std::filesystem::path parent =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (std::filesystem::exists(status) && ::access(path.c_str(), W_OK) != 0) {
    return NotUsable(path, fmt::format("the file is not writable ({})", std::strerror(errno)));
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    const int err = errno;
    if (err == EACCES || err == EROFS || err == ENOTDIR || err == EPERM) {
      return NotUsable(path, fmt::format("its directory {} is not writable ({})", parent.string(),
                                         std::strerror(err)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> ConnectSqlite(const std::string& path,
                                                             const SqlIoOptions& io) {
  if (path != ":memory:") {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec == std::errc::permission_denied || ec == std::errc::read_only_file_system ||
        ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
      return NotUsable(
          path, fmt::format("cannot create its directory {}: {}", parent.string(), ec.message()));
    }
    if (ec) {
      return MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                       fmt::format("cannot create directory {} for the run database: {}",
                                   parent.string(), ec.message()));
    }
    HAYSTACK_RETURN_IF_ERROR(CheckWritablePath(path));
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, fmt::format("open {}", path));
    sqlite3_close_v2(db);
    return status;
  }
  auto connection = std::make_unique<SqliteConnection>(db, io);
  sqlite3_extended_result_codes(db, 1);  // tell primary-key conflicts from other constraints
  // WAL lets readers (status polls) proceed while the job writes; NORMAL sync is durable
  // across process crashes in WAL mode, which is what a batch job needs.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto s = connection->Execute(pragma, {}); !s.ok()) return s.status();
  }
  return connection;
}

}  // namespace haystack::store_internal
