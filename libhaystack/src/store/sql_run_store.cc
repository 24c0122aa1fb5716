#include "sql_run_store.h"

#include <algorithm>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"
#include "internal/migrations.h"
#include "internal/run_codec.h"

namespace haystack::store_internal {
namespace {

SqlParam Text(std::string_view value) { return std::string(value); }
SqlParam Int(int64_t value) { return value; }
template <class T>
SqlParam Optional(const std::optional<T>& value) {
  if (!value) return nullptr;
  if constexpr (std::is_same_v<T, std::string>) {
    return *value;
  } else {
    return static_cast<int64_t>(*value);
  }
}
template <class E>
SqlParam OptionalEnum(const std::optional<E>& value) {
  if (!value) return nullptr;
  return std::string(EnumName(*value));
}
absl::Status NoSuchRun(std::string_view run_id) {
  return MakeError(
      ErrorKind::kDatabase, absl::StatusCode::kNotFound,
      fmt::format("no run with run_id '{}' in the run database", QuoteForMessage(run_id, 80)));
}

std::string ScoredMessage(const IterationRecord& record) {
  const std::optional<int> score = CompositeScore(record.grounding_score);
  return score ? fmt::format("iteration {} scored {}", record.iteration_number, *score)
               : fmt::format("iteration {} could not be scored", record.iteration_number);
}

std::string DescribeEnd(const Run& run) {
  return fmt::format("status {}, termination_reason {}", EnumName(run.status),
                     run.termination_reason ? EnumName(*run.termination_reason) : "none");
}

}  // namespace

WriteRequest::WriteRequest(std::string_view run) : run_id(std::string(run)), id(NewRequestId()) {}

absl::StatusOr<std::unique_ptr<RunStore>> SqlRunStore::Open(std::unique_ptr<SqlConnection> db,
                                                            ListenerFactory listen,
                                                            const RunStoreOptions& options) {
  std::unique_ptr<SqlRunStore> store(new SqlRunStore(std::move(db), std::move(listen), options));
  // Jobs starting together race to migrate; the loser waits on the lock and finds nothing to do.
  absl::Status migrated = store->Retrying([&](SqlConnection& conn, int) {
    return ApplyMigrations(conn, options.clock->Now()).status();
  });
  if (!migrated.ok()) return Annotate(migrated, "preparing the run database");
  return std::unique_ptr<RunStore>(std::move(store));
}

std::string SqlRunStore::Now() const { return FormatTimestamp(options_.clock->Now()); }

absl::Time SqlRunStore::OutageDeadline() {
  std::lock_guard lock(outage_mu_);
  return outage_since_ ? *outage_since_ + options_.retry.budget : absl::InfiniteFuture();
}

void SqlRunStore::NoteOutcome(bool reachable) {
  std::lock_guard lock(outage_mu_);
  if (reachable) {
    outage_since_.reset();
  } else if (!outage_since_) {
    outage_since_ = options_.clock->Now();
  }
}

absl::Time SqlRunStore::AttemptDeadline(const RetryLoop& retry) const {
  // An attempt may use what is left of the budget, and at least the stop grace: an operation
  // that starts after the budget was spent by others still makes one short attempt.
  return absl::Now() + std::max(retry.Remaining(), options_.stop_grace);
}

absl::Status SqlRunStore::Retrying(
    const std::function<absl::Status(SqlConnection&, int)>& attempt) {
  RetryLoop retry(options_.retry, *options_.clock, options_.stop, OutageDeadline());
  if (options_.stop.stop_requested() && OutageDeadline() != absl::InfiniteFuture()) {
    // Shutting down during an outage: not even one more attempt (it could only wait).
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                     "the run database is unreachable and the job is stopping");
  }
  while (true) {
    absl::Status status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      db_->SetDeadline(AttemptDeadline(retry));
      status = attempt(*db_, retry.attempts());
    }
    if (!IsRetryableSqlError(status)) {
      NoteOutcome(/*reachable=*/true);
      return status;
    }
    NoteOutcome(/*reachable=*/false);
    if (!retry.WaitBeforeRetry()) {
      const std::string why =
          retry.stopped() ? "the job is stopping"
                          : fmt::format("unreachable or contended for {} (the retry budget)",
                                        absl::FormatDuration(options_.retry.budget));
      // Transient whatever the last attempt said: a re-execution may succeed.
      return MakeError(ErrorKind::kDatabase,
                       status.code() == absl::StatusCode::kAborted ? absl::StatusCode::kAborted
                                                                   : absl::StatusCode::kUnavailable,
                       fmt::format("the run database gave up after {} attempt(s), {}: {}",
                                   retry.attempts(), why, std::string(status.message())));
    }
  }
}

absl::StatusOr<bool> SqlRunStore::IsRecorded(SqlConnection& db, const WriteRequest& request,
                                             bool lock_run) {
  if (lock_run && db.dialect() == SqlDialect::kPostgres) {
    HAYSTACK_RETURN_IF_ERROR(
        db.Execute("SELECT run_id FROM runs WHERE run_id = $1 FOR UPDATE", {Text(request.run_id)})
            .status());
  }
  HAYSTACK_ASSIGN_OR_RETURN(
      SqlResult rows,
      db.Execute("SELECT id FROM run_events WHERE request_id = $1", {Text(request.id)}));
  return !rows.empty();
}

absl::Status SqlRunStore::Transaction(WriteRequest* request, const Body& body) {
  return Retrying([&](SqlConnection& db, int attempt) -> absl::Status {
    // Only a retry can find its own earlier commit (a COMMIT whose acknowledgement was lost).
    const bool retry = request != nullptr && attempt > 1;
    HAYSTACK_RETURN_IF_ERROR(db.BeginWrite());
    absl::Status status;
    if (retry) {
      absl::StatusOr<bool> recorded = IsRecorded(db, *request, /*lock_run=*/true);
      status = recorded.status();
      if (recorded.ok() && *recorded) request->recognized = true;
    }
    if (status.ok() && !(request != nullptr && request->recognized)) status = body(db);
    if (status.ok()) status = db.Commit();
    if (status.ok()) return status;
    db.Rollback();
    if (retry && !IsRetryableSqlError(status)) {
      // A refusal on a retry may be the effect of our own earlier commit, finished by the
      // server only after this attempt's check (PostgreSQL: a lock this write did not take).
      absl::StatusOr<bool> recorded = IsRecorded(db, *request, /*lock_run=*/false);
      if (recorded.ok() && *recorded) {
        request->recognized = true;
        return absl::OkStatus();
      }
    }
    return status;
  });
}

absl::StatusOr<SqlResult> SqlRunStore::Query(std::string_view sql,
                                             const std::vector<SqlParam>& params) {
  SqlResult result;
  HAYSTACK_RETURN_IF_ERROR(Retrying([&](SqlConnection& db, int) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(result, db.Execute(sql, params));
    return absl::OkStatus();
  }));
  return result;
}

absl::Status SqlRunStore::InsertEvent(SqlConnection& db, const RunEvent& event,
                                      const WriteRequest* request) {
  return db
      .Execute(
          "INSERT INTO run_events (run_id, at, attempt, kind, phase, iteration, message, "
          "request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          {Text(event.run_id), FormatTimestamp(event.at), Int(event.attempt), Text(event.kind),
           OptionalEnum(event.phase), Optional(event.iteration), Text(event.message),
           request != nullptr ? SqlParam(request->id) : SqlParam(nullptr)})
      .status();
}

absl::StatusOr<Run> SqlRunStore::LoadForWrite(SqlConnection& db, std::string_view run_id,
                                              const Lease* lease, std::string_view action) {
  const char* lock = db.dialect() == SqlDialect::kPostgres ? " FOR UPDATE" : "";
  HAYSTACK_ASSIGN_OR_RETURN(
      SqlResult rows,
      db.Execute(fmt::format("SELECT * FROM runs WHERE run_id = $1{}", lock), {Text(run_id)}));
  if (rows.empty()) return NoSuchRun(run_id);
  Run run = DecodeRun(rows, 0);
  if (IsFinalized(run)) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                     fmt::format("cannot {} run {}: it is already finalized ({})", action,
                                 run.run_id, DescribeEnd(run)));
  }
  if (lease != nullptr && (run.lease_owner != lease->owner || run.attempt != lease->attempt)) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kAborted,
                     fmt::format("cannot {} run {}: the lease of attempt {} by {} was lost "
                                 "(now attempt {} by {})",
                                 action, run.run_id, lease->attempt, lease->owner, run.attempt,
                                 run.lease_owner.value_or("nobody")));
  }
  return run;
}

absl::Status SqlRunStore::CreateRun(const Run& run) {
  if (run.run_id.empty()) {
    return InvalidInputError(ErrorKind::kDatabase, "cannot create a run without a run_id");
  }
  // Both databases must behave alike: PostgreSQL refuses these bytes in text, so SQLite must too.
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"run_id", &run.run_id},
        {"user_email", &run.user_email},
        {"raw_query", &run.raw_query},
        {"config", &run.config_json}}) {
    if (!IsValidUtf8(*value) || value->find('\0') != std::string::npos) {
      return InvalidInputError(
          ErrorKind::kDatabase,
          fmt::format("cannot store run {}: {} contains NUL bytes or invalid UTF-8",
                      QuoteForMessage(run.run_id, 80), field));
    }
  }
  if (absl::Status valid = ValidateRunId(run.run_id, "run_id"); !valid.ok()) {
    return InvalidInputError(ErrorKind::kDatabase,
                             fmt::format("cannot store the run: {}", std::string(valid.message())));
  }
  const std::string now = Now();
  WriteRequest request(run.run_id);
  return Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    auto inserted = db.Execute(
        "INSERT INTO runs (run_id, user_email, status, control_strategy, raw_query, config, "
        "random_seed, control_cells_available, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        {Text(run.run_id), Text(run.user_email), std::string(EnumName(run.status)),
         std::string(EnumName(run.control_strategy)), Text(run.raw_query), Text(run.config_json),
         Optional(run.random_seed), run.control_cells_available, now});
    if (!inserted.ok()) {
      if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
        return MakeError(
            ErrorKind::kDatabase, absl::StatusCode::kAlreadyExists,
            fmt::format("a run with run_id '{}' already exists", QuoteForMessage(run.run_id, 80)));
      }
      return Annotate(inserted.status(), fmt::format("creating run {}", run.run_id));
    }
    return InsertEvent(db,
                       {.run_id = run.run_id,
                        .at = options_.clock->Now(),
                        .kind = "created",
                        .message = "run created"},
                       &request);
  });
}

absl::StatusOr<Run> SqlRunStore::GetRun(std::string_view run_id) {
  HAYSTACK_ASSIGN_OR_RETURN(SqlResult rows,
                            Query("SELECT * FROM runs WHERE run_id = $1", {Text(run_id)}));
  if (rows.empty()) return NoSuchRun(run_id);
  return DecodeRun(rows, 0);
}

absl::StatusOr<Lease> SqlRunStore::ClaimRun(std::string_view run_id, std::string_view owner,
                                            absl::Duration lease_duration) {
  Lease lease;
  WriteRequest request(run_id);
  HAYSTACK_RETURN_IF_ERROR(Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    const absl::Time now = options_.clock->Now();
    HAYSTACK_ASSIGN_OR_RETURN(Run run, LoadForWrite(db, run_id, nullptr, "claim"));
    const bool held_by_other = run.lease_owner && *run.lease_owner != owner &&
                               run.lease_expires_at && *run.lease_expires_at > now;
    if (held_by_other) {
      return MakeError(
          ErrorKind::kDatabase, absl::StatusCode::kAborted,
          fmt::format("run {} is being executed by {} (attempt {}, lease until {})", run.run_id,
                      *run.lease_owner, run.attempt, FormatTimestamp(*run.lease_expires_at)));
    }
    lease = {.run_id = run.run_id,
             .owner = std::string(owner),
             .attempt = run.attempt + 1,
             .expires_at = now + lease_duration};
    // The row is locked (PostgreSQL) or the database is (SQLite): the guard repeats the
    // check only to make the write safe on its own.
    HAYSTACK_ASSIGN_OR_RETURN(
        SqlResult updated,
        db.Execute("UPDATE runs SET attempt = $2, lease_owner = $3, lease_expires_at = $4, "
                   "status = CASE WHEN status = 'pending' THEN 'running' ELSE status END, "
                   "start_time = COALESCE(start_time, $5), updated_at = $5 "
                   "WHERE run_id = $1 AND attempt = $6 AND termination_reason IS NULL",
                   {Text(run.run_id), Int(lease.attempt), Text(owner),
                    FormatTimestamp(lease.expires_at), FormatTimestamp(now), Int(run.attempt)}));
    if (updated.affected_rows() != 1) {
      return MakeError(ErrorKind::kDatabase, absl::StatusCode::kAborted,
                       fmt::format("run {} was claimed concurrently", run.run_id));
    }
    return InsertEvent(db,
                       {.run_id = run.run_id,
                        .at = now,
                        .attempt = lease.attempt,
                        .kind = "claimed",
                        .message = fmt::format("claimed by {}", owner)},
                       &request);
  }));
  if (request.recognized) {
    // Our claim committed; its acknowledgement was lost. The row holds the lease we took,
    // unless it has already expired and been taken over.
    HAYSTACK_ASSIGN_OR_RETURN(Run run, GetRun(run_id));
    if (run.lease_owner != owner || !run.lease_expires_at) {
      return MakeError(
          ErrorKind::kDatabase, absl::StatusCode::kAborted,
          fmt::format("run {} was claimed by this execution, then taken over", run.run_id));
    }
    lease = {.run_id = run.run_id,
             .owner = std::string(owner),
             .attempt = run.attempt,
             .expires_at = *run.lease_expires_at};
  }
  return lease;
}

absl::Status SqlRunStore::RenewLease(Lease& lease, absl::Duration lease_duration) {
  const absl::Time expires = options_.clock->Now() + lease_duration;
  // No request id: renewing twice is renewing once.
  HAYSTACK_RETURN_IF_ERROR(Transaction(nullptr, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(LoadForWrite(db, lease.run_id, &lease, "renew the lease of").status());
    return db
        .Execute(
            "UPDATE runs SET lease_expires_at = $4 "
            "WHERE run_id = $1 AND lease_owner = $2 AND attempt = $3",
            {Text(lease.run_id), Text(lease.owner), Int(lease.attempt), FormatTimestamp(expires)})
        .status();
  }));
  lease.expires_at = expires;
  return absl::OkStatus();
}

absl::Status SqlRunStore::ReleaseLease(const Lease& lease) {
  WriteRequest request(lease.run_id);
  return Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(LoadForWrite(db, lease.run_id, &lease, "release").status());
    HAYSTACK_RETURN_IF_ERROR(
        db.Execute("UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 "
                   "WHERE run_id = $1 AND lease_owner = $2 AND attempt = $3",
                   {Text(lease.run_id), Text(lease.owner), Int(lease.attempt), Now()})
            .status());
    return InsertEvent(db,
                       {.run_id = lease.run_id,
                        .at = options_.clock->Now(),
                        .attempt = lease.attempt,
                        .kind = "released",
                        .message = "lease released without finishing (checkpointed)"},
                       &request);
  });
}

absl::Status SqlRunStore::UpdateProgress(const Lease& lease, const RunProgress& progress) {
  std::vector<std::string> sets = {"updated_at = $4"};
  std::vector<SqlParam> params = {Text(lease.run_id), Text(lease.owner), Int(lease.attempt), Now()};
  auto set = [&](std::string_view column, SqlParam value) {
    params.push_back(std::move(value));
    sets.push_back(fmt::format("{} = ${}", column, params.size()));
  };
  if (progress.phase) set("current_phase", std::string(EnumName(*progress.phase)));
  if (progress.iteration) set("current_iteration", Int(*progress.iteration));
  if (progress.structured_query) set("structured_query", ToJson(*progress.structured_query));
  if (progress.control_strategy_effective) {
    set("control_strategy_effective", std::string(EnumName(*progress.control_strategy_effective)));
  }
  if (progress.control_cells_available) {
    set("control_cells_available", *progress.control_cells_available);
  }
  if (progress.random_seed) set("random_seed", Int(*progress.random_seed));
  const std::string sql =
      fmt::format("UPDATE runs SET {} WHERE run_id = $1 AND lease_owner = $2 AND attempt = $3",
                  fmt::join(sets, ", "));
  // Only a phase change appends an event, so only it needs recognising; the columns alone are
  // idempotent.
  std::optional<WriteRequest> request;
  if (progress.phase) request.emplace(lease.run_id);
  return Transaction(request ? &*request : nullptr, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(LoadForWrite(db, lease.run_id, &lease, "update").status());
    HAYSTACK_RETURN_IF_ERROR(db.Execute(sql, params).status());
    if (!progress.phase) return absl::OkStatus();
    return InsertEvent(db,
                       {.run_id = lease.run_id,
                        .at = options_.clock->Now(),
                        .attempt = lease.attempt,
                        .kind = "phase",
                        .phase = progress.phase,
                        .iteration = progress.iteration,
                        .message = fmt::format("entered {}", EnumName(*progress.phase))},
                       &*request);
  });
}

absl::Status SqlRunStore::RecordIteration(const Lease& lease, const IterationRecord& record) {
  HAYSTACK_RETURN_IF_ERROR(Validate(record));
  WriteRequest request(lease.run_id);
  return Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(Run run,
                              LoadForWrite(db, lease.run_id, &lease, "record an iteration of"));
    std::vector<IterationRecord> iterations = run.iterations;
    std::erase_if(iterations, [&](const IterationRecord& r) {
      return r.iteration_number == record.iteration_number;
    });
    iterations.push_back(record);
    std::sort(iterations.begin(), iterations.end(),
              [](const auto& a, const auto& b) { return a.iteration_number < b.iteration_number; });
    std::vector<std::optional<int>> scores;
    for (const auto& r : iterations) scores.push_back(CompositeScore(r.grounding_score));
    HAYSTACK_RETURN_IF_ERROR(
        db.Execute("UPDATE runs SET iterations = $4, grounding_scores = $5, "
                   "current_iteration = $6, updated_at = $7 "
                   "WHERE run_id = $1 AND lease_owner = $2 AND attempt = $3",
                   {Text(lease.run_id), Text(lease.owner), Int(lease.attempt), ToJson(iterations),
                    ToJson(scores), Int(record.iteration_number), Now()})
            .status());
    return InsertEvent(db,
                       {.run_id = lease.run_id,
                        .at = options_.clock->Now(),
                        .attempt = lease.attempt,
                        .kind = "iteration",
                        .iteration = record.iteration_number,
                        .message = ScoredMessage(record)},
                       &request);
  });
}

absl::StatusOr<Run> SqlRunStore::FinishRun(const Lease& lease, const TerminalUpdate& update) {
  if (!IsTerminal(update.status)) {
    return InternalError(
        fmt::format("FinishRun needs a terminal status, got {}", EnumName(update.status)));
  }
  WriteRequest request(lease.run_id);
  HAYSTACK_RETURN_IF_ERROR(Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(Run run, LoadForWrite(db, lease.run_id, &lease, "finish"));
    const bool cancel_requested = IsCancellationRequested(run);
    if (update.status != RunStatus::kCancelled && cancel_requested) {
      return MakeError(ErrorKind::kCancelled, absl::StatusCode::kFailedPrecondition,
                       fmt::format("run {} cannot end {}: cancellation was requested", run.run_id,
                                   EnumName(update.status)));
    }
    const absl::Time now = options_.clock->Now();
    std::vector<SqlParam> params = {
        Text(lease.run_id),
        Text(lease.owner),
        Int(lease.attempt),
        std::string(EnumName(update.status)),
        std::string(EnumName(update.reason)),
        FormatTimestamp(now),
        Optional(update.final_score),
        Optional(update.best_iteration),
        update.error ? SqlParam(update.error->error_type) : SqlParam(nullptr),
        update.error ? SqlParam(update.error->message) : SqlParam(nullptr),
        update.error ? OptionalEnum(update.error->phase) : SqlParam(nullptr),
        update.error ? Optional(update.error->iteration) : SqlParam(nullptr),
        Optional(update.output_anndata_path),
        Optional(update.output_report_path),
        Optional(update.output_log_path),
    };
    // The guard repeats, in SQL, every check above: it is what makes the write safe against a
    // concurrent cancellation on engines without row locks.
    const std::string guard = update.status == RunStatus::kCancelled
                                  ? ""
                                  : " AND cancel_requested_at IS NULL AND status <> 'cancelled'";
    HAYSTACK_ASSIGN_OR_RETURN(
        SqlResult updated,
        db.Execute("UPDATE runs SET status = $4, termination_reason = $5, end_time = $6, "
                   "updated_at = $6, final_score = $7, best_iteration = $8, error_type = $9, "
                   "error_message = $10, error_phase = $11, error_iteration = $12, "
                   "output_anndata_path = COALESCE($13, output_anndata_path), "
                   "output_report_path = COALESCE($14, output_report_path), "
                   "output_log_path = COALESCE($15, output_log_path), "
                   "lease_owner = NULL, lease_expires_at = NULL "
                   "WHERE run_id = $1 AND lease_owner = $2 AND attempt = $3 "
                   "AND termination_reason IS NULL" +
                       guard,
                   params));
    if (updated.affected_rows() != 1) {
      return MakeError(ErrorKind::kCancelled, absl::StatusCode::kFailedPrecondition,
                       fmt::format("run {} cannot end {}: cancellation was requested", lease.run_id,
                                   EnumName(update.status)));
    }
    if (update.notification) {
      const std::string at = FormatTimestamp(now);
      HAYSTACK_RETURN_IF_ERROR(
          db.Execute("INSERT INTO notifications (run_id, kind, status, recipient, created_at, "
                     "updated_at) VALUES ($1, $2, 'pending', $3, $4, $4) "
                     "ON CONFLICT (run_id, kind) DO NOTHING",
                     {Text(lease.run_id), std::string(EnumName(*update.notification)),
                      Text(update.notification_recipient), at})
              .status());
    }
    return InsertEvent(
        db,
        {.run_id = lease.run_id,
         .at = now,
         .attempt = lease.attempt,
         .kind = "finished",
         .message = fmt::format(
             "{} ({}){}", EnumName(update.status), EnumName(update.reason),
             update.error ? fmt::format(": {}: {}", update.error->error_type, update.error->message)
                          : "")},
        &request);
  }));
  return GetRun(lease.run_id);
}

absl::Status SqlRunStore::RequestCancellation(std::string_view run_id) {
  WriteRequest request(run_id);
  return Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(Run run, LoadForWrite(db, run_id, nullptr, "cancel"));
    const std::string now = Now();
    HAYSTACK_ASSIGN_OR_RETURN(
        SqlResult updated,
        db.Execute("UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, $2), "
                   "updated_at = $2 WHERE run_id = $1 AND termination_reason IS NULL",
                   {Text(run_id), now}));
    if (updated.affected_rows() != 1) {
      return MakeError(ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
                       fmt::format("cannot cancel run {}: it finished meanwhile", run.run_id));
    }
    if (db.dialect() == SqlDialect::kPostgres) {
      // Delivered to listeners at commit; only a hint, the column above is the truth.
      HAYSTACK_RETURN_IF_ERROR(
          db.Execute("SELECT pg_notify('haystack_run_cancel', $1)", {Text(run_id)}).status());
    }
    return InsertEvent(db,
                       {.run_id = run.run_id,
                        .at = options_.clock->Now(),
                        .attempt = run.attempt,
                        .kind = "cancel_requested",
                        .message = "cancellation requested"},
                       &request);
  });
}

absl::StatusOr<std::unique_ptr<CancellationListener>> SqlRunStore::ListenForCancellation(
    std::string_view run_id) {
  return listen_(run_id);
}

absl::StatusOr<std::optional<NotificationRecord>> SqlRunStore::LoadNotification(
    SqlConnection& db, std::string_view run_id, NotificationKind kind, bool lock) {
  const char* for_update = lock && db.dialect() == SqlDialect::kPostgres ? " FOR UPDATE" : "";
  HAYSTACK_ASSIGN_OR_RETURN(
      SqlResult rows,
      db.Execute(
          fmt::format("SELECT * FROM notifications WHERE run_id = $1 AND kind = $2{}", for_update),
          {Text(run_id), std::string(EnumName(kind))}));
  if (rows.empty()) return std::nullopt;
  return DecodeNotification(rows, 0);
}

absl::StatusOr<std::optional<NotificationRecord>> SqlRunStore::ClaimNotification(
    std::string_view run_id, NotificationKind kind, std::string_view claimant,
    absl::Duration claim_duration) {
  WriteRequest request(run_id);
  // Unique per claim, so that a retry recognises this claim and nobody else's.
  const std::string token = fmt::format("{} {}", claimant, request.id);
  std::optional<NotificationRecord> claimed;
  HAYSTACK_RETURN_IF_ERROR(Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    claimed.reset();
    const absl::Time now = options_.clock->Now();
    HAYSTACK_ASSIGN_OR_RETURN(auto current, LoadNotification(db, run_id, kind, /*lock=*/true));
    if (!current) return absl::OkStatus();
    if (current->claimed_by == token) {
      // Our own claim, committed by an earlier attempt after this one's check.
      claimed = current;
      return absl::OkStatus();
    }
    const bool pending = current->status == NotificationStatus::kPending;
    const bool abandoned = current->status == NotificationStatus::kSending &&
                           (!current->claim_expires_at || *current->claim_expires_at <= now);
    if (!pending && !abandoned) return absl::OkStatus();
    // Compare-and-set on what was read: a concurrent claimer changes status or claimed_by.
    HAYSTACK_ASSIGN_OR_RETURN(
        SqlResult updated,
        db.Execute("UPDATE notifications SET status = 'sending', attempts = attempts + 1, "
                   "claimed_by = $3, claim_expires_at = $4, updated_at = $5 "
                   "WHERE run_id = $1 AND kind = $2 AND status = $6 AND claimed_by = $7",
                   {Text(run_id), std::string(EnumName(kind)), token,
                    FormatTimestamp(now + claim_duration), FormatTimestamp(now),
                    std::string(EnumName(current->status)), current->claimed_by}));
    if (updated.affected_rows() != 1) return absl::OkStatus();
    HAYSTACK_ASSIGN_OR_RETURN(claimed, LoadNotification(db, run_id, kind, /*lock=*/false));
    const std::string message =
        pending ? fmt::format("{} email claimed for sending by {}", EnumName(kind), claimant)
                : fmt::format(
                      "{} email claimed again by {}: the claim of {} expired while "
                      "sending (outcome unknown), so it is sent again",
                      EnumName(kind), claimant, current->claimed_by);
    return InsertEvent(db,
                       {.run_id = std::string(run_id),
                        .at = now,
                        .kind = "notification_claimed",
                        .message = message},
                       &request);
  }));
  if (request.recognized) {
    HAYSTACK_ASSIGN_OR_RETURN(SqlResult rows,
                              Query("SELECT * FROM notifications WHERE run_id = $1 AND kind = $2",
                                    {Text(run_id), std::string(EnumName(kind))}));
    claimed.reset();
    if (!rows.empty()) {
      NotificationRecord mine = DecodeNotification(rows, 0);
      if (mine.claimed_by == token && mine.status == NotificationStatus::kSending) claimed = mine;
    }
  }
  return claimed;
}

absl::Status SqlRunStore::RecordNotificationResult(const NotificationRecord& claimed,
                                                   const NotificationResult& result) {
  const NotificationKind kind = claimed.kind;
  const std::string& run_id = claimed.run_id;
  WriteRequest request(run_id);
  return Transaction(&request, [&](SqlConnection& db) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(auto current, LoadNotification(db, run_id, kind, /*lock=*/true));
    // (An earlier attempt of this call that committed after this one's check shows here as a
    // refusal; Transaction recognises its request id.)
    const bool ours = current && !claimed.claimed_by.empty() &&
                      current->claimed_by == claimed.claimed_by &&
                      current->status == NotificationStatus::kSending;
    if (!ours) {
      return MakeError(
          ErrorKind::kDatabase, absl::StatusCode::kFailedPrecondition,
          fmt::format("the claim on the {} notification of run {} was lost{}", EnumName(kind),
                      QuoteForMessage(run_id, 80),
                      current ? fmt::format(" (now {}, claimed by '{}')", EnumName(current->status),
                                            current->claimed_by)
                              : ""));
    }
    const absl::Time now = options_.clock->Now();
    const std::string at = FormatTimestamp(now);
    HAYSTACK_RETURN_IF_ERROR(
        db.Execute("UPDATE notifications SET status = $3, provider = $4, "
                   "provider_message_id = $5, last_error = $6, updated_at = $7, "
                   "sent_at = $8 WHERE run_id = $1 AND kind = $2 AND status = 'sending' "
                   "AND claimed_by = $9",
                   {Text(run_id), std::string(EnumName(kind)),
                    std::string(EnumName(result.delivered ? NotificationStatus::kSent
                                                          : NotificationStatus::kFailed)),
                    Text(result.provider), Text(result.provider_message_id), Text(result.error), at,
                    result.delivered ? SqlParam(at) : SqlParam(nullptr), claimed.claimed_by})
            .status());
    return InsertEvent(
        db,
        {.run_id = run_id,
         .at = now,
         .kind = result.delivered ? "notified" : "notification_failed",
         .message = result.delivered
                        ? fmt::format("{} sent via {}", EnumName(kind), result.provider)
                        : fmt::format("{} not sent: {}", EnumName(kind), result.error)},
        &request);
  });
}

absl::StatusOr<std::vector<NotificationRecord>> SqlRunStore::ListNotifications(
    std::string_view run_id) {
  HAYSTACK_ASSIGN_OR_RETURN(
      SqlResult rows,
      Query("SELECT * FROM notifications WHERE run_id = $1 ORDER BY created_at, kind",
            {Text(run_id)}));
  std::vector<NotificationRecord> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(DecodeNotification(rows, i));
  return out;
}

absl::Status SqlRunStore::AppendEvent(const RunEvent& event) {
  WriteRequest request(event.run_id);
  return Transaction(&request, [&](SqlConnection& db) { return InsertEvent(db, event, &request); });
}

absl::StatusOr<std::vector<RunEvent>> SqlRunStore::ListEvents(std::string_view run_id) {
  HAYSTACK_ASSIGN_OR_RETURN(
      SqlResult rows,
      Query("SELECT * FROM run_events WHERE run_id = $1 ORDER BY id", {Text(run_id)}));
  std::vector<RunEvent> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(DecodeEvent(rows, i));
  return out;
}

absl::StatusOr<int> SqlRunStore::SchemaVersion() {
  int version = 0;
  HAYSTACK_RETURN_IF_ERROR(Retrying([&](SqlConnection& db, int) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(version, CurrentSchemaVersion(db));
    return absl::OkStatus();
  }));
  return version;
}

}  // namespace haystack::store_internal
