#include "haystack/core/stop_token.h"

#include <atomic>
#include <thread>

#include "catch2/catch.hpp"
#include "haystack/core/error.h"

namespace haystack {
namespace {

TEST_CASE("the first stop reason wins and wakes waiters") {
  StopSource source;
  StopToken token = source.token();
  CHECK_FALSE(token.stop_requested());
  CHECK(token.CheckNotStopped().ok());
  std::thread stopper([&] { source.RequestStop(StopReason::kShutdown); });
  CHECK(token.WaitFor(absl::Seconds(30)));
  stopper.join();
  source.RequestStop(StopReason::kCancelRequested);
  CHECK(token.reason() == StopReason::kShutdown);
  CHECK(GetErrorKind(token.CheckNotStopped()) == ErrorKind::kCancelled);
}

TEST_CASE("callbacks run once, or immediately when already stopped") {
  StopSource source;
  std::atomic<int> calls{0};
  StopCallback registered = source.token().OnStop([&] { ++calls; });
  {
    StopCallback dropped = source.token().OnStop([&] { calls += 100; });
  }  // unregistered before the stop
  source.RequestStop(StopReason::kCancelRequested);
  source.RequestStop(StopReason::kCancelRequested);
  CHECK(calls == 1);
  StopCallback late = source.token().OnStop([&] { ++calls; });
  CHECK(calls == 2);
}

TEST_CASE("a default token never stops") {
  StopToken token;
  CHECK_FALSE(token.WaitFor(absl::Milliseconds(1)));
}

}  // namespace
}  // namespace haystack
