#include "haystack/core/settings.h"

#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

TEST_CASE("environment overrides the config file") {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "haystack.json",
                     R"({"database_url": "sqlite:///from-file.db", "lease_seconds": 90,
                         "email_sandbox": true, "unused": null})");
  MapEnvironment env({{"HAYSTACK_CONFIG", dir.File("haystack.json")},
                      {"HAYSTACK_DATABASE_URL", "postgresql:///from-env"},
                      {"OTHER", "ignored"}});
  auto settings = Settings::Load(env);
  REQUIRE(settings.ok());
  CHECK(settings->Get("database_url") == "postgresql:///from-env");
  CHECK(settings->SourceOf("database_url") == "environment (HAYSTACK_DATABASE_URL)");
  CHECK(*settings->GetInt("lease_seconds", 60, 1, 3600) == 90);
  CHECK(settings->SourceOf("lease_seconds") == "config file " + dir.File("haystack.json"));
  CHECK(*settings->GetBool("email_sandbox", false));
  CHECK_FALSE(settings->Has("unused"));
  CHECK_FALSE(settings->Has("other"));
  CHECK(settings->GetString("app_url", "http://localhost") == "http://localhost");
}

TEST_CASE("bad values name the key and where they came from") {
  MapEnvironment env({{"HAYSTACK_LEASE_SECONDS", "soon"}, {"HAYSTACK_SENDGRID_API_KEY", "SG.x"}});
  auto settings = Settings::Load(env);
  REQUIRE(settings.ok());
  auto lease = settings->GetInt("lease_seconds", 60, 1, 3600);
  REQUIRE_FALSE(lease.ok());
  CHECK(GetErrorKind(lease.status()) == ErrorKind::kConfiguration);
  CHECK(std::string(lease.status().message()) ==
        "setting lease_seconds = 'soon' from environment (HAYSTACK_LEASE_SECONDS): expected an "
        "integer between 1 and 3600");
  // Secrets are never echoed.
  auto key = settings->GetInt("sendgrid_api_key", 0, 0, 1);
  REQUIRE_FALSE(key.ok());
  CHECK_THAT(std::string(key.status().message()), !Catch::Contains("SG.x"));
}

TEST_CASE("config file problems are configuration errors") {
  testing::TempDir dir;
  MapEnvironment env;
  auto missing = Settings::Load(env, dir.File("nope.json"));
  CHECK(GetErrorKind(missing.status()) == ErrorKind::kConfiguration);
  testing::WriteFile(dir.path() / "bad.json", "{\"a\": ");
  auto malformed = Settings::Load(env, dir.File("bad.json"));
  CHECK_THAT(std::string(malformed.status().message()), Catch::Contains("malformed JSON"));
  testing::WriteFile(dir.path() / "nested.json", R"({"a": {"b": 1}})");
  auto nested = Settings::Load(env, dir.File("nested.json"));
  CHECK_THAT(std::string(nested.status().message()), Catch::Contains("'a' must be a string"));
}

TEST_CASE("durations are finite and bounded, the error names the setting and the bounds") {
  Settings s;
  for (const char* bad : {"1e12", "1e300", "inf", "nan", "-1", "soon", ""}) {
    INFO(bad);
    s.Set("lease_seconds", bad, "environment (HAYSTACK_LEASE_SECONDS)");
    auto lease =
        s.GetSeconds("lease_seconds", absl::Seconds(300), absl::Seconds(1), absl::Hours(24));
    REQUIRE_FALSE(lease.ok());
    CHECK(GetErrorKind(lease.status()) == ErrorKind::kConfiguration);
    CHECK_THAT(std::string(lease.status().message()),
               Catch::Contains("lease_seconds") && Catch::Contains("HAYSTACK_LEASE_SECONDS") &&
                   Catch::Contains("between 1 and 86400"));
  }
  s.Set("lease_seconds", "0.5");
  CHECK_FALSE(s.GetSeconds("lease_seconds", absl::Seconds(300), absl::Seconds(1)).ok());
  // Without explicit bounds: at least 0, at most Settings::kMaxDuration (30 days).
  s.Set("timeout", "2592001");
  CHECK_FALSE(s.GetSeconds("timeout", absl::Seconds(1)).ok());
  s.Set("timeout", "2592000");
  CHECK(*s.GetSeconds("timeout", absl::Seconds(1)) == Settings::kMaxDuration);
}

TEST_CASE("durations and booleans parse in the usual spellings") {
  Settings s;
  s.Set("timeout", "2.5");
  s.Set("flag", "Off");
  CHECK(*s.GetSeconds("timeout", absl::Seconds(1)) == absl::Milliseconds(2500));
  CHECK(*s.GetSeconds("absent", absl::Seconds(1)) == absl::Seconds(1));
  CHECK_FALSE(*s.GetBool("flag", true));
  s.Set("flag", "maybe");
  CHECK_FALSE(s.GetBool("flag", true).ok());
  CHECK(Settings::EnvironmentName("database_url") == "HAYSTACK_DATABASE_URL");
  CHECK(Settings::IsSecretKey("sendgrid_api_key"));
  CHECK_FALSE(Settings::IsSecretKey("database_url"));
}

}  // namespace
}  // namespace haystack
