// STRING protein.links + protein.info parser (ParseStringLinks).
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "haystack/knowledge/formats.h"
#include "knowledge/internal/line_reader.h"

namespace haystack {
namespace {

absl::StatusOr<std::unordered_map<std::string, std::string>> ReadProteinInfo(
    const std::string& path) {
  auto reader = knowledge_internal::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::unordered_map<std::string, std::string> names;
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto fields = knowledge_internal::SplitFields(line, '\t');
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      return reader->Error("expected \"string_protein_id<TAB>preferred_name<TAB>...\"");
    }
    if (!names.emplace(fields[0], fields[1]).second) {
      return reader->Error(absl::StrCat("duplicate protein id \"", fields[0], "\""));
    }
  }
  if (!reader->status().ok()) return reader->status();
  return names;
}

}  // namespace

absl::StatusOr<std::vector<Interaction>> ParseStringLinks(const std::string& links_path,
                                                          const std::string& info_path,
                                                          int min_score) {
  auto names = ReadProteinInfo(info_path);
  if (!names.ok()) return names.status();
  auto reader = knowledge_internal::LineReader::Open(links_path);
  if (!reader.ok()) return reader.status();
  std::map<std::pair<std::string, std::string>, int> links;
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (reader->line_number() == 1 && !fields.empty() && fields[0] == "protein1") continue;
    if (fields.size() != 3) {
      return reader->Error(absl::StrCat(
          "expected \"protein1 protein2 combined_score\" (3 fields), found ", fields.size()));
    }
    int score = -1;
    const auto [end, ec] =
        std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), score);
    if (ec != std::errc() || end != fields[2].data() + fields[2].size() || score < 0 ||
        score > 1000) {
      return reader->Error(
          absl::StrCat("combined_score must be an integer in 0-1000, not \"", fields[2], "\""));
    }
    const auto a = names->find(fields[0]);
    const auto b = names->find(fields[1]);
    if (a == names->end() || b == names->end()) {
      return reader->Error(absl::StrCat("protein \"", a == names->end() ? fields[0] : fields[1],
                                        "\" is not in ", info_path));
    }
    if (score < min_score || a->second == b->second) continue;
    auto key = std::minmax(a->second, b->second);
    int& kept = links[{key.first, key.second}];
    kept = std::max(kept, score);
  }
  if (!reader->status().ok()) return reader->status();
  std::vector<Interaction> out;
  out.reserve(links.size());
  for (const auto& [pair, score] : links) out.push_back({pair.first, pair.second, score});
  return out;
}

}  // namespace haystack
