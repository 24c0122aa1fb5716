// The main of a fuzz target when it is not linked with libFuzzer (gcc builds, CI): replays the
// committed corpus, then runs a bounded number of mutated inputs made by a seeded generator, so
// that every run executes exactly the same inputs. A crash or a failed check aborts the process
// (CTest reports the test as failed) after the input is saved as crash-<n> in the working
// directory, to be replayed with `<target> crash-<n>`.
//
//   <target> [--runs=N] [--seed=S] [--max_len=L] [--dict=FILE] FILE_OR_DIR...
//
// The mutations are libFuzzer's basic ones (bit and byte flips, interesting integers, erase,
// insert, duplicate and splice byte ranges, dictionary tokens) plus one that matters for
// parsers of nested formats: a run of one byte repeated thousands of times ("[[[[…").
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

using Bytes = std::string;

// The input being executed, for the crash handler (async-signal-safe access only).
const char* g_current = nullptr;
size_t g_current_size = 0;

void SaveCurrentInput(int signal_number) {
  if (g_current != nullptr) {
    char name[64];
    std::snprintf(name, sizeof(name), "crash-%d", static_cast<int>(getpid()));
    const int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      size_t written = 0;
      while (written < g_current_size) {
        const ssize_t n = write(fd, g_current + written, g_current_size - written);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
      close(fd);
      const char message[] =
          "\nfuzz: crashing input saved as crash-<pid> in the working directory\n";
      (void)!write(STDERR_FILENO, message, sizeof(message) - 1);
    }
  }
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

void Run(const Bytes& input) {
  g_current = input.data();
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// libFuzzer dictionary lines: name="value" with \xNN, \\ and \" escapes; # comments.
std::vector<Bytes> ReadDictionary(const std::filesystem::path& path) {
  std::vector<Bytes> tokens;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t open_quote = line.find('"');
    const size_t close_quote = line.rfind('"');
    if (line.empty() || line[0] == '#' || open_quote == std::string::npos ||
        close_quote <= open_quote) {
      continue;
    }
    Bytes token;
    for (size_t i = open_quote + 1; i < close_quote; ++i) {
      if (line[i] == '\\' && i + 1 < close_quote) {
        if (line[i + 1] == 'x' && i + 3 < close_quote) {
          token.push_back(static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
          i += 3;
        } else {
          token.push_back(line[++i]);
        }
      } else {
        token.push_back(line[i]);
      }
    }
    tokens.push_back(token);
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len, std::vector<Bytes> dictionary)
      : rng_(seed), max_len_(max_len), dictionary_(std::move(dictionary)) {}

  Bytes Mutate(const std::vector<Bytes>& corpus) {
    Bytes data = corpus.empty() ? Bytes() : corpus[Below(corpus.size())];
    const size_t rounds = 1 + Below(5);
    for (size_t r = 0; r < rounds; ++r) MutateOnce(data, corpus);
    if (data.size() > max_len_) data.resize(max_len_);
    return data;
  }

 private:
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }

  void MutateOnce(Bytes& data, const std::vector<Bytes>& corpus) {
    static constexpr int64_t kInteresting[] = {
        0,     1,    -1,     16,        32,        64,        100,      127,   128,
        255,   256,  512,    1000,      1024,      4096,      32767,    32768, 65535,
        65536, -128, -32768, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    switch (Below(data.empty() ? 3 : 10)) {
      case 0: {  // insert random bytes
        const size_t n = 1 + Below(8);
        Bytes insert;
        for (size_t i = 0; i < n; ++i) insert.push_back(static_cast<char>(Below(256)));
        data.insert(Below(data.size() + 1), insert);
        return;
      }
      case 1:  // a dictionary token
        if (!dictionary_.empty()) {
          data.insert(Below(data.size() + 1), dictionary_[Below(dictionary_.size())]);
        }
        return;
      case 2: {  // a long run of one byte: deep nesting, long tokens
        const char byte =
            Below(2) == 0 && !data.empty() ? data[Below(data.size())] : "[{\"\\<a0-"[Below(8)];
        const size_t n = size_t{1} << (4 + Below(14));  // 16 .. 131072
        data.insert(Below(data.size() + 1), Bytes(std::min(n, max_len_), byte));
        return;
      }
      case 3:  // flip a bit
        data[Below(data.size())] ^= static_cast<char>(1 << Below(8));
        return;
      case 4:  // set a byte
        data[Below(data.size())] = static_cast<char>(Below(256));
        return;
      case 5: {  // erase a range
        const size_t at = Below(data.size());
        data.erase(at, 1 + Below(std::min<size_t>(data.size() - at, 64)));
        return;
      }
      case 6: {  // duplicate a range
        const size_t at = Below(data.size());
        const Bytes piece = data.substr(at, 1 + Below(std::min<size_t>(data.size() - at, 64)));
        data.insert(Below(data.size() + 1), piece);
        return;
      }
      case 7: {  // overwrite with an interesting integer (as bytes, or as decimal text)
        const int64_t value = kInteresting[Below(std::size(kInteresting))];
        Bytes piece = Below(2) == 0 ? std::to_string(value)
                                    : Bytes(reinterpret_cast<const char*>(&value), 1 + Below(8));
        const size_t at = Below(data.size());
        data.replace(at, std::min(piece.size(), data.size() - at), piece);
        return;
      }
      case 8: {  // splice with another corpus entry
        if (corpus.empty()) return;
        const Bytes& other = corpus[Below(corpus.size())];
        if (other.empty()) return;
        const size_t from = Below(other.size());
        data.insert(Below(data.size() + 1), other.substr(from, 1 + Below(other.size() - from)));
        return;
      }
      default: {  // swap two bytes
        std::swap(data[Below(data.size())], data[Below(data.size())]);
        return;
      }
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
  std::vector<Bytes> dictionary_;
};

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  uint64_t runs = 0, seed = 1;
  size_t max_len = 4096;
  std::vector<Bytes> dictionary;
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--runs=", 0) == 0) {
      runs = std::stoull(arg.substr(7));
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::stoull(arg.substr(7));
    } else if (arg.rfind("--max_len=", 0) == 0) {
      max_len = std::stoull(arg.substr(10));
    } else if (arg.rfind("--dict=", 0) == 0) {
      dictionary = ReadDictionary(arg.substr(7));
    } else {
      inputs.emplace_back(arg);
    }
  }
  for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(s, SaveCurrentInput);

  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(input);
    }
  }
  std::sort(files.begin(), files.end());  // the same order on every machine
  std::vector<Bytes> corpus;
  for (const auto& file : files) corpus.push_back(ReadFile(file));

  const auto start = std::chrono::steady_clock::now();
  for (const Bytes& input : corpus) Run(input);
  Mutator mutator(seed, max_len, std::move(dictionary));
  for (uint64_t i = 0; i < runs; ++i) Run(mutator.Mutate(corpus));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "fuzz: " << corpus.size() << " corpus inputs and " << runs
            << " mutated inputs (seed " << seed << ") executed in " << seconds
            << " s, no failure\n";
  return 0;
}
