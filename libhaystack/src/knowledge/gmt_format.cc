// GMT gene-set file parser (ParseGmt).
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/knowledge/formats.h"
#include "knowledge/internal/line_reader.h"

namespace haystack {

absl::StatusOr<std::vector<GeneSet>> ParseGmt(const std::string& path,
                                              const std::string& collection) {
  auto reader = knowledge_internal::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<GeneSet> out;
  std::map<std::string, int> seen;
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty() || line.front() == '#') continue;
    auto fields = knowledge_internal::SplitFields(line, '\t');
    // Many GMT writers end lines with a tab; Enrichr leaves the description empty.
    while (fields.size() > 2 && fields.back().empty()) fields.pop_back();
    if (fields.size() < 3) {
      return reader->Error(
          absl::StrCat("expected \"name<TAB>description<TAB>gene...\" (at least 3 fields), found ",
                       fields.size()));
    }
    GeneSet set;
    set.id = fields[0];
    if (set.id.empty()) return reader->Error("empty gene set name");
    auto [it, inserted] = seen.emplace(set.id, reader->line_number());
    if (!inserted) {
      return reader->Error(
          absl::StrCat("duplicate gene set \"", set.id, "\" (first on line ", it->second, ")"));
    }
    const std::string& description = fields[1];
    const bool descriptive = !description.empty() && !absl::StartsWith(description, "http") &&
                             description != "na" && description != "NA";
    set.name = descriptive ? description : set.id;
    set.collection = collection;
    for (size_t i = 2; i < fields.size(); ++i) {
      // Enrichr's weighted form "GENE,1.0" keeps the symbol.
      std::string gene = fields[i].substr(0, fields[i].find(','));
      if (gene.empty()) {
        return reader->Error(
            absl::StrCat("empty gene in field ", i + 1, " of set \"", set.id, "\""));
      }
      set.genes.push_back(std::move(gene));
    }
    std::sort(set.genes.begin(), set.genes.end());
    set.genes.erase(std::unique(set.genes.begin(), set.genes.end()), set.genes.end());
    out.push_back(std::move(set));
  }
  if (!reader->status().ok()) return reader->status();
  return out;
}

}  // namespace haystack
