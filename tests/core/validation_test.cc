#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "haystack/core/run.h"
#include "haystack/core/scores.h"
#include "support/model_fixtures.h"

namespace haystack {
namespace {

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST_CASE("run config defaults follow the specification") {
  RunConfig c;
  CHECK(c.max_iterations == 5);
  CHECK(c.score_threshold == 7);
  CHECK(c.plateau_window == 3);
  CHECK(c.min_improvement == 1);
  CHECK(c.control_strategy == ControlStrategy::kSyntheticControl);
  CHECK(c.de_config.lfc_threshold == 0.5);
  CHECK(c.de_config.pval_threshold == 0.05);
  CHECK(c.de_config.min_cells_per_group == 10);
  CHECK(c.de_config.test_method == DeTestMethod::kWilcoxon);
  CHECK(c.de_config.correction_method == CorrectionMethod::kBenjaminiHochberg);
  CHECK(c.control_condition_names ==
        std::vector<std::string>{"PBS", "DMSO", "control", "vehicle", "untreated"});
  CHECK(Validate(c).ok());
}

TEST_CASE("out-of-range config values are rejected with the field name") {
  auto too_many = ParseRunConfig(R"({"max_iterations": 11})");
  REQUIRE_FALSE(too_many.ok());
  CHECK(Message(too_many.status()) == "config.max_iterations must be between 1 and 10 (got 11)");

  auto zero = ParseRunConfig(R"({"score_threshold": 0})");
  CHECK_FALSE(zero.ok());
  auto pval = ParseRunConfig(R"({"de_config": {"pval_threshold": 0}})");
  REQUIRE_FALSE(pval.ok());
  CHECK_THAT(Message(pval.status()), Catch::Contains("config.de_config.pval_threshold"));
  auto provider = ParseRunConfig(R"({"llm_provider": "skynet"})");
  CHECK_FALSE(provider.ok());
  auto empty_controls = ParseRunConfig(R"({"control_condition_names": []})");
  CHECK_FALSE(empty_controls.ok());
  auto nul_control = ParseRunConfig(R"({"control_condition_names": ["PBS\u0000"]})");
  REQUIRE_FALSE(nul_control.ok());
  CHECK_THAT(Message(nul_control.status()), Catch::Contains("control character"));
}

TEST_CASE("an empty config document means all defaults") {
  auto config = ParseRunConfig("");
  REQUIRE(config.ok());
  CHECK(*config == RunConfig{});
  auto object = ParseRunConfig("{}");
  REQUIRE(object.ok());
  CHECK(*object == RunConfig{});
}

TEST_CASE("scores outside 1-10 are invalid") {
  GroundingScore s = testing::SampleGroundingScore();
  CHECK(Validate(s).ok());
  s.target_activation = 11;
  CHECK(Message(Validate(s)) ==
        "grounding_score.target_activation must be between 1 and 10 "
        "(got 11)");
  s.target_activation = 5;
  s.composite_score = 0;
  CHECK_FALSE(Validate(s).ok());
}

TEST_CASE("structured queries need a perturbation for perturbational tasks") {
  StructuredQuery q = testing::SampleStructuredQuery();
  CHECK(Validate(q).ok());
  q.perturbation_query.reset();
  q.perturbation_resolved.reset();
  CHECK(GetErrorKind(Validate(q)) == ErrorKind::kQueryParsing);
  q.task_type = TaskType::kCellTypeImputation;
  CHECK(Validate(q).ok());
  q.cell_type_cl_id = "UBERON:1";
  CHECK_FALSE(Validate(q).ok());
}

TEST_CASE("run ids are restricted to a safe alphabet") {
  Run run = testing::SamplePendingRun("hay_20261124_abc");
  CHECK(Validate(run).ok());
  run.run_id = "x; DROP TABLE runs";
  CHECK_FALSE(Validate(run).ok());
  run.run_id = "";
  CHECK_FALSE(Validate(run).ok());
}

TEST_CASE("finalized means terminal with a termination reason") {
  Run run = testing::SamplePendingRun("r1");
  CHECK_FALSE(IsFinalized(run));
  run.status = RunStatus::kCancelled;  // set by the API
  CHECK(IsCancellationRequested(run));
  CHECK_FALSE(IsFinalized(run));
  run.termination_reason = TerminationReason::kCancelled;
  CHECK(IsFinalized(run));
}

TEST_CASE("score accessors see through the variant") {
  AnyGroundingScore a = testing::SampleGroundingScore(6);
  AnyGroundingScore b = testing::SampleObservationalScore();
  CHECK(CompositeScore(a) == 6);
  CHECK(CompositeScore(b) == 8);
  CHECK(Components(b).front().name == "marker_gene_expression");
  CHECK(ImprovementSuggestions(a).size() == 1);
}

}  // namespace
}  // namespace haystack
