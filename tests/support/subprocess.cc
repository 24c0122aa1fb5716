#include "support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace haystack::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string TempPath(const char* tag) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string("haystack-proc-") + tag + "-XXXXXX"))
          .string();
  int fd = mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  return pattern;
}

pid_t Spawn(const std::vector<std::string>& argv, const ProcessOptions& options,
            const std::string& stdin_path, const std::string& stdout_path,
            const std::string& stderr_path) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (const auto& [name, value] : options.env) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    int in = open(stdin_path.c_str(), O_RDONLY);
    int out = open(stdout_path.c_str(), O_WRONLY | O_TRUNC);
    int err = open(stderr_path.c_str(), O_WRONLY | O_TRUNC);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Own process group, so that a test can signal the child without hitting ctest.
    setpgid(0, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

ProcessResult Reap(pid_t pid, std::chrono::milliseconds timeout) {
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.term_signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  BackgroundProcess process(argv, options);
  return process.Wait(options.timeout);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const ProcessOptions& options) {
  const std::string stdin_path = TempPath("in");
  {
    std::ofstream in(stdin_path, std::ios::binary);
    in << options.stdin_text;
  }
  stdout_path_ = TempPath("out");
  stderr_path_ = TempPath("err");
  pid_ = Spawn(argv, options, stdin_path, stdout_path_, stderr_path_);
  std::filesystem::remove(stdin_path);
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove(stdout_path_, ignored);
  std::filesystem::remove(stderr_path_, ignored);
}

void BackgroundProcess::Signal(int signal_number) { kill(pid_, signal_number); }

ProcessResult BackgroundProcess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result = Reap(pid_, timeout);
  reaped_ = true;
  result.stdout_text = Slurp(stdout_path_);
  result.stderr_text = Slurp(stderr_path_);
  return result;
}

std::string BackgroundProcess::Stdout() const { return Slurp(stdout_path_); }
std::string BackgroundProcess::Stderr() const { return Slurp(stderr_path_); }

}  // namespace haystack::testing
