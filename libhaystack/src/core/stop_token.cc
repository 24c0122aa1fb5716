#include "haystack/core/stop_token.h"

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
  if (state_ && id_ != 0) {
    std::lock_guard lock(state_->mu);
    state_->callbacks.erase(id_);
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
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard lock(state_->mu);
    if (state_->reason != StopReason::kNone) return;
    state_->reason = reason;
    for (auto& [id, callback] : state_->callbacks) to_run.push_back(std::move(callback));
    state_->callbacks.clear();
  }
  state_->cv.notify_all();
  for (auto& callback : to_run) callback();
}

}  // namespace haystack
