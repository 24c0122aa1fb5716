#include "knowledge/internal/ontology_checks.h"

#include <unordered_map>
#include <vector>

#include "absl/strings/str_join.h"
#include "knowledge/internal/line_reader.h"

namespace haystack::knowledge_internal {

absl::Status CheckAcyclic(const OntologyData& ontology,
                          const std::map<std::string, int>& term_lines, const std::string& path) {
  std::unordered_map<std::string, std::vector<std::string>> parents;
  for (const auto& edge : ontology.edges) parents[edge.child].push_back(edge.parent);
  // Iterative depth-first search; 0 = unseen, 1 = on the current path, 2 = done.
  std::unordered_map<std::string, int> state;
  for (const auto& term : ontology.terms) {
    if (state[term.id] != 0) continue;
    std::vector<std::pair<std::string, size_t>> stack = {{term.id, 0}};
    state[term.id] = 1;
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const auto& up = parents[id];
      if (next == up.size()) {
        state[id] = 2;
        stack.pop_back();
        continue;
      }
      const std::string parent = up[next++];
      const int s = state[parent];
      if (s == 1) {
        std::vector<std::string> cycle;
        bool on_cycle = false;
        for (const auto& frame : stack) {
          on_cycle = on_cycle || frame.first == parent;
          if (on_cycle) cycle.push_back(frame.first);
        }
        cycle.push_back(parent);
        auto line = term_lines.find(parent);
        return LineError(path, line == term_lines.end() ? 0 : line->second,
                         "is_a/part_of cycle: " + absl::StrJoin(cycle, " → "));
      }
      if (s == 0) {
        state[parent] = 1;
        stack.emplace_back(parent, 0);
      }
    }
  }
  return absl::OkStatus();
}

std::string IdPrefix(const std::string& id) { return id.substr(0, id.find(':')); }

}  // namespace haystack::knowledge_internal
