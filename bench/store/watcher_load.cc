// The database load of many running jobs' lease watchers, without their computation: K run
// stores (one per simulated job, each its own connection), each polling its run every
// `poll` seconds and renewing its lease every `heartbeat` seconds — what RunWatcher does while a
// run executes. Prints the poll latency (p50, p99, max), the polls achieved and any errors, so
// that pool sizes and max_connections can be budgeted from measurements (docs/operations.md,
// "Connection budget for 1,000 jobs"). scripts/measure-load runs it.
//
//   bench_watcher_load URL JOBS SECONDS [transaction|none] [POLL_SECONDS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "haystack/core/ids.h"
#include "haystack/core/run.h"
#include "haystack/store/open_run_store.h"

namespace haystack {
namespace {

constexpr int kThreads = 32;
constexpr absl::Duration kLease = absl::Minutes(5);
constexpr absl::Duration kHeartbeat = absl::Minutes(1);

struct Job {
  std::unique_ptr<RunStore> store;
  std::unique_ptr<CancellationListener> listener;  // held open, as the watcher does
  Lease lease;
};

struct Totals {
  std::mutex mutex;
  std::vector<double> poll_ms;
  std::atomic<int> errors{0};
  std::string first_error;
};

absl::Status OpenJob(const std::string& url, const RunStoreOptions& options, Job* job) {
  auto store = OpenRunStore(url, options);
  if (!store.ok()) return store.status();
  job->store = std::move(*store);
  Run run;
  run.run_id = NewRunId(absl::Now());
  run.user_email = "load@example.org";
  run.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  if (absl::Status created = job->store->CreateRun(run); !created.ok()) return created;
  auto lease = job->store->ClaimRun(run.run_id, "watcher-load", kLease);
  if (!lease.ok()) return lease.status();
  job->lease = *lease;
  auto listener = job->store->ListenForCancellation(run.run_id);
  if (!listener.ok()) return listener.status();
  job->listener = std::move(*listener);
  return absl::OkStatus();
}

// One thread's share of the jobs: each polled once per `poll`, staggered across the interval.
void Watch(std::vector<Job>& jobs, size_t first, size_t step, absl::Duration poll, absl::Time until,
           Totals& totals) {
  std::vector<double> latencies;
  std::vector<absl::Time> next_renewal(jobs.size(), absl::Now() + kHeartbeat);
  const size_t mine = (jobs.size() - first + step - 1) / step;
  absl::Time round = absl::Now();
  while (absl::Now() < until) {
    for (size_t k = 0, i = first; i < jobs.size(); ++k, i += step) {
      const absl::Time slot = round + poll * static_cast<double>(k) / static_cast<double>(mine);
      if (absl::Time now = absl::Now(); slot > now) absl::SleepFor(slot - now);
      const absl::Time start = absl::Now();
      auto run = jobs[i].store->GetRun(jobs[i].lease.run_id);
      absl::Status status = run.status();
      if (status.ok() && absl::Now() >= next_renewal[i]) {
        status = jobs[i].store->RenewLease(jobs[i].lease, kLease);
        next_renewal[i] = absl::Now() + kHeartbeat;
      }
      latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      if (!status.ok() && totals.errors.fetch_add(1) == 0) {
        std::lock_guard<std::mutex> lock(totals.mutex);
        totals.first_error = std::string(status.message());
      }
    }
    round += poll;
  }
  std::lock_guard<std::mutex> lock(totals.mutex);
  totals.poll_ms.insert(totals.poll_ms.end(), latencies.begin(), latencies.end());
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(at), values.end());
  return values[at];
}

int Main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s URL JOBS SECONDS [transaction|none] [POLL_SECONDS]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int job_count = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  const bool pooled = argc > 4 && std::string(argv[4]) == "transaction";
  const absl::Duration poll = absl::Seconds(argc > 5 ? std::atof(argv[5]) : 1.0);
  RunStoreOptions options;
  if (pooled) options.pooling = PostgresPooling::kTransaction;

  std::vector<Job> jobs(static_cast<size_t>(job_count));
  const absl::Time opening = absl::Now();
  for (Job& job : jobs) {
    if (absl::Status opened = OpenJob(url, options, &job); !opened.ok()) {
      std::fprintf(stderr, "opening a job's store failed: %s\n",
                   std::string(opened.message()).c_str());
      return 1;
    }
  }
  std::printf("opened %d job stores in %.1f s\n", job_count,
              absl::ToDoubleSeconds(absl::Now() - opening));
  std::fflush(stdout);

  Totals totals;
  const absl::Time until = absl::Now() + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { Watch(jobs, t, kThreads, poll, until, totals); });
  }
  for (auto& thread : threads) thread.join();
  const size_t polls = totals.poll_ms.size();
  std::printf(
      "watchers: %d jobs %s, poll every %.1f s for %.0f s: %zu polls (%.0f/s of %.0f/s "
      "wanted), latency p50 %.2f ms, p99 %.2f ms, max %.1f ms; errors %d%s%s\n",
      job_count, pooled ? "behind PgBouncer (transaction pooling)" : "directly",
      absl::ToDoubleSeconds(poll), seconds, polls, static_cast<double>(polls) / seconds,
      job_count / absl::ToDoubleSeconds(poll), Percentile(totals.poll_ms, 0.5),
      Percentile(totals.poll_ms, 0.99), Percentile(totals.poll_ms, 1.0), totals.errors.load(),
      totals.first_error.empty() ? "" : ": ", totals.first_error.c_str());
  return totals.errors.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace haystack

int main(int argc, char** argv) { return haystack::Main(argc, argv); }
