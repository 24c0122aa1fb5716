#include "haystack/http/http_client.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "haystack/http/encoding.h"
#include "support/loopback_server.h"

namespace haystack {
namespace {

using testing::LoopbackServer;

struct Fixture {
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  std::vector<absl::Duration> sleeps;
  std::ostringstream log;
  HttpClient client{
      HttpClientOptions{.connect_timeout = absl::Seconds(2), .total_timeout = absl::Seconds(5)},
      clock,
      Logger::Create(
          {.format = LogFormat::kJson, .min_severity = LogSeverity::kDebug, .stream = &log}),
      [this](absl::Duration d) { sleeps.push_back(d); }, /*jitter_seed=*/7};
};

TEST_CASE("a GET returns status, headers and body, the connection is reused") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  std::vector<std::string> remote_ports;
  server.server().Get("/hello", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    remote_ports.push_back(std::to_string(req.remote_port));
    res.set_header("X-Thing", "42");
    res.set_content("hi", "text/plain");
  });
  server.Start();
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    auto response = f.client.Execute({.url = server.url() + "/hello"}, RetryPolicy{});
    REQUIRE(response.ok());
    CHECK(response->status == 200);
    CHECK(response->body == "hi");
    CHECK(response->Header("x-thing") == "42");
    CHECK(response->attempts == 1);
  }
  CHECK(calls == 3);
  // One TCP connection served all three requests (keep-alive reuse).
  CHECK(remote_ports[0] == remote_ports[1]);
  CHECK(remote_ports[1] == remote_ports[2]);
  CHECK(f.sleeps.empty());
}

TEST_CASE("POST and PUT send the body with Content-Length, never chunked") {
  LoopbackServer server;
  std::string seen_body, seen_length, seen_encoding, seen_method;
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    seen_method = req.method;
    seen_body = req.body;
    seen_length = req.get_header_value("Content-Length");
    seen_encoding = req.get_header_value("Transfer-Encoding");
    res.status = 201;
  };
  server.server().Post("/x", handler);
  server.server().Put("/x", handler);
  server.Start();
  Fixture f;
  for (const char* method : {"POST", "PUT"}) {
    auto response = f.client.Perform(
        {.method = method, .url = server.url() + "/x", .body = std::string(300'000, 'a')});
    REQUIRE(response.ok());
    CHECK(response->status == 201);
    CHECK(seen_method == method);
    CHECK(seen_body.size() == 300'000);
    CHECK(seen_length == "300000");
    CHECK(seen_encoding.empty());
  }
}

TEST_CASE("5xx is retried with bounded, jittered exponential backoff") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ++calls < 4 ? 503 : 200;
  });
  server.Start();
  Fixture f;
  RetryPolicy policy{
      .max_attempts = 5, .initial_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(3)};
  auto response = f.client.Execute({.url = server.url() + "/flaky"}, policy);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->attempts == 4);
  REQUIRE(f.sleeps.size() == 3);
  // Attempt n waits in [d/2, d], d = min(3 s, 1 s · 2^(n-1)).
  const double caps[] = {1, 2, 3};
  for (size_t i = 0; i < 3; ++i) {
    CHECK(absl::ToDoubleSeconds(f.sleeps[i]) >= caps[i] / 2);
    CHECK(absl::ToDoubleSeconds(f.sleeps[i]) <= caps[i]);
  }
}

TEST_CASE("the attempt budget is respected and the last response returned") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 500;
  });
  server.Start();
  Fixture f;
  auto response = f.client.Execute({.url = server.url() + "/down"}, RetryPolicy{.max_attempts = 3});
  REQUIRE(response.ok());
  CHECK(response->status == 500);
  CHECK(response->attempts == 3);
  CHECK(calls == 3);
}

TEST_CASE("4xx other than 408/429 is not retried") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Get("/bad", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
  });
  server.Start();
  Fixture f;
  auto response = f.client.Execute({.url = server.url() + "/bad"}, RetryPolicy{});
  REQUIRE(response.ok());
  CHECK(response->status == 400);
  CHECK(calls == 1);
}

TEST_CASE("Retry-After and X-RateLimit-Reset set the wait") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  Fixture f;
  const int64_t reset = absl::ToUnixSeconds(f.clock.Now()) + 7;
  server.server().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    const int n = ++calls;
    if (n == 1) {
      res.status = 429;
      res.set_header("Retry-After", "4");
    } else if (n == 2) {
      res.status = 429;
      res.set_header("X-RateLimit-Reset", std::to_string(reset));
    } else {
      res.status = 200;
    }
  });
  server.Start();
  auto response = f.client.Execute({.url = server.url() + "/limited"}, RetryPolicy{});
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  REQUIRE(f.sleeps.size() == 2);
  CHECK(f.sleeps[0] == absl::Seconds(4));
  CHECK(f.sleeps[1] == absl::Seconds(7));
}

TEST_CASE("a server delay beyond the policy's limit is not waited for") {
  LoopbackServer server;
  server.server().Get("/later", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3600");
  });
  server.Start();
  Fixture f;
  auto response = f.client.Execute({.url = server.url() + "/later"}, RetryPolicy{});
  REQUIRE(response.ok());
  CHECK(response->status == 429);
  CHECK(response->attempts == 1);
  CHECK(f.sleeps.empty());
}

TEST_CASE("a broken transfer is retried only when idempotent or explicitly allowed") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Post("/send", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      testing::BreakConnection(res);
    } else {
      res.status = 202;
    }
  });
  server.Start();
  Fixture f;
  HttpRequest request{.method = "POST", .url = server.url() + "/send", .body = "{}"};

  auto once = f.client.Execute(request, RetryPolicy{});
  REQUIRE_FALSE(once.ok());
  CHECK(once.status().code() == absl::StatusCode::kUnavailable);
  CHECK(calls == 1);

  calls = 0;
  auto allowed = f.client.Execute(request, RetryPolicy{.retry_ambiguous_failures = true});
  REQUIRE(allowed.ok());
  CHECK(allowed->status == 202);
  CHECK(calls == 2);

  calls = 0;
  request.idempotent = true;
  auto idempotent = f.client.Execute(request, RetryPolicy{});
  REQUIRE(idempotent.ok());
  CHECK(idempotent->attempts == 2);
}

TEST_CASE("a refused connection is retried even for non-idempotent requests") {
  // Bind and release a port so that nothing listens on it.
  int port = 0;
  {
    LoopbackServer probe;
    probe.Start();
    port = probe.port();
  }
  Fixture f;
  auto result =
      f.client.Execute({.method = "POST", .url = "http://127.0.0.1:" + std::to_string(port) + "/x"},
                       RetryPolicy{.max_attempts = 3}, ErrorKind::kNotification);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);
  CHECK(GetErrorKind(result.status()) == ErrorKind::kNotification);
  CHECK(f.sleeps.size() == 2);
}

TEST_CASE("the total timeout cuts a hanging server short") {
  LoopbackServer server;
  server.server().Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.status = 200;
  });
  server.Start();
  Fixture f;
  auto result =
      f.client.Perform({.url = server.url() + "/hang", .total_timeout = absl::Milliseconds(200)});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("logs never contain credentials") {
  LoopbackServer server;
  server.server().Get("/secret",
                      [&](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  server.Start();
  Fixture f;
  auto response = f.client.Execute(
      {.url = server.url() + "/secret?key=SG.abcdefghijklmnop.qrstuvwxyz0123456789",
       .headers = {{"Authorization", "Bearer ya29.supersecrettoken"}}},
      RetryPolicy{.max_attempts = 2});
  REQUIRE(response.ok());
  const std::string log = f.log.str();
  CHECK(log.find("http retry") != std::string::npos);
  CHECK(log.find("supersecrettoken") == std::string::npos);
  CHECK(log.find("qrstuvwxyz0123456789") == std::string::npos);

  const HttpHeaders redacted = RedactHeaders(
      {{"Authorization", "Bearer abc"}, {"X-Goog-Api-Key", "k"}, {"Accept", "text/html"}});
  CHECK(redacted[0].second == "[REDACTED]");
  CHECK(redacted[1].second == "[REDACTED]");
  CHECK(redacted[2].second == "text/html");
}

TEST_CASE("server-requested delays parse both header conventions") {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  HttpResponse r;
  CHECK_FALSE(ServerRequestedDelay(r, now).has_value());
  r.headers = {{"retry-after", "12"}};
  CHECK(ServerRequestedDelay(r, now) == absl::Seconds(12));
  r.headers = {{"Retry-After", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                                now + absl::Seconds(30), absl::UTCTimeZone())}};
  CHECK(ServerRequestedDelay(r, now) == absl::Seconds(30));
  r.headers = {{"X-RateLimit-Reset", std::to_string(1'800'000'000 - 5)}};
  CHECK(ServerRequestedDelay(r, now) == absl::ZeroDuration());
}

TEST_CASE("encodings") {
  CHECK(UrlEncode("runs/a b~.txt") == "runs%2Fa%20b~.txt");
  CHECK(UrlEncodePath("runs/a b/r\xC3\xA9port.html") == "runs/a%20b/r%C3%A9port.html");
  CHECK(UrlEncodePath("a//b/") == "a//b/");
  CHECK(FileUrl("/tmp/out dir/x#1.h5ad") == "file:///tmp/out%20dir/x%231.h5ad");
  CHECK(IsSafeFileUrl(FileUrl("/tmp/\"><script>")));
  CHECK_FALSE(IsSafeFileUrl("file:///tmp/\"onmouseover=x"));
  CHECK_FALSE(IsSafeFileUrl("file://host/share"));
  CHECK(HtmlEscape(R"(<a href="x">'&'</a>)") ==
        "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
  CHECK(HtmlEscape("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC") ==
        "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC");
  CHECK(IsSafeHttpUrl("https://app.example.org/runs/x"));
  CHECK_FALSE(IsSafeHttpUrl("javascript:alert(1)"));
  CHECK_FALSE(IsSafeHttpUrl("https://x/\"onmouseover=alert(1)"));
  CHECK_FALSE(IsSafeHttpUrl("gs://bucket/runs/x/report.html"));
  CHECK(StatusCodeForHttp(412) == absl::StatusCode::kFailedPrecondition);
  CHECK(StatusCodeForHttp(503) == absl::StatusCode::kUnavailable);
  CHECK(StatusCodeForHttp(401) == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("without a sleep function, retries wait on the client's clock") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ++calls < 3 ? 503 : 200;
  });
  server.Start();
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  HttpClient client({}, clock, Logger::Null(), /*sleep=*/nullptr, /*jitter_seed=*/3);
  auto response = client.Execute(
      {.url = server.url() + "/flaky"},
      RetryPolicy{.initial_backoff = absl::Seconds(10), .max_backoff = absl::Seconds(60)});
  REQUIRE(response.ok());
  CHECK(response->attempts == 3);
  // 10 s then 20 s, each jittered into [d/2, d]: taken on the fake clock, not slept.
  CHECK(clock.waits() == 2);
  CHECK(clock.slept() >= absl::Seconds(15));
  CHECK(clock.slept() <= absl::Seconds(30));
}

TEST_CASE("a policy's time budget ends the retries, on the client's clock") {
  LoopbackServer server;
  std::atomic<int> calls{0};
  server.server().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 503;
  });
  server.Start();
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  HttpClient client({}, clock, Logger::Null(), /*sleep=*/nullptr, /*jitter_seed=*/3);
  // Waits of 5-10 s, 10-20 s, then 20-40 s: the third would end past the 30 s budget.
  auto response = client.Execute({.url = server.url() + "/down"},
                                 RetryPolicy{.max_attempts = 10,
                                             .initial_backoff = absl::Seconds(10),
                                             .max_backoff = absl::Seconds(40),
                                             .budget = absl::Seconds(30)});
  REQUIRE(response.ok());
  CHECK(response->status == 503);
  CHECK(calls == 3);
  CHECK(response->attempts == 3);
  CHECK(clock.slept() <= absl::Seconds(30));
}

}  // namespace
}  // namespace haystack
