#include "haystack/core/stop_token.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "haystack/core/error.h"

namespace haystack {

struct StopCallback::State {
  std::mutex mu;
  std::condition_variable cv;
  StopReason reason = StopReason::kNone;
  uint64_t next_id = 1;
  std::map<uint64_t, std::function<void()>> callbacks;
  // The callback RequestStop is running (0: none), so that destroying its StopCallback on
  // another thread waits for it to return, as std::stop_callback does.
  uint64_t running_id = 0;
  std::thread::id running_thread;
  std::condition_variable callback_done;
};

StopCallback::StopCallback(StopCallback&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

StopCallback& StopCallback::operator=(StopCallback&& other) noexcept {
  if (this != &other) {
    StopCallback discard(std::move(*this));
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

StopCallback::~StopCallback() {
  if (!state_ || id_ == 0) return;
  std::unique_lock lock(state_->mu);
  if (state_->callbacks.erase(id_) > 0) return;  // never ran and now never will
  // Running right now on another thread: its captures must outlive it. (On the same thread
  // the callback is destroying its own registration; waiting would deadlock.)
  if (state_->running_thread != std::this_thread::get_id()) {
    state_->callback_done.wait(lock, [&] { return state_->running_id != id_; });
  }
}

StopToken::StopToken() : state_(std::make_shared<StopCallback::State>()) {}

bool StopToken::stop_requested() const { return reason() != StopReason::kNone; }

StopReason StopToken::reason() const {
  std::lock_guard lock(state_->mu);
  return state_->reason;
}

bool StopToken::WaitFor(absl::Duration timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [&] { return state_->reason != StopReason::kNone; });
}

StopCallback StopToken::OnStop(std::function<void()> callback) const {
  {
    std::lock_guard lock(state_->mu);
    if (state_->reason == StopReason::kNone) {
      const uint64_t id = state_->next_id++;
      state_->callbacks.emplace(id, std::move(callback));
      return StopCallback(state_, id);
    }
  }
  callback();
  return StopCallback();
}

absl::Status StopToken::CheckNotStopped() const {
  switch (reason()) {
    case StopReason::kNone:
      return absl::OkStatus();
    case StopReason::kCancelRequested:
      return CancelledError("the run was cancelled");
    case StopReason::kShutdown:
      return CancelledError("the job was asked to stop (shutdown)");
  }
  return absl::OkStatus();
}

StopSource::StopSource() : state_(std::make_shared<StopCallback::State>()) {}

void StopSource::RequestStop(StopReason reason) {
  if (reason == StopReason::kNone) return;
  std::unique_lock lock(state_->mu);
  if (state_->reason != StopReason::kNone) return;
  state_->reason = reason;
  state_->cv.notify_all();
  // One at a time, outside the lock, each marked as running so that its StopCallback's
  // destructor can wait for it.
  while (!state_->callbacks.empty()) {
    auto node = state_->callbacks.extract(state_->callbacks.begin());
    state_->running_id = node.key();
    state_->running_thread = std::this_thread::get_id();
    lock.unlock();
    node.mapped()();
    lock.lock();
    state_->running_id = 0;
    state_->running_thread = std::thread::id();
    state_->callback_done.notify_all();
  }
}

}  // namespace haystack
