// Reads a text file line by line with line numbers, for the importers' error messages.
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_LINE_READER_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_LINE_READER_H_

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace haystack::knowledge_internal {

class LineReader {
 public:
  // Errors: kStorage/NotFound when the file cannot be opened.
  static absl::StatusOr<LineReader> Open(const std::string& path);

  // The next line without its line ending; false at the end of the file. A line that is not
  // valid UTF-8 sets `status()` and ends reading.
  bool Next(std::string* line);
  int line_number() const { return line_number_; }
  const absl::Status& status() const { return status_; }
  // "<path>:<line>: <message>" as an InvalidArgument kConfiguration error.
  absl::Status Error(std::string_view message) const;

 private:
  LineReader(std::string path, std::ifstream in) : path_(std::move(path)), in_(std::move(in)) {}
  std::string path_;
  std::ifstream in_;
  int line_number_ = 0;
  absl::Status status_;
};

// "<path>:<line>: <message>" as an InvalidArgument kConfiguration error.
absl::Status LineError(std::string_view path, int line, std::string_view message);

// Splits on `separator`, keeping empty fields.
std::vector<std::string> SplitFields(std::string_view line, char separator);
// Splits a "|"-separated list, dropping empty items and trimming spaces.
std::vector<std::string> SplitList(std::string_view field);
// Joins with "|".
std::string JoinList(const std::vector<std::string>& items);
// True for "GO:0034341" style ids: a prefix of letters/digits/underscores, ':' and a local id.
bool IsCurie(std::string_view id);

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_LINE_READER_H_
