// Many batch jobs at once against one PostgreSQL (docs/operations.md, "Many jobs at once"): N
// haystack-orchestrator processes on the CPU baseline with small query cells, started together,
// one of them cancelled mid-run. Every run ends once with one email, no job errs or warns, no
// deadlock; the test prints runs per minute, sessions per job and the lock waits it saw.
//
// HAYSTACK_LOAD_JOBS sets N (CI: 8 directly, 4 behind PgBouncer); scripts/measure-load runs it
// at 16 for the figures in docs/operations.md.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "haystack/core/run.h"
#include "haystack/job/exit_codes.h"
#include "orchestration.h"

namespace haystack::testing {
namespace {

using std::chrono::milliseconds;

// Two iterations of 100 query cells: a few seconds of one core each.
constexpr char kSmallRun[] =
    R"({"max_iterations": 2, "score_threshold": 10, "max_query_cells": 100})";
// Each test's jobs are told apart by their application_name, "haystack-load-<test>-<i>": the two
// load tests may run at once on the same cluster, and PgBouncer's server sessions carry their
// clients' names.
std::string JobPrefix(bool pooled) {
  return pooled ? "haystack-load-pooled-" : "haystack-load-direct-";
}

int JobCount(int ci_default) {
  const char* jobs = std::getenv("HAYSTACK_LOAD_JOBS");
  return jobs != nullptr && *jobs != '\0' ? std::max(2, std::atoi(jobs)) : ci_default;
}

// Rows of one simple query on a plain libpq connection; empty on error.
std::vector<std::map<std::string, std::string>> Rows(PGconn* conn, const char* sql) {
  std::vector<std::map<std::string, std::string>> rows;
  PGresult* result = PQexec(conn, sql);
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    for (int r = 0; r < PQntuples(result); ++r) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < PQnfields(result); ++c) {
        row[PQfname(result, c)] = PQgetvalue(result, r, c);
      }
    }
  }
  PQclear(result);
  return rows;
}

// What the database and the pooler show while the jobs run, sampled every 20 ms by a thread of
// the test's own (direct, not through the pooler): sessions per job (by application_name),
// lock waits of the jobs' sessions and, behind PgBouncer, its clients and pool queue. Sampling
// sees a lock wait only if it overlaps a sample: a lower bound, next to the deadlock counter.
class DatabaseSampler {
 public:
  DatabaseSampler(const std::string& direct_url, const std::string& pooler_admin_url,
                  std::string job_prefix)
      : job_prefix_(std::move(job_prefix)) {
    direct_ = PQconnectdb(direct_url.c_str());
    REQUIRE(PQstatus(direct_) == CONNECTION_OK);
    deadlocks_before_ = Deadlocks();
    if (!pooler_admin_url.empty()) {
      admin_ = PQconnectdb(pooler_admin_url.c_str());
      REQUIRE(PQstatus(admin_) == CONNECTION_OK);
      stats_before_ = PoolerStats();
    }
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        Sample();
        std::this_thread::sleep_for(milliseconds(20));
      }
    });
  }
  ~DatabaseSampler() {
    Stop();
    PQfinish(direct_);
    if (admin_ != nullptr) PQfinish(admin_);
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (admin_ != nullptr) {
      PoolerTotals after = PoolerStats();
      pooled_transactions = after.transactions - stats_before_.transactions;
      pooled_transaction_us = after.transaction_us - stats_before_.transaction_us;
    }
  }
  int64_t NewDeadlocks() { return Deadlocks() - deadlocks_before_; }

  int samples = 0;
  std::map<std::string, int> peak_sessions_per_job;  // application_name → most sessions at once
  int peak_job_sessions = 0;                         // all jobs' sessions at once
  int lock_wait_samples = 0;                         // samples with a job session waiting
  int peak_lock_waiters = 0;
  std::map<std::string, int> lock_waits_by_kind;  // pg_locks.locktype → waiters summed over samples
  std::map<std::string, int> peak_clients_per_job;  // behind PgBouncer: its client connections
  int peak_clients_waiting = 0;                     // clients queued for a server session
  int64_t peak_wait_us = 0;                         // the longest such queueing
  // PgBouncer's counters over the run (SHOW STATS): transactions of its clients and the time
  // they held a server session — what a pool must serve.
  int64_t pooled_transactions = 0;
  int64_t pooled_transaction_us = 0;

 private:
  struct PoolerTotals {
    int64_t transactions = 0;
    int64_t transaction_us = 0;
  };
  PoolerTotals PoolerStats() {
    for (auto& row : Rows(admin_, "SHOW STATS")) {
      if (row["database"] != "haystack_test") continue;
      return {std::stoll(row["total_xact_count"]), std::stoll(row["total_xact_time"])};
    }
    return {};
  }

  int64_t Deadlocks() {
    auto rows =
        Rows(direct_, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
    return rows.empty() ? 0 : std::stoll(rows[0]["deadlocks"]);
  }

  void Sample() {
    ++samples;
    int sessions = 0;
    const std::string sessions_sql = absl::StrCat(
        "SELECT application_name AS job, count(*) AS n FROM pg_stat_activity WHERE datname = "
        "current_database() AND starts_with(application_name, '",
        job_prefix_, "') GROUP BY 1");
    for (auto& row : Rows(direct_, sessions_sql.c_str())) {
      const int n = std::stoi(row["n"]);
      sessions += n;
      int& peak = peak_sessions_per_job[row["job"]];
      peak = std::max(peak, n);
    }
    peak_job_sessions = std::max(peak_job_sessions, sessions);
    int waiters = 0;
    const std::string waits_sql = absl::StrCat(
        "SELECT l.locktype AS kind, count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING "
        "(pid) WHERE NOT l.granted AND starts_with(a.application_name, '",
        job_prefix_, "') GROUP BY 1");
    for (auto& row : Rows(direct_, waits_sql.c_str())) {
      waiters += std::stoi(row["n"]);
      lock_waits_by_kind[row["kind"]] += std::stoi(row["n"]);
    }
    if (waiters > 0) ++lock_wait_samples;
    peak_lock_waiters = std::max(peak_lock_waiters, waiters);
    if (admin_ == nullptr) return;
    std::map<std::string, int> clients;
    for (auto& row : Rows(admin_, "SHOW CLIENTS")) {
      if (row["application_name"].starts_with(job_prefix_)) ++clients[row["application_name"]];
    }
    for (const auto& [job, n] : clients) {
      peak_clients_per_job[job] = std::max(peak_clients_per_job[job], n);
    }
    for (auto& row : Rows(admin_, "SHOW POOLS")) {
      if (row["database"] != "haystack_test") continue;
      peak_clients_waiting = std::max(peak_clients_waiting, std::stoi(row["cl_waiting"]));
      peak_wait_us = std::max<int64_t>(
          peak_wait_us, std::stoll(row["maxwait"]) * 1'000'000 + std::stoll(row["maxwait_us"]));
    }
  }

  PGconn* direct_ = nullptr;
  PGconn* admin_ = nullptr;
  int64_t deadlocks_before_ = 0;
  std::string job_prefix_;
  PoolerTotals stats_before_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int Peak(const std::map<std::string, int>& per_job) {
  int peak = 0;
  for (const auto& [job, n] : per_job) peak = std::max(peak, n);
  return peak;
}

std::string Describe(const std::map<std::string, int>& counts) {
  std::string text;
  for (const auto& [key, n] : counts) absl::StrAppend(&text, text.empty() ? "" : ", ", key, " ", n);
  return text.empty() ? "none" : text;
}

// Log lines at warning level or above in a job's JSON log.
int Complaints(const std::string& log) {
  int n = 0;
  for (const char* severity :
       {"\"severity\":\"WARNING\"", "\"severity\":\"ERROR\"", "\"severity\":\"CRITICAL\""}) {
    for (size_t at = log.find(severity); at != std::string::npos; at = log.find(severity, at + 1)) {
      ++n;
    }
  }
  return n;
}

// Runs `jobs` batch jobs at once through `job_url` (the test itself reads the store directly);
// the first is paced and cancelled once it is in inference.
void RunManyJobs(const std::string& direct_url, const std::string& job_url, bool pooled, int jobs) {
  Orchestration o(direct_url);
  std::vector<std::string> ids;
  for (int i = 0; i < jobs; ++i) ids.push_back(o.CreateRun(kSmallRun));
  auto job_env = [&](int i) {
    Env env = {{"HAYSTACK_DATABASE_URL",
                absl::StrCat(job_url, "&application_name=", JobPrefix(pooled), i)},
               {"HAYSTACK_INFERENCE_THREADS", "1"},
               {"HAYSTACK_SCORING_THREADS", "1"},
               {"HAYSTACK_DATABASE_POOLING", pooled ? "transaction" : "none"}};
    // The cancelled run is slowed so that it is surely in inference when the request comes.
    if (i == 0) env.emplace("HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "100");
    return env;
  };

  std::string admin_url;
  if (pooled) {
    admin_url = job_url;
    admin_url.replace(admin_url.find("/haystack_test"), 14, "/pgbouncer");
  }
  DatabaseSampler sampler(direct_url, admin_url, JobPrefix(pooled));
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<BackgroundProcess>> running;
  for (int i = 0; i < jobs; ++i) running.push_back(o.Start(ids[i], job_env(i)));

  REQUIRE(o.WaitForPhase(ids[0], RunPhase::kInference, 1, milliseconds(120'000)));
  // The API's cancellation, through the same URL but not counted as the job's session.
  Env cancel_env = job_env(0);
  cancel_env["HAYSTACK_DATABASE_URL"] = absl::StrCat(job_url, "&application_name=haystack-api");
  ProcessResult cancel =
      RunProcess(o.Command({"cancel", ids[0]}), {.env = o.EnvFor("", cancel_env)});
  INFO(cancel.stderr_text);
  REQUIRE(cancel.exit_code == kExitSuccess);

  std::vector<ProcessResult> results;
  for (auto& job : running) results.push_back(job->Wait(milliseconds(300'000)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  sampler.Stop();

  int complaints = 0;
  std::vector<std::string> expected_emails;
  for (int i = 0; i < jobs; ++i) {
    const std::string& id = ids[i];
    INFO("job " << i << " (" << id << "): " << results[i].stderr_text);
    CHECK(results[i].exit_code == kExitSuccess);
    complaints += Complaints(results[i].stderr_text);
    const Run run = o.Get(id);
    CHECK(run.status == (i == 0 ? RunStatus::kCancelled : RunStatus::kCompleted));
    CHECK(run.attempt == 1);
    CHECK(CountEvents(o, id, "claimed") == 1);
    CHECK(CountEvents(o, id, "finished") == 1);
    CHECK(CountEvents(o, id, "notified") == 1);
    expected_emails.push_back(id + (i == 0 ? ".run_cancelled.eml" : ".run_completed.eml"));
  }
  std::sort(expected_emails.begin(), expected_emails.end());
  CHECK(o.OutboxFiles() == expected_emails);
  CHECK(complaints == 0);
  const int64_t deadlocks = sampler.NewDeadlocks();
  CHECK(deadlocks == 0);
  // Every job was seen by the sampler, with the sessions its design allows: the store's, and
  // the cancellation listener's when not pooled (the per-job peak through the pooler is the
  // server sessions that last ran its transactions, so only the total is bounded there).
  CHECK(static_cast<int>(pooled ? sampler.peak_clients_per_job.size()
                                : sampler.peak_sessions_per_job.size()) == jobs);
  CHECK(Peak(pooled ? sampler.peak_clients_per_job : sampler.peak_sessions_per_job) <= 2);

  std::cout << absl::StrFormat(
      "load: %d jobs %s: %.1f s, %.1f runs/min; sessions per job (peak) %d, all jobs' sessions "
      "(peak) %d; pooler clients per job (peak) %d, clients queued (peak) %d, longest queue "
      "%.1f ms, pooler transactions %d (%.2f ms of a server session each); lock waits seen in %d "
      "of %d samples (peak %d waiters; %s); deadlocks %d; "
      "warnings/errors %d; emails %d for %d runs\n",
      jobs, pooled ? "behind PgBouncer (transaction pooling)" : "directly", seconds,
      jobs * 60.0 / seconds, Peak(sampler.peak_sessions_per_job), sampler.peak_job_sessions,
      Peak(sampler.peak_clients_per_job), sampler.peak_clients_waiting,
      static_cast<double>(sampler.peak_wait_us) / 1000.0, sampler.pooled_transactions,
      sampler.pooled_transactions > 0 ? static_cast<double>(sampler.pooled_transaction_us) /
                                            1000.0 / sampler.pooled_transactions
                                      : 0.0,
      sampler.lock_wait_samples, sampler.samples, sampler.peak_lock_waiters,
      Describe(sampler.lock_waits_by_kind), deadlocks, complaints, o.OutboxFiles().size(), jobs);
}

TEST_CASE("many batch jobs at once on one PostgreSQL: each run ends once with one email",
          "[load]") {
  const std::string url = PostgresUrl();
  if (url.empty()) return;
  RunManyJobs(url, url, /*pooled=*/false, JobCount(8));
}

TEST_CASE("many batch jobs at once behind PgBouncer: cancellation by polling, one email each",
          "[load]") {
  const std::string direct = PostgresUrl();
  const std::string pooled = PgBouncerUrl();
  if (direct.empty() || pooled.empty()) return;
  RunManyJobs(direct, pooled, /*pooled=*/true, JobCount(4));
}

}  // namespace
}  // namespace haystack::testing
