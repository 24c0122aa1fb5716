#include "haystack/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace haystack {

int ResolveThreadCount(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void ParallelFor(int64_t tasks, int threads,
                 absl::FunctionRef<void(int64_t task, int worker)> body) {
  if (tasks <= 0) return;
  const int workers = static_cast<int>(std::min<int64_t>(ResolveThreadCount(threads), tasks));
  std::atomic<int64_t> next{0};
  auto work = [&](int worker) {
    for (int64_t task = next++; task < tasks; task = next++) body(task, worker);
  };
  std::vector<std::thread> helpers;
  helpers.reserve(static_cast<size_t>(workers - 1));
  for (int worker = 1; worker < workers; ++worker) helpers.emplace_back(work, worker);
  work(0);
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace haystack
