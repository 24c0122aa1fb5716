#include "haystack/core/stop_token.h"

#include <atomic>
#include <chrono>
#include <memory>
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

namespace haystack {
namespace {

TEST_CASE("destroying a registration waits for its callback running on another thread", "[stop]") {
  StopSource source;
  std::atomic<bool> entered = false;
  std::atomic<bool> finished = false;
  auto registration = std::make_unique<StopCallback>(source.token().OnStop([&] {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;  // the captures must still be alive here
  }));
  std::thread stopper([&] { source.RequestStop(StopReason::kShutdown); });
  while (!entered) std::this_thread::yield();
  registration.reset();  // must block until the callback returned
  CHECK(finished);
  stopper.join();
}

}  // namespace
}  // namespace haystack
