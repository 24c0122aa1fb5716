// OBO flat-file parser (ParseObo in formats.h).
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/knowledge/formats.h"
#include "knowledge/internal/line_reader.h"
#include "knowledge/internal/ontology_checks.h"

namespace haystack {
namespace {

using knowledge_internal::LineError;

// "CL:0000000 ! cell {source=x}" → "CL:0000000".
std::string FirstToken(std::string_view value) {
  const size_t end = value.find_first_of(" \t!{");
  return std::string(value.substr(0, end));
}

// `synonym: "CD14+ monocyte" EXACT []` → the quoted text, unescaping \".
std::optional<std::string> QuotedText(std::string_view value) {
  if (value.empty() || value.front() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out += value[++i];
    } else if (value[i] == '"') {
      return out;
    } else {
      out += value[i];
    }
  }
  return std::nullopt;
}

struct PendingEdge {
  TermEdge edge;
  int line = 0;
};

}  // namespace

absl::StatusOr<OntologyData> ParseObo(const std::string& path) {
  auto reader = knowledge_internal::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  OntologyData data;
  std::map<std::string, int> term_lines;
  std::vector<PendingEdge> edges;
  std::optional<OntologyTerm> term;
  int stanza_line = 0;
  bool in_term = false;
  auto finish_term = [&]() -> absl::Status {
    if (!term.has_value()) return absl::OkStatus();
    if (term->id.empty()) return LineError(path, stanza_line, "[Term] stanza without an id");
    if (term->name.empty()) {
      return LineError(path, stanza_line, absl::StrCat("term ", term->id, " has no name"));
    }
    auto [it, inserted] = term_lines.emplace(term->id, stanza_line);
    if (!inserted) {
      return LineError(
          path, stanza_line,
          absl::StrCat("duplicate term ", term->id, " (first defined on line ", it->second, ")"));
    }
    data.terms.push_back(std::move(*term));
    term.reset();
    return absl::OkStatus();
  };
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty() || line.front() == '!') continue;
    if (line.front() == '[') {
      if (auto status = finish_term(); !status.ok()) return status;
      in_term = line.rfind("[Term]", 0) == 0;
      stanza_line = reader->line_number();
      if (in_term) term.emplace();
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return reader->Error("expected \"tag: value\"");
    const std::string_view tag = std::string_view(line).substr(0, colon);
    std::string_view value = std::string_view(line).substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (stanza_line == 0) {  // header
      if (tag == "data-version") data.version = std::string(value);
      continue;
    }
    if (!in_term) continue;
    if (tag == "id") {
      term->id = FirstToken(value);
      if (!knowledge_internal::IsCurie(term->id)) {
        return reader->Error(absl::StrCat("malformed term id \"", std::string(value), "\""));
      }
      term->ontology = knowledge_internal::IdPrefix(term->id);
    } else if (tag == "name") {
      term->name = std::string(value);
    } else if (tag == "synonym") {
      auto text = QuotedText(value);
      if (!text.has_value()) return reader->Error("synonym without a quoted text");
      term->synonyms.push_back(std::move(*text));
    } else if (tag == "is_obsolete") {
      term->obsolete = value.starts_with("true");
    } else if (tag == "is_a") {
      edges.push_back({{term->id, FirstToken(value), "is_a"}, reader->line_number()});
    } else if (tag == "relationship" && value.starts_with("part_of ")) {
      edges.push_back({{term->id, FirstToken(value.substr(8)), "part_of"}, reader->line_number()});
    }
  }
  if (!reader->status().ok()) return reader->status();
  if (auto status = finish_term(); !status.ok()) return status;
  if (data.terms.empty()) return LineError(path, reader->line_number(), "no [Term] stanza");
  for (auto& [edge, edge_line] : edges) {
    if (edge.child.empty()) return LineError(path, edge_line, "is_a before the term's id");
    if (term_lines.count(edge.parent) == 0) {
      // part_of often points into another ontology (CL → UBERON) that the file does not
      // import; is_a must stay inside the file.
      if (edge.relation == "part_of") continue;
      return LineError(path, edge_line,
                       absl::StrCat("is_a refers to unknown term \"", edge.parent, "\""));
    }
    data.edges.push_back(std::move(edge));
  }
  if (auto status = knowledge_internal::CheckAcyclic(data, term_lines, path); !status.ok()) {
    return status;
  }
  return data;
}

}  // namespace haystack
