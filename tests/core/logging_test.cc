#include "haystack/core/logging.h"

#include <sstream>

#include "catch2/catch.hpp"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"

namespace haystack {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("JSON lines carry Cloud Logging fields and the run context") {
  std::ostringstream out;
  Logger root = Logger::Create({.format = LogFormat::kJson, .stream = &out});
  Logger run_logger = root.With({{"run_id", "hay_1"}, {"attempt", 2}});
  run_logger.With({{"phase", "inference"}}).Warning("worker slow", {{"iteration", 3}});
  run_logger.Debug("hidden below the minimum severity");

  auto lines = Lines(out.str());
  REQUIRE(lines.size() == 1);
  rapidjson::Document doc;
  doc.Parse(lines[0].c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["severity"].GetString()) == "WARNING");
  CHECK(std::string(doc["message"].GetString()) == "worker slow");
  CHECK(std::string(doc["run_id"].GetString()) == "hay_1");
  CHECK(doc["attempt"].GetInt() == 2);
  CHECK(std::string(doc["phase"].GetString()) == "inference");
  CHECK(doc["iteration"].GetInt() == 3);
  CHECK(doc.HasMember("time"));
  CHECK(std::string(doc["logging.googleapis.com/operation"]["id"].GetString()) == "hay_1");
}

TEST_CASE("secrets never reach the log") {
  std::ostringstream out;
  Logger log = Logger::Create({.format = LogFormat::kJson, .stream = &out});
  log.Info("connecting to postgresql://app:hunter2@db:5432/haystack",
           {{"sendgrid_api_key", "SG.aaaaaaaaaa.bbbbbbbbbb"}, {"Authorization", "Bearer xyz"}});
  const std::string text = out.str();
  CHECK_THAT(text, !Catch::Contains("hunter2"));
  CHECK_THAT(text, !Catch::Contains("SG.aaaa"));
  CHECK_THAT(text, !Catch::Contains("xyz"));
  CHECK_THAT(text, Catch::Contains("postgresql://app:[REDACTED]@db:5432/haystack"));
}

TEST_CASE("a JSON line stays one valid object whatever the message holds") {
  std::ostringstream out;
  Logger log = Logger::Create({.format = LogFormat::kJson, .stream = &out});
  // A path that is not UTF-8, a multi-line message, and a message far over the value limit.
  log.Warning("cannot open /data/caf\xE9\nsecond line", {{"path", std::string("/x/\xFF\xFEy")}});
  const std::string huge = std::string(kMaxLogValueBytes - 1, 'a') + "\xC3\xA9" + "tail";
  log.Info(huge);

  auto lines = Lines(out.str());
  REQUIRE(lines.size() == 2);
  auto first = ParseJsonDocument(lines[0], "log line");
  REQUIRE(first.ok());
  CHECK(std::string((*first)["message"].GetString()) ==
        "cannot open /data/caf\xEF\xBF\xBD\nsecond line");
  CHECK(std::string((*first)["path"].GetString()) == "/x/\xEF\xBF\xBD\xEF\xBF\xBDy");
  auto second = ParseJsonDocument(lines[1], "log line");
  REQUIRE(second.ok());
  // Cut before the two-byte character that would cross the limit, never inside it.
  CHECK(std::string((*second)["message"].GetString()) ==
        std::string(kMaxLogValueBytes - 1, 'a') + "\xE2\x80\xA6 [6 more bytes not logged]");
}

TEST_CASE("text lines are readable") {
  std::ostringstream out;
  Logger log = Logger::Create({.format = LogFormat::kText, .stream = &out});
  log.With({{"run_id", "hay_1"}}).Info("phase started", {{"phase", "inference"}});
  CHECK_THAT(out.str(), Catch::Contains("INFO    [run_id=hay_1] phase started phase=inference"));
}

TEST_CASE("redaction covers the usual credential shapes") {
  CHECK(RedactSecrets("Authorization: Bearer abc.def") == "Authorization: Bearer [REDACTED]");
  CHECK(RedactSecrets("host=db password=secret dbname=x") ==
        "host=db password=[REDACTED] dbname=x");
  CHECK(RedactSecrets("key sk-abcdefghijklmnopqrstuv used") == "key [REDACTED] used");
  CHECK(RedactSecrets("plain text stays") == "plain text stays");
}

TEST_CASE("severity and format names parse") {
  LogSeverity s{};
  CHECK(ParseLogSeverity("Warning", &s));
  CHECK(s == LogSeverity::kWarning);
  CHECK_FALSE(ParseLogSeverity("loud", &s));
  LogFormat f{};
  CHECK(ParseLogFormat("json", &f));
  CHECK(f == LogFormat::kJson);
}

}  // namespace
}  // namespace haystack
