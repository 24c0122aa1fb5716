// A tab-separated table with a header line, as the curated files in data/curated use: empty
// lines and lines starting with '#' are skipped, every data row has the header's width, text is
// valid UTF-8. Fields are addressed by column name. The one reader of curated tables: the
// knowledge base's importers and the synthetic demo atlas both use it.
#ifndef HAYSTACK_KNOWLEDGE_TSV_TABLE_H_
#define HAYSTACK_KNOWLEDGE_TSV_TABLE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace haystack {

class TsvTable {
 public:
  // Errors (kConfiguration, "<path>:<line>: ..."): a header without one of `required`, a row of
  // another width, invalid UTF-8, no header; kStorage when the file cannot be opened.
  static absl::StatusOr<TsvTable> Read(const std::string& path,
                                       const std::vector<std::string>& required);

  struct Row {
    int line = 0;  // 1-based line number in the file
    std::vector<std::string> fields;
  };
  const std::vector<Row>& rows() const { return rows_; }
  bool Has(const std::string& column) const { return columns_.count(column) != 0; }
  // The field of `column`, which must be a required column or one Has() reports.
  const std::string& Get(const Row& row, const std::string& column) const;
  // "<path>:<row's line>: <message>" as an InvalidArgument kConfiguration error.
  absl::Status Error(const Row& row, std::string_view message) const;

 private:
  std::string path_;
  std::map<std::string, size_t> columns_;
  size_t width_ = 0;
  std::vector<Row> rows_;
};

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_TSV_TABLE_H_
