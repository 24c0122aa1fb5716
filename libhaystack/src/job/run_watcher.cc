#include "run_watcher.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "haystack/core/error.h"
#include "haystack/core/run.h"

namespace haystack::job_internal {
namespace {

constexpr absl::Duration kListenSlice = absl::Milliseconds(100);

}  // namespace

RunWatcher::RunWatcher(RunStore& store, Lease lease, const StopToken& shutdown,
                       const JobTiming& timing, const Logger& logger)
    : store_(store),
      lease_(std::move(lease)),
      timing_(timing),
      logger_(logger),
      shutdown_(shutdown) {
  forward_shutdown_ = shutdown.OnStop([this] { stop_.RequestStop(StopReason::kShutdown); });
  auto listener = store_.ListenForCancellation(lease_.run_id);
  if (listener.ok()) {
    listener_ = std::move(*listener);
  } else {
    logger_.Warning("cancellation hints unavailable; polling only",
                    {{"error", std::string(listener.status().message())}});
  }
  thread_ = std::thread([this] { Loop(); });
}

RunWatcher::~RunWatcher() {
  quit_.RequestStop(StopReason::kShutdown);
  if (thread_.joinable()) thread_.join();
}

void RunWatcher::Loop() {
  const StopToken quit = quit_.token();
  absl::Time next_heartbeat = absl::Now() + timing_.heartbeat;
  while (!quit.stop_requested()) {
    // Wait for a hint or the poll interval, whichever comes first, without outliving quit:
    // the listener cannot be interrupted, so it is asked in short slices (a finished run must
    // not wait out a whole poll interval before the job can record its end).
    if (listener_ != nullptr) {
      const absl::Time poll_at = absl::Now() + timing_.cancellation_poll;
      for (absl::Duration left = timing_.cancellation_poll;
           left > absl::ZeroDuration() && !quit.stop_requested(); left = poll_at - absl::Now()) {
        if (listener_->Wait(std::min(left, kListenSlice))) break;
      }
    } else {
      quit.WaitFor(timing_.cancellation_poll);
    }
    if (quit.stop_requested()) return;

    auto run = store_.GetRun(lease_.run_id);
    if (!run.ok() && IsTransient(run.status())) {
      LoseDatabase(run.status());
      return;
    }
    if (run.ok() && IsCancellationRequested(*run)) {
      logger_.Notice("cancellation requested; stopping the run");
      stop_.RequestStop(StopReason::kCancelRequested);
      return;
    }
    if (absl::Now() >= next_heartbeat) {
      absl::Status renewed = store_.RenewLease(lease_, timing_.lease);
      if (renewed.code() == absl::StatusCode::kAborted ||
          renewed.code() == absl::StatusCode::kFailedPrecondition) {
        logger_.Error("lost the run's lease; stopping without further writes",
                      {{"error", std::string(renewed.message())}});
        lease_lost_ = true;
        stop_.RequestStop(StopReason::kShutdown);
        return;
      }
      if (IsTransient(renewed)) {
        LoseDatabase(renewed);
        return;
      }
      if (!renewed.ok()) {
        logger_.Warning("lease renewal failed; retrying",
                        {{"error", std::string(renewed.message())}});
      }
      next_heartbeat = absl::Now() + timing_.heartbeat;
    }
  }
}

void RunWatcher::LoseDatabase(const absl::Status& error) {
  // Already stopping: the store gave up because of that (SIGTERM), not because of the database.
  if (shutdown_.stop_requested() || stop_.token().stop_requested()) return;
  // The store retried for its whole budget: the run can neither checkpoint nor keep its lease.
  logger_.Error("the run database is unreachable; stopping the run (it stays resumable)",
                {{"error", std::string(error.message())}});
  database_lost_ = true;
  stop_.RequestStop(StopReason::kShutdown);
}

}  // namespace haystack::job_internal
