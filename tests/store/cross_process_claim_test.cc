// Two real processes claim the same run: exactly one wins, on both databases.
#include <catch2/catch.hpp>

#include "store/store_fixture.h"
#include "support/subprocess.h"

namespace haystack::testing {
namespace {

TEST_CASE("concurrent claimers in two processes: exactly one wins", "[store][race]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  StoreFixture fixture(backend);
  if (!fixture.available()) return;
  INFO("backend: " << BackendName(backend));
  auto store = fixture.Open();
  for (int round = 0; round < 5; ++round) {
    const std::string id = fixture.CreatePendingRun(*store);
    BackgroundProcess a({HAYSTACK_STORE_CLAIM_TOOL, fixture.url(), id, "process-a"});
    BackgroundProcess b({HAYSTACK_STORE_CLAIM_TOOL, fixture.url(), id, "process-b"});
    const ProcessResult ra = a.Wait();
    const ProcessResult rb = b.Wait();
    INFO("a: " << ra.stdout_text << ra.stderr_text << "b: " << rb.stdout_text << rb.stderr_text);
    CHECK(((ra.exit_code == 0 && rb.exit_code == 3) || (ra.exit_code == 3 && rb.exit_code == 0)));
    auto run = store->GetRun(id);
    REQUIRE(run.ok());
    CHECK(run->attempt == 1);
  }
}

}  // namespace
}  // namespace haystack::testing
