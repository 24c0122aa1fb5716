#include "store/store_fixture.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "haystack/core/ids.h"
#include "support/model_fixtures.h"

namespace haystack::testing {

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgresql";
    case Backend::kPgBouncer:
      return "postgresql behind pgbouncer (transaction pooling)";
  }
  return "?";
}

StoreFixture::StoreFixture(Backend backend) : backend_(backend) {
  if (backend == Backend::kSqlite) {
    url_ = "sqlite://" + dir_.File("runs.db");
    return;
  }
  const char* variable =
      backend == Backend::kPostgres ? "HAYSTACK_TEST_POSTGRES_URL" : "HAYSTACK_TEST_PGBOUNCER_URL";
  const char* url = std::getenv(variable);
  if (url != nullptr && *url != '\0') {
    url_ = url;
    return;
  }
  const char* required = std::getenv("HAYSTACK_REQUIRE_POSTGRES");
  if (required != nullptr && std::string(required) == "1") {
    FAIL("HAYSTACK_REQUIRE_POSTGRES=1 but " << variable << " is not set");
  }
  WARN(BackendName(backend) << " not configured (" << variable << "); skipping the case");
}

RunStoreOptions StoreFixture::Options(const Clock* clock) const {
  RunStoreOptions options;
  options.clock = clock;
  if (backend_ == Backend::kPgBouncer) options.pooling = PostgresPooling::kTransaction;
  return options;
}

std::unique_ptr<RunStore> StoreFixture::Open(const Clock* clock) {
  auto store = OpenRunStore(url_, Options(clock));
  REQUIRE(store.ok());
  return std::move(*store);
}

std::string StoreFixture::CreatePendingRun(RunStore& store) {
  const std::string run_id = NewRunId(absl::Now());
  REQUIRE(store.CreateRun(SamplePendingRun(run_id)).ok());
  return run_id;
}

}  // namespace haystack::testing
