// Shared by the fuzz targets: a check that aborts (so that libFuzzer and the replay driver both
// report the input), and a splitter that turns one input into several fields.
#ifndef HAYSTACK_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define HAYSTACK_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// A property every input must keep; a violation is a finding, reported like a crash.
#define FUZZ_CHECK(condition, what)                                                     \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "fuzz check failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   #condition, std::string(what).c_str());                              \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

namespace haystack::fuzz {

// The input's bytes split at 0xFF (a byte that never occurs in UTF-8, so fields stay text
// unless the fuzzer makes them otherwise). Missing fields read as "".
class Fields {
 public:
  Fields(const uint8_t* data, size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (true) {
      const size_t cut = rest.find('\xff');
      fields_.emplace_back(rest.substr(0, cut));
      if (cut == std::string_view::npos) break;
      rest.remove_prefix(cut + 1);
    }
  }
  std::string_view operator[](size_t i) const { return i < fields_.size() ? fields_[i] : ""; }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<std::string_view> fields_;
};

// A small number from a field (its first byte), for choices and counts.
inline uint8_t Byte(std::string_view field) {
  return field.empty() ? 0 : static_cast<uint8_t>(field[0]);
}

}  // namespace haystack::fuzz

#endif  // HAYSTACK_TESTS_FUZZ_FUZZ_SUPPORT_H_
