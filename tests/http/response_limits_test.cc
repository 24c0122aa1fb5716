// Response bodies are bounded: a server cannot make a client read (and hold) more than the
// limit, and JSON bodies are parsed within the JSON limits.
#include <catch2/catch.hpp>
#include <sstream>

#include "haystack/http/http_client.h"
#include "support/loopback_server.h"

namespace haystack {
namespace {

using testing::LoopbackServer;

TEST_CASE("a body over the limit is cut there, the status kept and the cut logged") {
  LoopbackServer server;
  server.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.status = 502;
    res.set_content(std::string(20 << 20, 'x'), "text/plain");
  });
  server.server().Get("/small", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"ok":true})", "application/json");
  });
  server.Start();
  FakeClock clock;
  std::ostringstream log;
  HttpClient client(HttpClientOptions{.max_response_bytes = 1 << 20}, clock,
                    Logger::Create({.format = LogFormat::kJson, .stream = &log}),
                    [](absl::Duration) {});
  auto big = client.Perform({.url = server.url() + "/big"});
  REQUIRE(big.ok());
  CHECK(big->status == 502);
  CHECK(big->body_truncated);
  CHECK(big->body.size() == size_t{1} << 20);
  CHECK_THAT(log.str(), Catch::Contains("http response body over the size limit"));
  auto refused = ParseJsonBody(*big, "the answer", ErrorKind::kExternalApi);
  REQUIRE_FALSE(refused.ok());
  CHECK(std::string(refused.status().message()) ==
        "the answer: the response body is larger than the 1048576-byte limit");

  // A request can lift the limit (downloads), or lower it.
  auto whole = client.Perform({.url = server.url() + "/big", .max_response_bytes = 0});
  REQUIRE(whole.ok());
  CHECK_FALSE(whole->body_truncated);
  CHECK(whole->body.size() == size_t{20} << 20);
  auto tiny = client.Perform({.url = server.url() + "/small", .max_response_bytes = 4});
  REQUIRE(tiny.ok());
  CHECK(tiny->body == R"({"ok)");
  CHECK(tiny->body_truncated);

  // The connection is still usable afterwards.
  auto small = client.Perform({.url = server.url() + "/small"});
  REQUIRE(small.ok());
  CHECK_FALSE(small->body_truncated);
  auto doc = ParseJsonBody(*small, "small", ErrorKind::kExternalApi);
  REQUIRE(doc.ok());
  CHECK((*doc)["ok"].IsTrue());
}

TEST_CASE("a truncated 5xx is still retried, and the last answer returned") {
  LoopbackServer server;
  int calls = 0;
  server.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 503;
    res.set_content(std::string(64 * 1024, 'x'), "text/plain");
  });
  server.Start();
  FakeClock clock;
  HttpClient client(HttpClientOptions{.max_response_bytes = 1024}, clock, Logger::Null(),
                    [](absl::Duration) {});
  auto response = client.Execute({.url = server.url() + "/flaky", .idempotent = true},
                                 RetryPolicy{.max_attempts = 3});
  REQUIRE(response.ok());
  CHECK(response->status == 503);
  CHECK(response->body_truncated);
  CHECK(response->attempts == 3);
  CHECK(calls == 3);
}

}  // namespace
}  // namespace haystack
