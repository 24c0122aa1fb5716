// The language-model client against a loopback server answering as a hostile or broken
// provider would: nested and oversized bodies, and error texts that echo the API key.
#include "haystack/llm/llm_client.h"

#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <sstream>

#include "support/loopback_server.h"

namespace haystack {
namespace {

// POST /chat/completions and /v1/messages answered by `answer`.
class FakeProvider {
 public:
  using Answer = std::function<void(const httplib::Request&, httplib::Response&)>;
  explicit FakeProvider(Answer answer) : answer_(std::move(answer)) {
    for (const char* path : {"/chat/completions", "/v1/messages"}) {
      server_.server().Post(path, [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu_);
        ++requests_;
        answer_(req, res);
      });
    }
    server_.Start();
  }
  std::string url() const { return server_.url(); }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  testing::LoopbackServer server_;
  std::mutex mu_;
  Answer answer_;
  int requests_ = 0;
};

struct Client {
  explicit Client(const FakeProvider& fake, LlmProvider provider = LlmProvider::kOpenAiCompatible,
                  std::string key = "local-vllm-key-0123456789")
      : logger(Logger::Create(
            {.format = LogFormat::kJson, .min_severity = LogSeverity::kDebug, .stream = &log})),
        http(HttpClientOptions{}, clock, logger, [](absl::Duration) {}),
        client(*MakeLlmClient(
            {.provider = provider, .base_url = fake.url(), .model = "m", .api_key = std::move(key)},
            http, logger)) {}
  std::ostringstream log;
  FakeClock clock;
  Logger logger;
  HttpClient http;
  std::unique_ptr<LlmClient> client;
};

LlmRequest Question() {
  LlmRequest request;
  request.messages.push_back({"user", "How would CD14+ monocytes respond to IFN-gamma?"});
  return request;
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE("an answer nested a million levels deep is an error naming the limit, not a crash") {
  FakeProvider fake([](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"choices":)" + Nested(100'000) + "}", "application/json");
  });
  Client c(fake);
  auto answer = c.client->Complete(Question());
  REQUIRE_FALSE(answer.ok());
  CHECK(GetErrorKind(answer.status()) == ErrorKind::kExternalApi);
  CHECK_THAT(std::string(answer.status().message()),
             Catch::Contains("OpenAI-compatible response: JSON nested deeper than 64 levels"));

  FakeProvider deeper([](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content(Nested(1'000'000), "application/json");
  });
  Client d(deeper, LlmProvider::kAnthropic);
  auto failed = d.client->Complete(Question());
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(std::string(failed.status().message()), Catch::Contains("HTTP 500"));
}

TEST_CASE("an answer larger than the limit is not read past it") {
  FakeProvider fake([](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"choices":[{"message":{"content":")" + std::string(8 << 20, 'a') + R"("}}]})",
        "application/json");
  });
  Client c(fake);
  auto answer = c.client->Complete(Question());
  REQUIRE_FALSE(answer.ok());
  CHECK_THAT(std::string(answer.status().message()),
             Catch::Contains("the response body is larger than the 4194304-byte limit"));
}

TEST_CASE("an error text echoing the key never leaves the client with the key in it") {
  const std::string key = "local-vllm-key-0123456789";
  FakeProvider fake([&key](const httplib::Request& req, httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"error":{"message":"Incorrect API key provided: )" + key + " (header " +
                        req.get_header_value("Authorization") + R"x()"}})x",
                    "application/json");
  });
  Client c(fake, LlmProvider::kOpenAiCompatible, key);
  auto answer = c.client->Complete(Question());
  REQUIRE_FALSE(answer.ok());
  const std::string message(answer.status().message());
  CHECK(answer.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(message, Catch::Contains("Incorrect API key provided: [REDACTED]"));
  CHECK(message.find(key) == std::string::npos);
  CHECK(c.log.str().find(key) == std::string::npos);

  // Anthropic-style keys are caught by their shape even when they are not ours.
  FakeProvider anthropic([](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"error":{"message":"key sk-ant-api03-0123456789abcdefghij revoked"}})",
                    "application/json");
  });
  Client a(anthropic, LlmProvider::kAnthropic, "another-key-0123456789");
  auto refused = a.client->Complete(Question());
  REQUIRE_FALSE(refused.ok());
  CHECK(std::string(refused.status().message()).find("sk-ant-api03") == std::string::npos);
}

TEST_CASE("an answer that echoes the key has it removed, the rest kept") {
  const std::string key = "local-vllm-key-0123456789";
  FakeProvider fake([&key](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        R"({"model":"m","choices":[{"message":{"content":"{\"note\": \")" + key + R"(\"}"}}]})",
        "application/json");
  });
  Client c(fake, LlmProvider::kOpenAiCompatible, key);
  auto answer = c.client->Complete(Question());
  REQUIRE(answer.ok());
  CHECK(answer->text == R"({"note": "[REDACTED]"})");
}

}  // namespace
}  // namespace haystack
