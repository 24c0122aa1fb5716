#include "haystack/core/json.h"

#include "catch2/catch.hpp"
#include "support/model_fixtures.h"

namespace haystack {
namespace {

template <class T>
T RoundTrip(const T& value) {
  const std::string text = ToJson(value);
  auto parsed = FromJson<T>(text);
  INFO(text);
  REQUIRE(parsed.ok());
  CHECK(ToJson(*parsed) == text);  // stable encoding
  return *parsed;
}

TEST_CASE("every model type round-trips through JSON without loss") {
  CHECK(RoundTrip(RunConfig{}) == RunConfig{});
  RunConfig config;
  config.max_iterations = 9;
  config.llm_provider = "openai";
  config.random_seed = -7;
  config.de_config.test_method = DeTestMethod::kTTest;
  config.de_config.wilcoxon_convention = WilcoxonConvention::kScanpy;
  config.de_config.correction_method = CorrectionMethod::kBonferroni;
  config.de_config.lfc_threshold = 0.25;
  CHECK(RoundTrip(config) == config);

  CHECK(RoundTrip(testing::SampleStructuredQuery()) == testing::SampleStructuredQuery());
  CHECK(RoundTrip(testing::SamplePromptCandidate()) == testing::SamplePromptCandidate());
  CHECK(RoundTrip(testing::SampleGroundingScore()) == testing::SampleGroundingScore());
  CHECK(RoundTrip(testing::SampleObservationalScore()) == testing::SampleObservationalScore());
  AnyGroundingScore any = testing::SampleObservationalScore();
  CHECK(RoundTrip(any) == any);
  CHECK(RoundTrip(testing::SampleIteration(3)) == testing::SampleIteration(3));
}

TEST_CASE("a full run record round-trips, including its stored config text") {
  Run run = testing::SamplePendingRun("hay_20261124_abc");
  run.status = RunStatus::kFailed;
  run.structured_query = testing::SampleStructuredQuery();
  run.iterations = {testing::SampleIteration(1, 5), testing::SampleIteration(2, 8)};
  run.grounding_scores = {5, 8};
  run.final_score = 8;
  run.best_iteration = 2;
  run.termination_reason = TerminationReason::kError;
  run.error = RunError{"InferenceError", "worker crashed", RunPhase::kInference, 3};
  run.output_report_path = "runs/x/report.md";
  run.attempt = 2;
  run.lease_owner = "host:1:abc";
  run.lease_expires_at = absl::FromUnixSeconds(1'790'000'100);
  run.cancel_requested_at = absl::FromUnixMicros(1'790'000'050'000'001);
  run.start_time = absl::FromUnixSeconds(1'790'000'000);
  run.end_time = absl::FromUnixSeconds(1'790'000'200);
  run.created_at = absl::FromUnixSeconds(1'789'999'000);
  run.updated_at = absl::FromUnixSeconds(1'790'000'200);
  const Run back = RoundTrip(run);
  CHECK(back == run);
}

TEST_CASE("null members and absent members keep their defaults") {
  auto config = FromJson<RunConfig>(
      R"({"max_iterations": null, "score_threshold": 8, "query": "ignored by the orchestrator",
          "de_config": {"lfc_threshold": null}})");
  REQUIRE(config.ok());
  CHECK(config->max_iterations == 5);
  CHECK(config->score_threshold == 8);
  CHECK(config->de_config.lfc_threshold == 0.5);
}

TEST_CASE("type errors name the path of the offending member") {
  auto bad = FromJson<RunConfig>(R"({"de_config": {"lfc_threshold": "high"}})", "config");
  REQUIRE_FALSE(bad.ok());
  CHECK(GetErrorKind(bad.status()) == ErrorKind::kConfiguration);
  CHECK(std::string(bad.status().message()) ==
        "config.de_config.lfc_threshold: expected a number, got a string");

  auto bad_enum = FromJson<RunConfig>(R"({"control_strategy": "magic"})", "config");
  REQUIRE_FALSE(bad_enum.ok());
  CHECK_THAT(std::string(bad_enum.status().message()),
             Catch::Contains("config.control_strategy") && Catch::Contains("'magic'") &&
                 Catch::Contains("synthetic_control, query_as_control"));

  auto bad_int = FromJson<RunConfig>(R"({"max_iterations": 2.5})", "config");
  REQUIRE_FALSE(bad_int.ok());
  CHECK_THAT(std::string(bad_int.status().message()), Catch::Contains("expected an integer"));

  auto nested = FromJson<IterationRecord>(R"({"iteration_number": 1,
      "selected_prompt": {"strategy": "direct", "prompt_cell_indices": [1, "two"]},
      "grounding_score": {"kind": "perturbational", "composite_score": 5}})",
                                          "iterations[0]");
  REQUIRE_FALSE(nested.ok());
  CHECK_THAT(std::string(nested.status().message()),
             Catch::Contains("iterations[0].selected_prompt.prompt_cell_indices[1]"));
}

TEST_CASE("malformed JSON reports the byte offset") {
  auto bad = FromJson<RunConfig>(R"({"max_iterations": 3,)", "config");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()),
             Catch::StartsWith("config: malformed JSON at byte"));

  auto invalid_utf8 = FromJson<StructuredQuery>(
      "{\"raw_query\": \"\xff\xfe\", \"task_type\": "
      "\"cell_type_imputation\"}");
  CHECK_FALSE(invalid_utf8.ok());

  auto trailing = FromJson<RunConfig>("{} {}");
  CHECK_FALSE(trailing.ok());
}

TEST_CASE("missing required members are named") {
  auto missing = FromJson<StructuredQuery>(R"({"task_type": "cell_type_imputation"})", "sq");
  REQUIRE_FALSE(missing.ok());
  CHECK(std::string(missing.status().message()) == "sq.raw_query: required field is missing");
}

TEST_CASE("unknown score kinds are rejected") {
  auto bad = FromJson<AnyGroundingScore>(R"({"kind": "vibes", "composite_score": 3})", "score");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("score.kind"));
}

TEST_CASE("timestamps are RFC 3339 UTC with microseconds") {
  const absl::Time t = absl::FromUnixMicros(1'790'000'000'123'456);
  CHECK(FormatTimestamp(t) == "2026-09-21T14:13:20.123456Z");
  auto back = ParseTimestamp("2026-09-21T16:13:20.123456+02:00");
  REQUIRE(back.ok());
  CHECK(*back == t);
  CHECK_FALSE(ParseTimestamp("yesterday").ok());
}

TEST_CASE("non-finite doubles are written as null") {
  DeGene gene{"X", std::numeric_limits<double>::quiet_NaN(), 1, 1};
  CHECK_THAT(ToJson(gene), Catch::Contains("\"log2_fold_change\":null"));
}

TEST_CASE("unknown keys are reported by the object reader") {
  rapidjson::Document doc;
  doc.Parse(R"({"a": 1, "b": 2})");
  auto reader = JsonObjectReader::Create(doc, "x");
  REQUIRE(reader.ok());
  int a = 0;
  REQUIRE(reader->Optional("a", &a).ok());
  CHECK(reader->UnknownKeys() == std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace haystack
