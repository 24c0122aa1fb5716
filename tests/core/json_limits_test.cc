// Hostile JSON depth and size: every document HAYSTACK reads or writes is bounded
// (docs/operations.md "Limits"). Each case here crashed the process (stack overflow) before
// the parser became iterative and depth-checked.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "haystack/core/environment.h"
#include "haystack/core/json.h"
#include "haystack/core/run.h"
#include "haystack/core/settings.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::string Nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

// {"a":{"a":…{"a":1}…}}
std::string NestedObjects(size_t depth) {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(depth, '}');
  return text;
}

TEST_CASE("a run config nested 100,000 levels deep is refused, naming the limit") {
  auto config = ParseRunConfig(Nested(100'000));
  REQUIRE_FALSE(config.ok());
  CHECK(GetErrorKind(config.status()) == ErrorKind::kConfiguration);
  CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(config.status().message()),
             Catch::Contains("config: JSON nested deeper than 64 levels"));

  auto objects = ParseRunConfig(NestedObjects(100'000));
  REQUIRE_FALSE(objects.ok());
  CHECK_THAT(std::string(objects.status().message()), Catch::Contains("deeper than 64"));
}

TEST_CASE("status --json shows a record whose config is 100,000 levels deep") {
  Run run;
  run.run_id = "hay_deep";
  run.raw_query = "q";
  run.config_json = Nested(100'000);
  const std::string shown = ToJson(run);
  auto doc = ParseJsonDocument(shown, "status");
  REQUIRE(doc.ok());
  // Too deep to embed as JSON: shown as its text, as any malformed config is.
  REQUIRE((*doc)["config"].IsString());
  CHECK((*doc)["config"].GetStringLength() == 200'000);
}

TEST_CASE("a run read from JSON with a deeply nested config keeps it as bounded text") {
  // ReadJson(Run) re-serialises an embedded config object; it must not recurse without bound.
  const std::string text =
      R"({"run_id":"hay_1","status":"pending","raw_query":"q","config":)" + NestedObjects(60) + "}";
  auto run = FromJson<Run>(text);
  REQUIRE(run.ok());
  CHECK(run->config_json == NestedObjects(60));
  auto deeper = FromJson<Run>(R"({"run_id":"hay_1","status":"pending","raw_query":"q","config":)" +
                              NestedObjects(100'000) + "}");
  REQUIRE_FALSE(deeper.ok());
  CHECK_THAT(std::string(deeper.status().message()), Catch::Contains("deeper than 64"));
}

TEST_CASE("the depth limit is exact and the source is named") {
  CHECK(ParseJsonDocument(Nested(64), "x").ok());
  auto too_deep = ParseJsonDocument(Nested(65), "SendGrid response", ErrorKind::kNotification);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(GetErrorKind(too_deep.status()) == ErrorKind::kNotification);
  CHECK(std::string(too_deep.status().message()) ==
        "SendGrid response: JSON nested deeper than 64 levels (at byte 64)");
  // Syntax errors and trailing garbage are still reported with their offset.
  auto garbage = ParseJsonDocument("{} x", "y");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(std::string(garbage.status().message()),
             Catch::Contains("y: malformed JSON at byte 3"));
  CHECK_FALSE(ParseJsonDocument("\"\xff\"", "utf8").ok());
}

TEST_CASE("a document over the size limit is refused before it is parsed") {
  const std::string big = "[\"" + std::string(998, 'a') + "\"]";
  auto refused = ParseJsonDocument(big, "LLM answer", ErrorKind::kExternalApi, {.max_bytes = 1000});
  REQUIRE_FALSE(refused.ok());
  CHECK(std::string(refused.status().message()) ==
        "LLM answer: the JSON document is 1002 bytes; the limit is 1000");
  CHECK(ParseJsonDocument(big, "LLM answer", ErrorKind::kExternalApi, {.max_bytes = 1002}).ok());
}

TEST_CASE("a number with hundreds of digits is refused before RapidJSON converts it") {
  // Found by tests/fuzz: RapidJSON 1.1.0's full-precision conversion of "0.000…" with a few
  // hundred zeros reads outside its table of powers of ten (a crash on the config of a record).
  const std::string zeros = "[-0." + std::string(400, '0') + "]";
  auto refused = ParseRunConfig(R"({"min_improvement": 0.)" + std::string(400, '0') + "1}");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("config: a number longer than 100 characters at byte 20"));
  CHECK_FALSE(ParseJsonDocument(zeros, "x").ok());
  // Long digit runs inside strings are text, and ordinary numbers are untouched.
  CHECK(ParseJsonDocument("[\"" + std::string(400, '0') + "\", 1.7976931348623157e308, -0.0]", "x")
            .ok());
}

TEST_CASE("a settings file nested 100,000 levels deep is a configuration error") {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "settings.json";
  std::ofstream(path) << "{\"lease_seconds\": " << Nested(100'000) << "}";
  MapEnvironment env;
  auto settings = Settings::Load(env, path.string());
  REQUIRE_FALSE(settings.ok());
  CHECK(GetErrorKind(settings.status()) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(settings.status().message()), Catch::Contains("deeper than 64"));
  CHECK_THAT(std::string(settings.status().message()), Catch::Contains(path.string()));
}

TEST_CASE("the writer drops containers past its depth limit and stays valid JSON") {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer, /*max_depth=*/3);
  for (int i = 0; i < 10; ++i) w.StartArray();
  w.Int(1);
  for (int i = 0; i < 10; ++i) w.EndArray();
  CHECK(w.truncated());
  CHECK(std::string(buffer.GetString()) == "[[[null]]]");

  // A parsed value deeper than the writer allows is cut the same way, without recursing into
  // the dropped part.
  auto doc = ParseJsonDocument(NestedObjects(10), "x");
  REQUIRE(doc.ok());
  rapidjson::StringBuffer out;
  JsonWriter bounded(out, 4);
  WriteJson(bounded, *doc);
  CHECK(std::string(out.GetString()) == R"({"a":{"a":{"a":{"a":null}}}})");
}

TEST_CASE("the writer replaces invalid UTF-8 and writes non-finite numbers as null") {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("pa\xfft");
  w.String("/data/caf\xe9.h5ad");
  w.Key("nan");
  w.Double(std::nan(""));
  w.EndObject();
  CHECK(std::string(buffer.GetString()) ==
        "{\"pa\xEF\xBF\xBDt\":\"/data/caf\xEF\xBF\xBD.h5ad\",\"nan\":null}");
  CHECK(ParseJsonDocument(buffer.GetString(), "written").ok());
}

}  // namespace
}  // namespace haystack
