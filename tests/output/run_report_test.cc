#include "haystack/output/run_report.h"

#include <catch2/catch.hpp>

#include "haystack/core/json.h"
#include "sample_run.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// <script>, quotes, CR/LF, RTL text and emoji, and ~100 KB of it.
std::string HostileQuery() {
  std::string q =
      "How do CD14+ monocytes respond to IFN-\xCE\xB3? <script>alert('x')</script> "
      "\"quoted\" & 'single' | pipe `tick` [link](javascript:alert(1))\r\nSecond line\n"
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC";
  while (q.size() < 100'000) q += " lorem \xF0\x9F\xA7\xAC";
  return q + " END";
}

// Python's html.parser (independent of our writer): tags, the text of the query blockquote,
// the SVGs' accessibility attributes.
constexpr char kInspectHtml[] = R"(
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}; self.stack = []; self.quote = ''; self.svgs = []; self.titles = 0
        self.attrs_with_js = 0
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.stack.append(tag)
        a = dict(attrs)
        if tag == 'svg': self.svgs.append(a)
        for k, v in attrs:
            if k.startswith('on') or (v or '').strip().lower().startswith('javascript:'):
                self.attrs_with_js += 1
    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag: pass
    def handle_data(self, data):
        if self.stack and self.stack[-1] == 'blockquote': self.quote += data
        if self.stack and self.stack[-1] == 'title' and 'svg' in self.stack: self.titles += 1
p = P(); p.feed(open(sys.argv[1], encoding='utf-8', newline='').read()); p.close()
print(json.dumps({'tags': p.tags, 'quote': p.quote, 'svgs': p.svgs, 'svg_titles': p.titles,
                  'js_attrs': p.attrs_with_js}))
)";

TEST_CASE("report.md has the documented sections and the run's numbers") {
  const RunReportInput input = testing::SampleReportInput();
  const std::string md = RenderReportMarkdown(input);
  for (const char* section :
       {"# HAYSTACK Run Report", "## Query", "## Results Summary", "## Control Strategy",
        "## Score Breakdown (perturbational)", "## Enriched Pathways",
        "## Top Differentially Expressed Genes", "## Iterations", "## Components Unavailable",
        "## Errors", "## Provenance"}) {
    INFO(section);
    CHECK(Contains(md, section));
  }
  CHECK(Contains(md, "- **Final Score**: 8/10 (threshold 7)"));
  CHECK(Contains(md, "- **Best iteration**: 2"));
  CHECK(Contains(md, "**Fallback**"));
  CHECK(Contains(md, "| Literature support | n/a | unavailable: literature API timed out |"));
  CHECK(Contains(md, "| 2 | mechanistic | 8/10 | query_as_control | 41.5 |"));
  CHECK(Contains(md, "CXCL10 (log2FC 3.2, adj. p 1e-27)"));
  CHECK(Contains(md, "immune response \\<b\\>bold\\</b\\> \\& co"));
  CHECK(Contains(md, "ExternalApiError"));
}

TEST_CASE("an observational run shows the observational breakdown, a failed one its error") {
  RunReportInput input = testing::SampleReportInput();
  ObservationalGroundingScore o;
  o.marker_gene_expression = 7;
  o.tissue_signature_match = 6;
  o.donor_effect_capture = 5;
  o.cell_type_coherence = 8;
  o.composite_score = 7;
  input.run.iterations.resize(1);
  input.run.iterations[0].grounding_score = o;
  input.run.best_iteration = 1;
  input.run.structured_query->task_type = TaskType::kDonorExpressionPrediction;
  const std::string md = RenderReportMarkdown(input);
  CHECK(Contains(md, "## Score Breakdown (observational)"));
  CHECK(Contains(md, "| Marker gene expression | 7/10 |"));
  CHECK_FALSE(Contains(md, "## Enriched Pathways"));

  RunReportInput failed = testing::SampleReportInput();
  failed.run.iterations.clear();
  failed.run.final_score.reset();
  failed.run.best_iteration.reset();
  failed.run.status = RunStatus::kFailed;
  failed.run.termination_reason = TerminationReason::kError;
  failed.run.error = RunError{"InferenceError", "worker unreachable", RunPhase::kInference, 1};
  const std::string fmd = RenderReportMarkdown(failed);
  CHECK(Contains(fmd, "- **Final Score**: n/a"));
  CHECK(Contains(fmd, "No iteration finished"));
  CHECK(Contains(fmd, "- **InferenceError** in inference (iteration 1): worker unreachable"));
  const std::string html = RenderReportHtml(failed);
  CHECK(Contains(html, "worker unreachable"));
  CHECK_FALSE(Contains(html, "<svg"));  // nothing to plot
}

TEST_CASE("report.html is self-contained, accessible and plots three figures") {
  testing::TempDir dir;
  const std::string html = RenderReportHtml(testing::SampleReportInput());
  testing::WriteFile(dir.path() / "report.html", html);
  auto result =
      testing::RunProcess({"/usr/bin/python3", "-c", kInspectHtml, dir.File("report.html")});
  INFO(result.stderr_text);
  REQUIRE(result.exit_code == 0);
  auto doc = ParseJsonDocument(result.stdout_text, "python");
  REQUIRE(doc.ok());
  const auto& tags = (*doc)["tags"];
  CHECK(tags["h1"].GetInt() == 1);
  CHECK_FALSE(tags.HasMember("script"));
  CHECK_FALSE(tags.HasMember("img"));
  CHECK_FALSE(tags.HasMember("link"));
  CHECK(tags["svg"].GetInt() == 3);
  CHECK(tags["caption"].GetInt() >= 4);
  CHECK((*doc)["svg_titles"].GetInt() == 3 + 6 + 3);  // plot titles + point and bar tooltips
  for (const auto& svg : (*doc)["svgs"].GetArray()) {
    CHECK(std::string(svg["role"].GetString()) == "img");
    CHECK(svg.HasMember("aria-labelledby"));
  }
  CHECK(Contains(html, "<html lang=\"en\">"));
  CHECK(Contains(html, "Content-Security-Policy"));
  // The only URL is the SVG namespace: nothing is loaded from anywhere.
  size_t urls = 0, namespaces = 0;
  for (size_t at = html.find("://"); at != std::string::npos; at = html.find("://", at + 1)) ++urls;
  for (size_t at = html.find("http://www.w3.org/2000/svg"); at != std::string::npos;
       at = html.find("http://www.w3.org/2000/svg", at + 1)) {
    ++namespaces;
  }
  CHECK(urls == namespaces);
}

TEST_CASE("hostile query text appears escaped and intact in both reports and the log") {
  testing::TempDir dir;
  RunReportInput input = testing::SampleReportInput();
  input.run.raw_query = HostileQuery();
  input.run.structured_query->cell_type_query = "<img src=x onerror=alert(1)>";
  input.run.structured_query->cell_type_name.reset();

  const std::string html = RenderReportHtml(input);
  CHECK_FALSE(Contains(html, "<script>"));
  CHECK_FALSE(Contains(html, "<img"));
  testing::WriteFile(dir.path() / "report.html", html);
  auto inspected =
      testing::RunProcess({"/usr/bin/python3", "-c", kInspectHtml, dir.File("report.html")});
  REQUIRE(inspected.exit_code == 0);
  auto doc = ParseJsonDocument(inspected.stdout_text, "python");
  REQUIRE(doc.ok());
  // The browser-visible text of the blockquote is the query, byte for byte (CR/LF included).
  CHECK(std::string((*doc)["quote"].GetString()) == input.run.raw_query);
  CHECK((*doc)["js_attrs"].GetInt() == 0);
  CHECK_FALSE((*doc)["tags"].HasMember("script"));

  const std::string md = RenderReportMarkdown(input);
  CHECK_FALSE(Contains(md, "<script>"));
  CHECK(Contains(md, "\\<script\\>alert\\('x'\\)\\</script\\>"));
  CHECK(Contains(md, "> Second line\n"));  // a line break stays inside the quote
  CHECK(Contains(md, "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC"));
  CHECK(Contains(md, " END\n"));
  // Undoing the backslash escapes gives back the query's lines.
  std::string unescaped;
  const size_t start = md.find("## Query\n\n") + 10;
  const size_t end = md.find("\n\n", start);
  for (size_t i = start; i < end; ++i) {
    if (md[i] == '\\') ++i;
    unescaped.push_back(md[i]);
  }
  std::string expected = "> ";
  const std::string& raw = input.run.raw_query;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' || raw[i] == '\n') {
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      expected += "\n> ";
    } else {
      expected.push_back(raw[i]);
    }
  }
  CHECK(unescaped == expected);

  auto log = ParseJsonDocument(RenderRunLog(input), "log");
  REQUIRE(log.ok());
  CHECK(std::string((*log)["query"]["raw"].GetString()) == input.run.raw_query);
}

TEST_CASE("log.json carries the documented fields, errors, phases and provenance") {
  const RunReportInput input = testing::SampleReportInput();
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "log.json", RenderRunLog(input));
  // Python's json module reads it (strict: no NaN, valid UTF-8).
  auto check = testing::RunProcess(
      {"/usr/bin/python3", "-c",
       "import json,sys; d=json.load(open(sys.argv[1]), parse_constant=lambda c: 1/0); "
       "print(d['run_id'], d['status'], d['final_score'], d['best_iteration'], "
       "len(d['iterations']), d['iterations'][1]['prompt_strategy'], "
       "d['config']['score_threshold'], d['phases'][1]['duration_seconds'], "
       "d['provenance']['model_backend'], d['warnings'][0]['error_type'], "
       "d['control_strategy_effective'], d['termination_reason'])",
       dir.File("log.json")});
  INFO(check.stderr_text);
  REQUIRE(check.exit_code == 0);
  CHECK(check.stdout_text ==
        "hay_20261125_abc123 completed 8 2 3 mechanistic 7 30.0 local-icl-baseline "
        "ExternalApiError query_as_control converged\n");
  auto doc = ParseJsonDocument(RenderRunLog(input), "log");
  REQUIRE(doc.ok());
  // Full scores are kept and read back into the core type.
  AnyGroundingScore score;
  REQUIRE(ReadJson((*doc)["iterations"][1]["score"], "score", &score).ok());
  CHECK(score == input.run.iterations[1].grounding_score);
  CHECK((*doc)["schema_version"].GetInt() == 1);
  CHECK((*doc)["error"].IsNull());
}

}  // namespace
}  // namespace haystack
