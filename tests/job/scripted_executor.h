// A RunExecutor driven by a script, standing in for the agent in lifecycle tests: it checkpoints
// iterations like the run loop does (resuming after the last recorded one) and then ends as told.
#ifndef HAYSTACK_TESTS_JOB_SCRIPTED_EXECUTOR_H_
#define HAYSTACK_TESTS_JOB_SCRIPTED_EXECUTOR_H_

#include <atomic>
#include <optional>

#include "haystack/job/run_executor.h"

namespace haystack::testing {

struct Script {
  enum class Ending {
    kComplete,     // return an outcome
    kFail,         // return `error`
    kThrow,        // throw std::runtime_error
    kWaitForStop,  // block until the stop token fires, then return its error
  };
  int iterations = 2;  // iterations to record (numbers continue after recorded ones)
  Ending ending = Ending::kComplete;
  absl::Status error;  // for kFail
  // For kWaitForStop: record this many iterations before waiting (a resume then finishes).
  int iterations_before_wait = 1;
};

class ScriptedExecutor final : public RunExecutor {
 public:
  explicit ScriptedExecutor(Script script) : script_(std::move(script)) {}
  absl::StatusOr<RunOutcome> Execute(const RunContext& context) override;

  int calls() const { return calls_.load(); }
  // The iteration numbers this executor recorded itself (not those found recorded).
  const std::vector<int>& recorded() const { return recorded_; }
  std::optional<ControlStrategy> last_strategy() const { return last_strategy_; }

 private:
  Script script_;
  std::atomic<int> calls_ = 0;
  std::vector<int> recorded_;
  std::optional<ControlStrategy> last_strategy_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_JOB_SCRIPTED_EXECUTOR_H_
