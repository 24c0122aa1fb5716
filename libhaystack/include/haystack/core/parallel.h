// One way to spread work over threads, for every module: the calling thread plus up to
// `threads - 1` helper threads claim tasks in increasing order until none is left. Results must
// not depend on which thread ran a task, so outputs are written per task (or combined in task
// order afterwards), which keeps results identical for any thread count.
#ifndef HAYSTACK_CORE_PARALLEL_H_
#define HAYSTACK_CORE_PARALLEL_H_

#include <cstdint>

#include "absl/functional/function_ref.h"

namespace haystack {

// The thread count a `threads` option asks for: the option when positive, else the hardware
// concurrency (at least 1).
int ResolveThreadCount(int requested);

// Runs body(task, worker) for every task in [0, tasks), on min(threads, tasks) threads of which
// the calling thread is one; returns when all have run. `worker` in [0, threads) names the
// thread running the task, for per-thread scratch space. `threads` <= 0 means
// ResolveThreadCount(0). `body` must not throw.
void ParallelFor(int64_t tasks, int threads,
                 absl::FunctionRef<void(int64_t task, int worker)> body);

}  // namespace haystack

#endif  // HAYSTACK_CORE_PARALLEL_H_
