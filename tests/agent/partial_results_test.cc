// Every run that does not fail ends with its outputs: observational questions are scored from
// the atlas's own cells, a run that exhausts its prompt candidates below the threshold reports
// its best iteration, and a prediction nothing can score completes unscored.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/run_fixture.h"
#include "haystack/atlas/h5ad.h"

namespace haystack::testing {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void CheckOutputs(const Run& run) {
  REQUIRE(run.output_anndata_path.has_value());
  REQUIRE(run.output_report_path.has_value());
  REQUIRE(run.output_log_path.has_value());
  CHECK(std::filesystem::exists(*run.output_anndata_path));
  CHECK(std::filesystem::exists(*run.output_report_path));
  CHECK(std::filesystem::exists(*run.output_log_path));
  CHECK(ReadH5ad(*run.output_anndata_path).ok());
}

TEST_CASE("every observational task type is scored from the atlas with at least two components",
          "[run][observational]") {
  struct Case {
    std::string query;
    TaskType task;
  };
  const std::vector<Case> cases = {
      {"Simulate NK cells in lung tissue", TaskType::kCellTypeImputation},
      {"Impute B cells for donor D03", TaskType::kCellTypeImputation},
      {"Predict CD14+ monocytes of donor D05", TaskType::kDonorExpressionPrediction},
      {"Generate CD14+ monocytes as in the haystack_demo dataset",
       TaskType::kCrossDatasetGeneration},
  };
  RunFixture f;
  for (const Case& c : cases) {
    const std::string id = f.CreateRun(c.query, R"({"max_iterations": 1})");
    const JobResult result = f.Execute(id);
    INFO(c.query << " → " << result.message);
    REQUIRE(result.exit_code == kExitSuccess);
    const Run run = f.Get(id);
    CHECK(run.status == RunStatus::kCompleted);
    REQUIRE(run.structured_query.has_value());
    CHECK(run.structured_query->task_type == c.task);
    REQUIRE(run.iterations.size() == 1);
    const auto* score =
        std::get_if<ObservationalGroundingScore>(&run.iterations[0].grounding_score);
    REQUIRE(score != nullptr);
    int scored = 0;
    for (const ScoreComponent& component : score->components) {
      INFO(component.name << ": " << component.rationale << component.unavailable_reason);
      scored += component.score.has_value();
      if (!component.score) CHECK_FALSE(component.unavailable_reason.empty());
    }
    CHECK(scored >= 2);
    CHECK(score->composite_score.has_value());
    CHECK(run.final_score == score->composite_score);
    CHECK(score->marker_gene_expression.has_value());  // markers of the type from its real cells
    CheckOutputs(run);
    CHECK_THAT(ReadText(*run.output_report_path), Catch::Contains("marker"));
  }
}

TEST_CASE(
    "an atlas with a single prompt candidate scored below the threshold completes with its "
    "outputs: candidates exhausted",
    "[run][partial]") {
  TempDir dir;
  const CellAtlas& full = SharedSyntheticAtlas();
  // CD14+ monocytes: IFNG-treated in donor D01 only, and every control.
  const auto atlas = SubsetAtlas(full,
                                 {CellFilter()
                                      .Where(AtlasField::kCellType, "CL:0001054")
                                      .Where(AtlasField::kPerturbation, "IFNG")
                                      .Where(AtlasField::kDonor, "D01"),
                                  CellFilter()
                                      .Where(AtlasField::kCellType, "CL:0001054")
                                      .Where(AtlasField::kIsControl, "true")},
                                 dir.File("one-candidate.h5ad"));
  RunFixture f(*atlas);
  const std::string id = f.CreateRun("How would CD14+ monocytes respond to IFN-gamma?",
                                     R"({"max_iterations": 5, "score_threshold": 10})");
  const JobResult result = f.Execute(id);
  INFO(result.message);
  REQUIRE(result.exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.termination_reason == TerminationReason::kCandidatesExhausted);
  REQUIRE(run.iterations.size() == 1);
  CHECK(run.best_iteration == 1);
  REQUIRE(run.final_score.has_value());
  CHECK(*run.final_score < 10);
  CheckOutputs(run);
  CHECK_THAT(ReadText(*run.output_report_path), Catch::Contains("candidates exhausted"));
  CHECK_THAT(ReadText(*run.output_log_path),
             Catch::Contains("\"termination_reason\":\"candidates_exhausted\""));
  CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_completed.eml"});
  // A re-execution decides the same way and changes nothing.
  CHECK(f.Execute(id).exit_code == kExitSuccess);
  CHECK(f.Get(id) == run);
}

TEST_CASE("a prediction no component can score completes unscored, never with a made-up score",
          "[run][partial]") {
  TempDir dir;
  const CellAtlas& full = SharedSyntheticAtlas();
  // Natural killer cells only, in blood: no other cell type, no other tissue, no target donor.
  const auto atlas = SubsetAtlas(full, {CellFilter().Where(AtlasField::kCellType, "CL:0000623")},
                                 dir.File("one-type.h5ad"));
  RunFixture f(*atlas);
  const std::string id = f.CreateRun("Simulate NK cells in blood", R"({"max_iterations": 3})");
  const JobResult result = f.Execute(id);
  INFO(result.message);
  REQUIRE(result.exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.termination_reason == TerminationReason::kUnscored);
  REQUIRE(run.iterations.size() == 1);  // another prompt cannot supply missing evidence
  CHECK_FALSE(run.final_score.has_value());
  REQUIRE(run.grounding_scores.size() == 1);
  CHECK_FALSE(run.grounding_scores[0].has_value());
  const auto* score = std::get_if<ObservationalGroundingScore>(&run.iterations[0].grounding_score);
  REQUIRE(score != nullptr);
  CHECK_FALSE(score->composite_score.has_value());
  for (const ScoreComponent& c : score->components) {
    INFO(c.name);
    CHECK_FALSE(c.score.has_value());
    CHECK_FALSE(c.unavailable_reason.empty());
  }
  CheckOutputs(run);
  const std::string report = ReadText(*run.output_report_path);
  CHECK_THAT(report, Catch::Contains("unscored"));
  CHECK_THAT(report, Catch::Contains("no other cell type"));
  auto output = ReadH5ad(*run.output_anndata_path);
  REQUIRE(output.ok());
  const DataFrameColumn* column = output->obs.Find("grounding_score");
  REQUIRE(column != nullptr);
  REQUIRE(column->mask.has_value());  // missing, not a number
  CHECK(column->mask->front());
  CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_completed.eml"});
}

}  // namespace
}  // namespace haystack::testing
