#include "haystack/knowledge/tsv_table.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "knowledge/internal/line_reader.h"

namespace haystack {

absl::StatusOr<TsvTable> TsvTable::Read(const std::string& path,
                                        const std::vector<std::string>& required) {
  auto reader = knowledge_internal::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  TsvTable table;
  table.path_ = path;
  std::string line;
  bool have_header = false;
  while (reader->Next(&line)) {
    if (line.empty() || line.front() == '#') continue;
    auto fields = knowledge_internal::SplitFields(line, '\t');
    if (!have_header) {
      for (size_t i = 0; i < fields.size(); ++i) table.columns_[fields[i]] = i;
      for (const auto& name : required) {
        if (table.columns_.count(name) == 0) {
          return reader->Error(absl::StrCat("header lacks column \"", name, "\" (need ",
                                            absl::StrJoin(required, ", "), ")"));
        }
      }
      table.width_ = fields.size();
      have_header = true;
      continue;
    }
    if (fields.size() != table.width_) {
      return reader->Error(
          absl::StrCat("expected ", table.width_, " tab-separated fields, found ", fields.size()));
    }
    table.rows_.push_back({reader->line_number(), std::move(fields)});
  }
  if (!reader->status().ok()) return reader->status();
  if (!have_header) return knowledge_internal::LineError(path, 0, "no header line");
  return table;
}

const std::string& TsvTable::Get(const Row& row, const std::string& column) const {
  return row.fields[columns_.at(column)];
}

absl::Status TsvTable::Error(const Row& row, std::string_view message) const {
  return knowledge_internal::LineError(path_, row.line, message);
}

}  // namespace haystack
