// Runs a program as a child process, for tests that need a real second process (exit codes,
// signals, concurrent claimers, python/R reference computations).
#ifndef HAYSTACK_TESTS_SUPPORT_SUBPROCESS_H_
#define HAYSTACK_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace haystack::testing {

struct ProcessResult {
  int exit_code = -1;   // valid if !signaled
  int term_signal = 0;  // valid if signaled
  bool signaled = false;
  std::string stdout_text;
  std::string stderr_text;
};

struct ProcessOptions {
  // Variables set (or, with an empty optional, unset) on top of the current environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string stdin_text;
  std::chrono::milliseconds timeout{120'000};  // killed with SIGKILL after this
};

// Runs argv[0] (searched in PATH) to completion and captures its output.
ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A child running in the background: stdout/stderr go to files so nothing blocks.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~BackgroundProcess();  // kills the child if it still runs
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // Waits for exit (SIGKILL after `timeout`) and returns the result with captured output.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(120'000));
  // Output so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_SUBPROCESS_H_
