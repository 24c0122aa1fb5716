// Cooperative stopping: a user's cancellation request or the batch engine's SIGTERM.
//
// A StopSource is owned by the job lifecycle; StopTokens are handed to everything that runs
// long (inference waits, iterations, uploads) and checked between steps. Callbacks let a
// blocking call be interrupted (e.g. a gRPC ClientContext::TryCancel).
#ifndef HAYSTACK_CORE_STOP_TOKEN_H_
#define HAYSTACK_CORE_STOP_TOKEN_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace haystack {

enum class StopReason {
  kNone,
  kCancelRequested,  // the user (through the API) cancelled the run: finish as cancelled
  kShutdown,         // the process was asked to stop (SIGTERM): checkpoint and exit 75
};

class StopToken;

// A registration that unregisters its callback when destroyed.
class StopCallback {
 public:
  StopCallback() = default;
  StopCallback(StopCallback&&) noexcept;
  StopCallback& operator=(StopCallback&&) noexcept;
  ~StopCallback();

  struct State;  // shared by a StopSource, its tokens and callbacks; defined in the .cc

 private:
  friend class StopToken;
  StopCallback(std::shared_ptr<State> state, uint64_t id) : state_(std::move(state)), id_(id) {}
  std::shared_ptr<State> state_;
  uint64_t id_ = 0;
};

class StopToken {
 public:
  // A token that never stops.
  StopToken();

  bool stop_requested() const;
  StopReason reason() const;

  // Waits up to `timeout` for a stop; returns true if one was requested.
  bool WaitFor(absl::Duration timeout) const;

  // Runs `callback` once when a stop is requested (immediately if it already was). The
  // callback runs on the requesting thread and must not block.
  [[nodiscard]] StopCallback OnStop(std::function<void()> callback) const;

  // CancelledError describing the reason (kind kCancelled) if a stop was requested, else OK.
  absl::Status CheckNotStopped() const;

 private:
  friend class StopSource;
  explicit StopToken(std::shared_ptr<StopCallback::State> state) : state_(std::move(state)) {}
  std::shared_ptr<StopCallback::State> state_;
};

class StopSource {
 public:
  StopSource();
  // The first request wins; later ones are ignored. Safe from any thread, not from a signal
  // handler (use a dedicated signal thread).
  void RequestStop(StopReason reason);
  StopToken token() const { return StopToken(state_); }

 private:
  std::shared_ptr<StopCallback::State> state_;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_STOP_TOKEN_H_
