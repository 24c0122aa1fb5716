// The committed table of query wordings (tests/agent/wordings.tsv), run on the demo atlas and
// the CELLxGENE-layout test atlas with the bundled knowledge base. Each row gives the expected
// structured query, or the expected refusal and what its message must name.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/test_atlases.h"
#include "catch2/catch.hpp"
#include "haystack/agent/query_analyzer.h"
#include "haystack/core/error.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

struct Row {
  int line = 0;
  std::vector<std::string> f;  // the columns of the header, in order
};

constexpr const char* kColumns[] = {"atlas",     "query",        "outcome",  "task",   "cell_type",
                                    "selected",  "perturbation", "donor",    "tissue", "disease",
                                    "condition", "dataset",      "must_name"};

std::vector<Row> ReadTable() {
  std::ifstream in(testing::SourceDir() / "tests/agent/wordings.tsv");
  REQUIRE(in.good());
  std::vector<Row> rows;
  std::string line;
  int number = 0;
  bool header = true;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    INFO("wordings.tsv:" << number);
    REQUIRE(fields.size() == std::size(kColumns));
    if (header) {
      for (size_t i = 0; i < fields.size(); ++i) REQUIRE(fields[i] == kColumns[i]);
      header = false;
      continue;
    }
    rows.push_back({number, std::move(fields)});
  }
  return rows;
}

std::optional<std::string> Opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// Every mismatch of one row, empty when it passes.
std::vector<std::string> Check(const Row& row) {
  const auto& f = row.f;
  const AtlasVocabulary& vocabulary =
      f[0] == "demo" ? testing::DemoVocabulary() : testing::CellxgeneVocabulary();
  RuleBasedQueryAnalyzer analyzer(testing::TableKnowledge(), vocabulary);
  const absl::StatusOr<StructuredQuery> q = analyzer.Analyze(f[1]);
  std::vector<std::string> problems;
  auto expect = [&](const char* what, const auto& got, const auto& want) {
    if (!(got == want)) {
      std::ostringstream out;
      out << what << ": got '" << (got ? *got : std::string("(unset)")) << "', want '"
          << (want ? *want : std::string("(unset)")) << "'";
      problems.push_back(out.str());
    }
  };
  if (f[2] != "ok") {
    if (q.ok()) return {"expected a refusal (" + f[2] + "), got a query"};
    const std::string message(q.status().message());
    if (std::string(ErrorKindName(GetErrorKind(q.status()))) != f[2]) {
      problems.push_back("kind " + std::string(ErrorKindName(GetErrorKind(q.status()))));
    }
    for (const std::string& name :
         std::vector<std::string>(absl::StrSplit(f[12], '|', absl::SkipEmpty()))) {
      if (message.find(name) == std::string::npos) problems.push_back("message lacks " + name);
    }
    if (!problems.empty()) problems.push_back("message: " + message);
    if (std::getenv("HAYSTACK_PRINT_REFUSALS") != nullptr) {
      WARN(f[0] << ": " << f[1] << "\n  → " << message);
    }
    return problems;
  }
  if (!q.ok()) return {"refused: " + std::string(q.status().message())};
  const std::optional<std::string> task(std::string(EnumName(q->task_type)));
  expect("task", task, Opt(f[3]));
  expect("cell_type", q->cell_type_cl_id, Opt(f[4]));
  std::vector<std::string> selected;
  for (const CellTypeSelection& s : q->cell_types_selected) selected.push_back(s.id);
  std::sort(selected.begin(), selected.end());
  expect("selected", Opt(absl::StrJoin(selected, "|")), Opt(f[5].empty() ? f[4] : f[5]));
  expect("perturbation", q->perturbation_resolved, Opt(f[6]));
  expect("donor", q->target_donor_id, Opt(f[7]));
  expect("tissue", q->target_tissue, Opt(f[8]));
  expect("disease", q->target_disease_state, Opt(f[9]));
  expect("condition", q->target_condition, Opt(f[10]));
  expect("dataset", q->reference_dataset, Opt(f[11]));
  if (!Validate(*q).ok()) problems.push_back("invalid: " + std::string(Validate(*q).message()));
  return problems;
}

TEST_CASE("the wording table: every row resolves or is refused as written down") {
  const std::vector<Row> rows = ReadTable();
  REQUIRE(rows.size() >= 60);
  int passed = 0;
  for (const Row& row : rows) {
    const std::vector<std::string> problems = Check(row);
    INFO("wordings.tsv:" << row.line << " [" << row.f[0] << "] " << row.f[1] << "\n  "
                         << absl::StrJoin(problems, "\n  "));
    CHECK(problems.empty());
    passed += problems.empty() ? 1 : 0;
  }
  WARN("wording table: " << passed << " of " << rows.size() << " rows pass");
}

}  // namespace
}  // namespace haystack
