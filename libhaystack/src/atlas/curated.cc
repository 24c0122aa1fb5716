#include "haystack/atlas/curated.h"

#include <fstream>
#include <set>

#include "absl/strings/str_split.h"
#include "haystack/core/error.h"
#include "internal/cat.h"

namespace haystack {
namespace {

using atlas_internal::Cat;

std::vector<std::string> SplitList(const std::string& field) {
  std::vector<std::string> out;
  if (field.empty()) return out;
  for (absl::string_view part : absl::StrSplit(field, '|')) {
    if (!part.empty()) out.emplace_back(part.data(), part.size());
  }
  return out;
}

// Rows of a TSV file (header checked against `columns`, '#' lines skipped).
absl::StatusOr<std::vector<std::vector<std::string>>> ReadTsv(
    const std::string& path, const std::vector<std::string>& columns) {
  std::ifstream in(path);
  if (!in) return ConfigurationError(Cat("cannot read ", path));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  int line_no = 0;
  bool header = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    for (absl::string_view f : absl::StrSplit(line, '\t')) fields.emplace_back(f.data(), f.size());
    if (header) {
      if (fields != columns) {
        return ConfigurationError(Cat(path, ":", line_no, ": unexpected header"));
      }
      header = false;
      continue;
    }
    if (fields.size() != columns.size()) {
      return ConfigurationError(
          Cat(path, ":", line_no, ": ", fields.size(), " fields, expected ", columns.size()));
    }
    rows.push_back(std::move(fields));
  }
  if (header) return ConfigurationError(Cat(path, ": empty file"));
  return rows;
}

absl::StatusOr<std::vector<CuratedTerm>> ReadTerms(const std::string& path, const char* genes) {
  HAYSTACK_ASSIGN_OR_RETURN(auto rows, ReadTsv(path, {"id", "name", "synonyms", "parents", genes}));
  std::vector<CuratedTerm> out;
  for (auto& r : rows) {
    out.push_back({r[0], r[1], SplitList(r[2]), SplitList(r[3]), SplitList(r[4])});
  }
  return out;
}

}  // namespace

const CuratedTerm* CuratedVocabulary::CellType(std::string_view id) const {
  for (const auto& t : cell_types) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::vector<const CuratedTerm*> CuratedVocabulary::LeafCellTypes() const {
  std::set<std::string> parents;
  for (const auto& t : cell_types) parents.insert(t.parents.begin(), t.parents.end());
  std::vector<const CuratedTerm*> out;
  for (const auto& t : cell_types) {
    if (!parents.count(t.id) && !t.genes.empty()) out.push_back(&t);
  }
  return out;
}

absl::StatusOr<CuratedVocabulary> ReadCuratedVocabulary(const std::string& dir) {
  CuratedVocabulary v;
  HAYSTACK_ASSIGN_OR_RETURN(v.cell_types, ReadTerms(dir + "/cell_types.tsv", "markers"));
  HAYSTACK_ASSIGN_OR_RETURN(v.tissues, ReadTerms(dir + "/tissues.tsv", "signature"));
  HAYSTACK_ASSIGN_OR_RETURN(v.diseases, ReadTerms(dir + "/diseases.tsv", "signature"));
  HAYSTACK_ASSIGN_OR_RETURN(
      auto rows, ReadTsv(dir + "/perturbations.tsv",
                         {"name", "type", "synonyms", "targets", "expected_pathways", "expected_up",
                          "expected_down", "description"}));
  for (auto& r : rows) {
    v.perturbations.push_back({r[0], r[1], SplitList(r[2]), SplitList(r[3]), SplitList(r[4]),
                               SplitList(r[5]), SplitList(r[6]), r[7]});
  }
  return v;
}

}  // namespace haystack
