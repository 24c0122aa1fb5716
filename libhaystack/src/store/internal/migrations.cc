#include "internal/migrations.h"

#include <string>
#include <vector>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"

namespace haystack::store_internal {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* postgres;
  const char* sqlite;
};

// Version 1: the runs table of the public specification plus the batch job's bookkeeping, the
// notification ledger and the event history. On PostgreSQL the runs table may already exist,
// created by the web API with the specification's columns: it is extended in place.
constexpr char kV1Postgres[] = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR(64) PRIMARY KEY,
  raw_query TEXT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending'
);
ALTER TABLE runs
  ADD COLUMN IF NOT EXISTS user_email TEXT,
  ADD COLUMN IF NOT EXISTS batch_job_name VARCHAR(256),
  ADD COLUMN IF NOT EXISTS control_strategy VARCHAR(32) NOT NULL DEFAULT 'synthetic_control',
  ADD COLUMN IF NOT EXISTS control_strategy_effective VARCHAR(32),
  ADD COLUMN IF NOT EXISTS control_cells_available BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN IF NOT EXISTS structured_query JSONB,
  ADD COLUMN IF NOT EXISTS config JSONB NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS random_seed BIGINT,
  ADD COLUMN IF NOT EXISTS start_time TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS end_time TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS current_phase VARCHAR(32),
  ADD COLUMN IF NOT EXISTS current_iteration INT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS iterations JSONB NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS grounding_scores JSONB NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS final_score INT,
  ADD COLUMN IF NOT EXISTS best_iteration INT,
  ADD COLUMN IF NOT EXISTS termination_reason VARCHAR(256),
  ADD COLUMN IF NOT EXISTS error_type VARCHAR(64),
  ADD COLUMN IF NOT EXISTS error_message TEXT,
  ADD COLUMN IF NOT EXISTS error_phase VARCHAR(32),
  ADD COLUMN IF NOT EXISTS error_iteration INT,
  ADD COLUMN IF NOT EXISTS output_anndata_path VARCHAR(1024),
  ADD COLUMN IF NOT EXISTS output_report_path VARCHAR(1024),
  ADD COLUMN IF NOT EXISTS output_log_path VARCHAR(1024),
  ADD COLUMN IF NOT EXISTS attempt INT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS lease_owner TEXT,
  ADD COLUMN IF NOT EXISTS lease_expires_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS cancel_requested_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS runs_status_idx ON runs (status);

CREATE TABLE IF NOT EXISTS notifications (
  run_id VARCHAR(64) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  kind VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  recipient TEXT NOT NULL DEFAULT '',
  attempts INT NOT NULL DEFAULT 0,
  provider VARCHAR(32) NOT NULL DEFAULT '',
  provider_message_id TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  sent_at TIMESTAMPTZ,
  PRIMARY KEY (run_id, kind)
);

CREATE TABLE IF NOT EXISTS run_events (
  id BIGSERIAL PRIMARY KEY,
  run_id VARCHAR(64) NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  attempt INT NOT NULL DEFAULT 0,
  kind VARCHAR(32) NOT NULL,
  phase VARCHAR(32),
  iteration INT,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS run_events_run_idx ON run_events (run_id, id);
)sql";

constexpr char kV1Sqlite[] = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  user_email TEXT,
  status TEXT NOT NULL DEFAULT 'pending',
  batch_job_name TEXT,
  control_strategy TEXT NOT NULL DEFAULT 'synthetic_control',
  control_strategy_effective TEXT,
  control_cells_available INTEGER NOT NULL DEFAULT 0,
  raw_query TEXT NOT NULL,
  structured_query TEXT,
  config TEXT NOT NULL DEFAULT '{}',
  random_seed INTEGER,
  start_time TEXT,
  end_time TEXT,
  current_phase TEXT,
  current_iteration INTEGER NOT NULL DEFAULT 0,
  iterations TEXT NOT NULL DEFAULT '[]',
  grounding_scores TEXT NOT NULL DEFAULT '[]',
  final_score INTEGER,
  best_iteration INTEGER,
  termination_reason TEXT,
  error_type TEXT,
  error_message TEXT,
  error_phase TEXT,
  error_iteration INTEGER,
  output_anndata_path TEXT,
  output_report_path TEXT,
  output_log_path TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at TEXT,
  cancel_requested_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_status_idx ON runs (status);

CREATE TABLE IF NOT EXISTS notifications (
  run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  recipient TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  provider TEXT NOT NULL DEFAULT '',
  provider_message_id TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  PRIMARY KEY (run_id, kind)
);

CREATE TABLE IF NOT EXISTS run_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  at TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  kind TEXT NOT NULL,
  phase TEXT,
  iteration INTEGER,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS run_events_run_idx ON run_events (run_id, id);
)sql";

// Version 2: writes that know their own outcome. Each write records its request id in its
// run_events row (unique), so that a retry after a lost acknowledgement recognises its own
// committed write; a notification claim names its claimant and expires, so that a `sending` left
// by a dead execution is taken over and sent again (docs/operations.md "Emails").
constexpr char kV2Postgres[] = R"sql(
ALTER TABLE run_events ADD COLUMN IF NOT EXISTS request_id VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS run_events_request_idx ON run_events (request_id)
  WHERE request_id IS NOT NULL;
ALTER TABLE notifications
  ADD COLUMN IF NOT EXISTS claimed_by TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS claim_expires_at TIMESTAMPTZ;
)sql";

constexpr char kV2Sqlite[] = R"sql(
ALTER TABLE run_events ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS run_events_request_idx ON run_events (request_id)
  WHERE request_id IS NOT NULL;
ALTER TABLE notifications ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN claim_expires_at TEXT;
)sql";

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "runs, notifications and run_events", kV1Postgres, kV1Sqlite},
      {2, "request ids and notification claims", kV2Postgres, kV2Sqlite},
  };
  return kMigrations;
}

}  // namespace

absl::StatusOr<int> CurrentSchemaVersion(SqlConnection& db) {
  auto result = db.Execute("SELECT COALESCE(MAX(version), 0) AS v FROM haystack_schema_migrations");
  if (!result.ok()) return result.status();
  return std::stoi(result->Get(0, "v").value_or("0"));
}

absl::StatusOr<int> ApplyMigrations(SqlConnection& db, absl::Time now) {
  // Almost always the schema is current: one read and no lock, so that many jobs starting
  // together do not queue on the migration lock (measured: docs/operations.md, "Many jobs at
  // once"). A missing table or any other failure takes the locked path below.
  if (auto current = CurrentSchemaVersion(db); current.ok() && *current == kSchemaVersion) {
    return *current;
  }
  // Everything happens in one transaction, serialised against concurrent migrators (jobs
  // starting together): PostgreSQL DDL is transactional, and SQLite's BEGIN IMMEDIATE holds
  // the write lock.
  HAYSTACK_RETURN_IF_ERROR(db.BeginWrite());
  auto fail = [&](const absl::Status& s, std::string_view context) {
    db.Rollback();
    return Annotate(s, context);
  };
  if (db.dialect() == SqlDialect::kPostgres) {
    // The lock number is arbitrary but fixed; it is released at commit.
    if (auto r = db.Execute("SELECT pg_advisory_xact_lock(7240733)"); !r.ok()) {
      return fail(r.status(), "locking the schema");
    }
  }
  if (auto s = db.ExecuteScript(
          "CREATE TABLE IF NOT EXISTS haystack_schema_migrations ("
          " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
      !s.ok()) {
    return fail(s, "creating haystack_schema_migrations");
  }
  auto current = CurrentSchemaVersion(db);
  if (!current.ok()) return fail(current.status(), "reading the schema version");
  if (*current > kSchemaVersion) {
    db.Rollback();
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     fmt::format("the run database is at schema version {}, newer than this "
                                 "haystack-orchestrator understands ({}); upgrade the job image",
                                 *current, kSchemaVersion));
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= *current) continue;
    const std::string context = fmt::format("schema migration {} ({})", m.version, m.name);
    const char* script = db.dialect() == SqlDialect::kPostgres ? m.postgres : m.sqlite;
    if (auto s = db.ExecuteScript(script); !s.ok()) return fail(s, context);
    auto insert = db.Execute(
        "INSERT INTO haystack_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        {static_cast<int64_t>(m.version), std::string(m.name), FormatTimestamp(now)});
    if (!insert.ok()) return fail(insert.status(), context);
  }
  if (auto s = db.Commit(); !s.ok()) return fail(s, "committing schema migrations");
  return CurrentSchemaVersion(db);
}

}  // namespace haystack::store_internal
