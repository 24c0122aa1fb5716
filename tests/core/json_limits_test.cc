// Hostile JSON depth and size: every document HAYSTACK reads or writes is bounded
// (docs/operations.md "Limits"). Each case here crashed the process (stack overflow) before
// the parser became iterative and depth-checked.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

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

TEST_CASE("every number reads as the correctly rounded double, where RapidJSON's own did not") {
  // Found by tests/fuzz: RapidJSON 1.1.0's full-precision conversion read outside its table of
  // powers of ten for "0.000…1" with 348 zeros (a crash on a run's config) and returned garbage
  // near the smallest double. The reference is glibc's strtod, correctly rounded.
  const std::string zeros323 = "0." + std::string(323, '0');
  const std::vector<std::string> numbers = {
      zeros323 + "49406564584124654",          // jsonb's text of the smallest double
      zeros323 + "3",                          // rounds up to the smallest double
      "-" + zeros323 + "26",                   // and to its negative
      "0." + std::string(20, '0') + "3e-303",  // 3e-324 with an exponent
      "2.2250738585072009e-308",               // the largest subnormal
      "1.7976931348623157e308",
      "0.1",
      "-123.456e-7",
      "0." + std::string(400, '3'),  // 400 digits
      "18446744073709551616",        // 2^64: read as a double, like RapidJSON
      "-9223372036854775809",
  };
  for (const std::string& number : numbers) {
    INFO(number.substr(0, 60));
    auto doc = ParseJsonDocument("[" + number + "]", "x");
    REQUIRE(doc.ok());
    REQUIRE((*doc)[0].IsDouble());
    const double want = std::strtod(number.c_str(), nullptr);
    const double got = (*doc)[0].GetDouble();
    CHECK(std::memcmp(&got, &want, sizeof got) == 0);  // bit for bit, so the sign of 0 too
  }

  // Integers keep their integer types; NaN and infinities are read as before.
  auto integers = ParseJsonDocument("[-9223372036854775808, 18446744073709551615, 0, -0]", "x");
  REQUIRE(integers.ok());
  CHECK((*integers)[0].GetInt64() == std::numeric_limits<int64_t>::min());
  CHECK((*integers)[1].GetUint64() == std::numeric_limits<uint64_t>::max());
  CHECK((*integers)[2].IsInt());
  CHECK((*integers)[3].IsInt());
  auto special = ParseJsonDocument("[NaN, -Infinity, Inf]", "x");
  REQUIRE(special.ok());
  CHECK(std::isnan((*special)[0].GetDouble()));
  CHECK((*special)[1].GetDouble() == -std::numeric_limits<double>::infinity());
  CHECK((*special)[2].GetDouble() == std::numeric_limits<double>::infinity());
}

TEST_CASE("a number a double cannot hold is refused, naming the source") {
  auto refused = ParseRunConfig(R"({"min_improvement": 1e-400})");
  REQUIRE_FALSE(refused.ok());
  CHECK(GetErrorKind(refused.status()) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("config: a number outside the range of a double at byte 20"));
  // Beyond the largest double, or below half the smallest (zero as a double, where RapidJSON
  // 1.1.0 returned NaN or other garbage, or crashed).
  const std::string zeros323 = "0." + std::string(323, '0');
  for (const std::string& number :
       {std::string("1.8e308"), std::string("2e-324"), zeros323 + "1",
        "0." + std::string(20, '0') + "1e-303", "-0." + std::string(400, '0') + "1",
        "0." + std::string(329, '0') + "12345678901234567890"}) {
    INFO(number.substr(0, 60));
    auto doc = ParseJsonDocument("[" + number + "]", "x");
    REQUIRE_FALSE(doc.ok());
    CHECK_THAT(std::string(doc.status().message()),
               Catch::Contains("x: a number outside the range of a double at byte 1"));
  }
  // Digits inside strings are text.
  CHECK(ParseJsonDocument("[\"1e-400\", \"0." + std::string(400, '0') + "1\"]", "x").ok());
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
