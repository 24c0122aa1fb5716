#include "knowledge/internal/line_reader.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::knowledge_internal {

absl::StatusOr<LineReader> LineReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound,
                     absl::StrCat("cannot open ", path));
  }
  return LineReader(path, std::move(in));
}

bool LineReader::Next(std::string* line) {
  if (!status_.ok() || !std::getline(in_, *line)) return false;
  ++line_number_;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (!IsValidUtf8(*line)) {
    status_ = Error("the line is not valid UTF-8");
    return false;
  }
  return true;
}

absl::Status LineReader::Error(std::string_view message) const {
  return LineError(path_, line_number_, message);
}

absl::Status LineError(std::string_view path, int line, std::string_view message) {
  return InvalidInputError(ErrorKind::kConfiguration,
                           absl::StrCat(std::string(path), ":", line, ": ", std::string(message)));
}

std::vector<std::string> SplitFields(std::string_view line, char separator) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(separator, start);
    fields.emplace_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return fields;
}

std::vector<std::string> SplitList(std::string_view field) {
  std::vector<std::string> items;
  for (std::string& item : SplitFields(field, '|')) {
    const size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const size_t last = item.find_last_not_of(' ');
    items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

std::string JoinList(const std::vector<std::string>& items) { return absl::StrJoin(items, "|"); }

bool IsCurie(std::string_view id) {
  const size_t colon = id.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == id.size()) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (i == colon) continue;
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace haystack::knowledge_internal
