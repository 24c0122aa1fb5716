// Records the web API (or a person with psql) wrote badly: reading them never fails or loses
// data; the problems are named so that the job can fail the run with a classified error.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/run.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"

namespace haystack::testing {
namespace {

// Runs SQL on the fixture's database behind the store's back.
void ExecuteRaw(const StoreFixture& fixture, const std::string& sql) {
  if (fixture.backend() == Backend::kSqlite) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(fixture.url().substr(std::string("sqlite://").size()).c_str(), &db) ==
            SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO((error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
    return;
  }
  PGconn* conn = PQconnectdb(fixture.url().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PGresult* result = PQexec(conn, sql.c_str());
  INFO(PQresultErrorMessage(result));
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  PQfinish(conn);
  REQUIRE(ok);
}

bool Mentions(const std::vector<std::string>& problems, std::string_view column) {
  for (const auto& p : problems) {
    if (absl::StartsWith(p, std::string(column) + ":")) return true;
  }
  return false;
}

TEST_CASE("unknown enum values and malformed JSON columns are named, not fatal", "[store]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  StoreFixture fixture(backend);
  if (!fixture.available()) return;
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  ExecuteRaw(fixture,
             "UPDATE runs SET status = 'exploded', control_strategy = 'telepathy', "
             "current_phase = 'nap', iterations = '[{\"iteration_number\": \"one\"}]', "
             "structured_query = '{\"task_type\": 5}' WHERE run_id = '" +
                 id + "'");
  auto run = store->GetRun(id);
  REQUIRE(run.ok());
  INFO(run->invalid_fields.size());
  CHECK(Mentions(run->invalid_fields, "status"));
  CHECK(Mentions(run->invalid_fields, "control_strategy"));
  CHECK(Mentions(run->invalid_fields, "current_phase"));
  CHECK(Mentions(run->invalid_fields, "iterations"));
  CHECK(Mentions(run->invalid_fields, "structured_query"));
  CHECK(run->raw_query == SamplePendingRun(id).raw_query);  // the rest is intact
  CHECK(run->user_email == "ada@example.org");
}

TEST_CASE("a config document that is not JSON is kept verbatim and reported on parse", "[store]") {
  // PostgreSQL's jsonb column cannot hold it; SQLite's text column can.
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  ExecuteRaw(fixture,
             "UPDATE runs SET config = '{\"max_iterations\": 3,' WHERE run_id = '" + id + "'");
  auto run = store->GetRun(id);
  REQUIRE(run.ok());
  CHECK(run->config_json == "{\"max_iterations\": 3,");
  auto config = ParseRunConfig(run->config_json);
  CHECK(GetErrorKind(config.status()) == ErrorKind::kConfiguration);
}

TEST_CASE("hostile strings are stored exactly or refused with a classified error", "[store]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  StoreFixture fixture(backend);
  if (!fixture.available()) return;
  auto store = fixture.Open();

  Run big = SamplePendingRun(NewRunId(absl::Now()));
  big.raw_query = std::string(1 << 20, 'a');  // 1 MB
  REQUIRE(store->CreateRun(big).ok());
  CHECK(store->GetRun(big.run_id)->raw_query.size() == big.raw_query.size());

  for (std::string hostile : {std::string("IFN\0gamma", 9), std::string("IFN\xff\xfe gamma")}) {
    Run run = SamplePendingRun(NewRunId(absl::Now()));
    run.raw_query = hostile;
    // PostgreSQL refuses NUL and invalid UTF-8 in text; SQLite is made to refuse them alike.
    const absl::Status created = store->CreateRun(run);
    CHECK(GetErrorKind(created) == ErrorKind::kDatabase);
    CHECK(created.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(created.message()), Catch::Contains("raw_query"));
    CHECK(store->GetRun(run.run_id).status().code() == absl::StatusCode::kNotFound);
  }
  CHECK(store->GetRun(big.run_id).ok());
}

}  // namespace
}  // namespace haystack::testing
