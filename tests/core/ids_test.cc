#include "haystack/core/ids.h"

#include <regex>

#include "catch2/catch.hpp"

namespace haystack {
namespace {

TEST_CASE("run ids carry the date and random bits") {
  const std::string id = NewRunId(absl::FromUnixSeconds(1'790'000'000));
  CHECK(std::regex_match(id, std::regex("hay_20260921_[0-9a-f]{12}")));
  CHECK(NewRunId(absl::FromUnixSeconds(0)) != NewRunId(absl::FromUnixSeconds(0)));
}

TEST_CASE("batch-safe ids follow the GCP Batch job id rules") {
  const std::regex rule("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
  CHECK(BatchSafeId({"haystack", "hay_2026_X1", "iter-2"}) == "haystack-hay-2026-x1-iter-2");
  CHECK(BatchSafeId({"123"}) == "h-123");
  const std::string long_id = BatchSafeId({std::string(200, 'a'), "b"});
  CHECK(long_id.size() <= 63);
  CHECK(std::regex_match(long_id, rule));
  CHECK(long_id != BatchSafeId({std::string(200, 'a'), "c"}));
  CHECK(long_id == BatchSafeId({std::string(200, 'a'), "b"}));  // stable
  for (const char* raw : {"__", "Run ID with spaces!", "-x-", "é"}) {
    CHECK(std::regex_match(BatchSafeId({raw}), rule));
  }
}

TEST_CASE("worker ids differ between calls") { CHECK(NewWorkerId() != NewWorkerId()); }

}  // namespace
}  // namespace haystack
