// The recipient of a run's email: exactly one RFC 5321 mailbox, or nobody, never silently.
#include "haystack/core/mailbox.h"

#include <catch2/catch.hpp>

namespace haystack {
namespace {

TEST_CASE("one plain mailbox is accepted") {
  for (const char* address : {"ada@example.org", "a.b+tag@sub.example.co.uk", "o'brien@example.ie",
                              "x@localhost", "user_1!#$%&*=?^`{|}~-@a-b.example"}) {
    INFO(address);
    CHECK(ValidateMailbox(address).ok());
  }
  CHECK(ValidateMailbox(std::string(64, 'a') + "@" + std::string(63, 'b') + ".org").ok());
}

TEST_CASE("anything that is not exactly one mailbox is refused with the reason") {
  const std::pair<std::string, std::string> cases[] = {
      {"ada@example.org>,<evil@attacker.example", "more than one @"},
      {"ada@example.org,evil@attacker.example", "more than one @"},
      {"ada@example.org\r\nBcc: evil@attacker.example", "control character"},
      {"Ada <ada@example.org>", "contains ' '"},
      {"ada@example.org;evil", "the domain contains ';'"},
      {"\"a,b\"@example.org", "quoted local parts"},
      {"ada@[192.0.2.1]", "address literals"},
      {"ada@", "no domain"},
      {"@example.org", "nothing before the @"},
      {"ada.example.org", "there is no @"},
      {"ada..lovelace@example.org", "double dot"},
      {"ada@-example.org", "starts or ends"},
      {"ada@example..org", "empty label"},
      {"adé@example.org", "non-ASCII"},
      {"", "empty"},
      {std::string(65, 'a') + "@example.org", "longer than 64"},
      {"a@" + std::string(64, 'b') + ".org", "label is longer than 63"},
      {std::string(10'000, 'a') + "@example.org", "10012 bytes long"},
  };
  for (const auto& [address, why] : cases) {
    INFO(address);
    absl::Status status = ValidateMailbox(address);
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::Contains(why));
  }
}

TEST_CASE("a bad USER_EMAIL falls back to the record's address, with a warning") {
  auto choice = ChooseRecipient("ada@example.org>,<evil@attacker.example", "grace@example.org");
  CHECK(choice.address == "grace@example.org");
  REQUIRE(choice.warnings.size() == 1);
  CHECK_THAT(choice.warnings[0], Catch::Contains("USER_EMAIL is ignored"));
  CHECK_THAT(choice.warnings[0], Catch::Contains("the run record's user_email is used instead"));

  choice = ChooseRecipient("ada@example.org\r\nBcc: x@y.z", "grace@example.org");
  CHECK(choice.address == "grace@example.org");
  choice = ChooseRecipient(std::string(10'000, 'a'), "grace@example.org");
  CHECK(choice.address == "grace@example.org");
}

TEST_CASE("a valid USER_EMAIL wins, and with no valid address nobody is emailed and it is said") {
  auto choice = ChooseRecipient("ada@example.org", "grace@example.org");
  CHECK(choice.address == "ada@example.org");
  CHECK(choice.warnings.empty());
  choice = ChooseRecipient(std::nullopt, "grace@example.org");
  CHECK(choice.address == "grace@example.org");
  CHECK(choice.warnings.empty());

  choice = ChooseRecipient("bad", "also bad");
  CHECK(choice.address.empty());
  REQUIRE(choice.warnings.size() == 3);
  CHECK_THAT(choice.warnings[2], Catch::Contains("no email is sent"));
  choice = ChooseRecipient(std::nullopt, "");
  CHECK(choice.address.empty());
  CHECK_THAT(choice.warnings.back(), Catch::Contains("no valid email address"));
}

}  // namespace
}  // namespace haystack
