#include "haystack/core/ids.h"

#include <regex>

#include "catch2/catch.hpp"
#include "haystack/core/error.h"

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

TEST_CASE("run ids are checked before they name anything: charset, first byte, length") {
  for (const std::string& ok :
       {NewRunId(absl::Now()), std::string("hay.collide.1"), std::string("hay_collide_1"),
        std::string("0f8fad5b-d9cb-469f-a165-70867728950e"), std::string(64, 'a')}) {
    INFO(ok);
    CHECK(ValidateRunId(ok).ok());
  }
  for (const std::string& bad :
       {std::string(""), std::string("y/../../../x"), std::string(".."), std::string(".hay"),
        std::string("-rf"), std::string("_x"), std::string("hay 1"), std::string("hay\n1"),
        std::string("hay\\1"), std::string("h\xc3\xa9"), std::string(65, 'a'),
        std::string("hay\0x", 5)}) {
    INFO(bad);
    const absl::Status status = ValidateRunId(bad, "RUN_ID");
    CHECK(GetErrorKind(status) == ErrorKind::kConfiguration);
    CHECK_THAT(std::string(status.message()), Catch::StartsWith("RUN_ID"));
  }
  CHECK_THAT(std::string(ValidateRunId("y/../x").message()), Catch::Contains("0x2f at byte 1"));
}

}  // namespace
}  // namespace haystack
