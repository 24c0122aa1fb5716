// Cat(...): concatenates strings and numbers into a std::string for paths and messages.
// (Debian's Abseil has its own string_view type, so absl::StrCat does not take
// std::string_view.)
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_CAT_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "fmt/format.h"

namespace haystack::atlas_internal {

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
template <class T>
requires std::is_arithmetic_v<T>
void AppendPiece(std::string& out, T value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

template <class... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_CAT_H_
