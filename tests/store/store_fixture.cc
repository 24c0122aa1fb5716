#include "store/store_fixture.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "haystack/core/ids.h"
#include "support/model_fixtures.h"

namespace haystack::testing {

const char* BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgresql";
}

StoreFixture::StoreFixture(Backend backend) : backend_(backend) {
  if (backend == Backend::kSqlite) {
    url_ = "sqlite://" + dir_.File("runs.db");
    return;
  }
  const char* url = std::getenv("HAYSTACK_TEST_POSTGRES_URL");
  if (url != nullptr && *url != '\0') {
    url_ = url;
    return;
  }
  const char* required = std::getenv("HAYSTACK_REQUIRE_POSTGRES");
  if (required != nullptr && std::string(required) == "1") {
    FAIL("HAYSTACK_REQUIRE_POSTGRES=1 but HAYSTACK_TEST_POSTGRES_URL is not set");
  }
  WARN("PostgreSQL not configured (HAYSTACK_TEST_POSTGRES_URL); skipping the PostgreSQL case");
}

std::unique_ptr<RunStore> StoreFixture::Open(const Clock* clock) {
  RunStoreOptions options;
  options.clock = clock;
  auto store = OpenRunStore(url_, options);
  REQUIRE(store.ok());
  return std::move(*store);
}

std::string StoreFixture::CreatePendingRun(RunStore& store) {
  const std::string run_id = NewRunId(absl::Now());
  REQUIRE(store.CreateRun(SamplePendingRun(run_id)).ok());
  return run_id;
}

}  // namespace haystack::testing
