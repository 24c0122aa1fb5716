#include "haystack/core/parallel.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"

namespace haystack {
namespace {

TEST_CASE("ParallelFor runs every task exactly once, for any thread count") {
  for (int threads : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> runs(1000);
    ParallelFor(1000, threads, [&](int64_t task, int) { ++runs[static_cast<size_t>(task)]; });
    for (const auto& r : runs) REQUIRE(r.load() == 1);
  }
}

TEST_CASE("ParallelFor uses at most min(threads, tasks) workers") {
  std::mutex mu;
  std::set<int> workers;
  std::set<std::thread::id> thread_ids;
  ParallelFor(3, 8, [&](int64_t, int worker) {
    std::lock_guard lock(mu);
    workers.insert(worker);
    thread_ids.insert(std::this_thread::get_id());
  });
  CHECK(*workers.rbegin() < 3);
  CHECK(thread_ids.size() <= 3);
}

TEST_CASE("ParallelFor with one thread runs every task on the calling thread, in order") {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int64_t> order;
  ParallelFor(5, 1, [&](int64_t task, int worker) {
    CHECK(worker == 0);
    CHECK(std::this_thread::get_id() == caller);
    order.push_back(task);
  });
  CHECK(order == std::vector<int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("ParallelFor with no task calls nothing, and thread counts resolve") {
  bool called = false;
  ParallelFor(0, 4, [&](int64_t, int) { called = true; });
  CHECK_FALSE(called);
  CHECK(ResolveThreadCount(3) == 3);
  CHECK(ResolveThreadCount(0) >= 1);
  CHECK(ResolveThreadCount(-1) >= 1);
}

TEST_CASE("ParallelFor's workers index per-thread scratch without sharing it") {
  const int threads = 4;
  std::vector<int64_t> per_worker_sum(threads, 0);
  ParallelFor(10000, threads, [&](int64_t task, int worker) {
    per_worker_sum[static_cast<size_t>(worker)] += task;  // no lock: one writer per slot
  });
  int64_t total = 0;
  for (int64_t s : per_worker_sum) total += s;
  CHECK(total == 10000LL * 9999 / 2);
}

}  // namespace
}  // namespace haystack
