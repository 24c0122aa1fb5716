#include "haystack/agent/llm_query_analyzer.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/curated_knowledge.h"
#include "agent/test_atlases.h"
#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "support/loopback_server.h"

namespace haystack {
namespace {

using testing::CuratedKnowledge;
using testing::LoopbackServer;

constexpr char kApiKey[] = "sk-test-SECRET-0123456789";

// A scripted OpenAI-compatible (or Anthropic) endpoint: answers requests from a queue and
// records what it received.
class FakeLlmServer {
 public:
  struct Reply {
    int status = 200;
    std::string content;   // the model's text, wrapped in the provider's envelope
    std::string raw_body;  // sent as is when set
    int delay_ms = 0;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  explicit FakeLlmServer(bool anthropic) : anthropic_(anthropic) {
    const char* path = anthropic ? "/v1/messages" : "/v1/chat/completions";
    server_.server().Post(path, [this](const httplib::Request& req, httplib::Response& res) {
      Reply reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
        if (!replies_.empty()) {
          reply = replies_.front();
          replies_.pop_front();
        } else {
          reply.status = 500;
          reply.raw_body = R"({"error":{"message":"no scripted reply"}})";
        }
      }
      if (reply.delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      for (const auto& [k, v] : reply.headers) res.set_header(k, v);
      res.status = reply.status;
      res.set_content(reply.raw_body.empty() ? Envelope(reply.content) : reply.raw_body,
                      "application/json");
    });
    server_.Start();
  }

  void Push(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.push_back(std::move(reply));
  }
  std::vector<httplib::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string base_url() const { return anthropic_ ? server_.url() : server_.url() + "/v1"; }

 private:
  std::string Envelope(const std::string& content) const {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("model");
    w.String("fake-model-1");
    if (anthropic_) {
      w.Key("content");
      w.StartArray();
      w.StartObject();
      w.Key("type");
      w.String("text");
      w.Key("text");
      w.String(content.c_str());
      w.EndObject();
      w.EndArray();
    } else {
      w.Key("choices");
      w.StartArray();
      w.StartObject();
      w.Key("message");
      w.StartObject();
      w.Key("role");
      w.String("assistant");
      w.Key("content");
      w.String(content.c_str());
      w.EndObject();
      w.EndObject();
      w.EndArray();
    }
    w.EndObject();
    return buffer.GetString();
  }

  bool anthropic_;
  LoopbackServer server_;
  std::mutex mu_;
  std::deque<Reply> replies_;
  std::vector<httplib::Request> requests_;
};

const char kValidAnswer[] =
    R"({"task_type":"perturbation_novel_cell_types","cell_type":"CD14+ monocytes",)"
    R"("perturbation":"IFN-gamma","target_donor_id":null,"reference_donor_id":null,)"
    R"("tissue":null,"disease":null,"reference_dataset":null})";
const char kQuery[] = "How would CD14+ monocytes respond to IFN-gamma?";

struct Harness {
  explicit Harness(bool anthropic = false, absl::Duration timeout = absl::Seconds(5))
      : server(anthropic),
        logger(Logger::Create(
            {.format = LogFormat::kJson, .min_severity = LogSeverity::kDebug, .stream = &log})),
        http(HttpClientOptions{}, SystemClock(), logger, [](absl::Duration) {}) {
    LlmClientOptions options;
    options.provider = anthropic ? LlmProvider::kAnthropic : LlmProvider::kOpenAiCompatible;
    options.base_url = server.base_url();
    options.model = "fake-model-1";
    options.api_key = kApiKey;
    options.timeout = timeout;
    options.retry.initial_backoff = absl::Milliseconds(1);
    auto made = MakeLlmClient(options, http, logger);
    REQUIRE(made.ok());
    client = std::move(*made);
  }

  StructuredQuery Analyze(std::string_view query = kQuery) {
    RuleBasedQueryAnalyzer rules(CuratedKnowledge(), testing::DemoVocabulary());
    LlmQueryAnalyzer analyzer(*client, CuratedKnowledge(), testing::DemoVocabulary(), rules,
                              logger);
    auto result = analyzer.Analyze(query);
    REQUIRE(result.ok());
    return *result;
  }

  FakeLlmServer server;
  std::ostringstream log;
  Logger logger;
  HttpClient http;
  std::unique_ptr<LlmClient> client;
};

TEST_CASE("a valid answer is validated against the query and the knowledge base") {
  Harness h;
  h.server.Push({.content = kValidAnswer});
  StructuredQuery q = h.Analyze();
  CHECK(q.analyzer == "llm:fake-model-1");
  CHECK(q.cell_type_cl_id == std::optional<std::string>("CL:0001054"));
  CHECK(q.perturbation_resolved == std::optional<std::string>("IFNG"));
  CHECK(q.expected_targets.size() == 5);
  CHECK(q.notes.empty());

  auto requests = h.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].get_header_value("Authorization") == std::string("Bearer ") + kApiKey);
  auto body = ParseJsonDocument(requests[0].body, "request");
  REQUIRE(body.ok());
  CHECK(std::string((*body)["model"].GetString()) == "fake-model-1");
  CHECK(std::string((*body)["response_format"]["type"].GetString()) == "json_object");
  CHECK(std::string((*body)["messages"][0]["role"].GetString()) == "system");
  CHECK_THAT(std::string((*body)["messages"][1]["content"].GetString()),
             Catch::Contains("\"How would CD14+ monocytes respond to IFN-gamma?\""));
  // The atlas's vocabulary is the model's candidate list.
  CHECK_THAT(std::string((*body)["messages"][1]["content"].GetString()),
             Catch::Contains("Atlas vocabulary") && Catch::Contains("\"CD14-positive monocyte\"") &&
                 Catch::Contains("\"donors\":[\"D01\"") && Catch::Contains("\"dexamethasone\""));
}

TEST_CASE("a phrase naming what the atlas does not hold is not accepted from the model") {
  Harness h;
  // The knowledge base knows IFN-beta; the demo atlas holds it, but not in "hepatocytes".
  const std::string query = "How would hepatocytes respond to IFN-beta?";
  for (int i = 0; i < 2; ++i) {
    h.server.Push({.content = R"({"task_type":"perturbation_novel_cell_types",)"
                              R"("cell_type":"hepatocytes","perturbation":"IFN-beta"})"});
  }
  RuleBasedQueryAnalyzer rules(CuratedKnowledge(), testing::DemoVocabulary());
  LlmQueryAnalyzer analyzer(*h.client, CuratedKnowledge(), testing::DemoVocabulary(), rules,
                            h.logger);
  auto result = analyzer.Analyze(query);
  REQUIRE_FALSE(result.ok());  // falls back to the rules, which refuse it too
  CHECK(GetErrorKind(result.status()) == ErrorKind::kEntityResolution);
  CHECK_THAT(h.log.str(), Catch::Contains("does not name what the atlas holds"));
}

TEST_CASE("the same result comes from the Anthropic messages API") {
  Harness h(/*anthropic=*/true);
  h.server.Push({.content = std::string("```json\n") + kValidAnswer + "\n```"});
  StructuredQuery q = h.Analyze();
  CHECK(q.perturbation_resolved == std::optional<std::string>("IFNG"));
  auto requests = h.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].get_header_value("x-api-key") == kApiKey);
  CHECK(requests[0].get_header_value("anthropic-version") == "2023-06-01");
  auto body = ParseJsonDocument(requests[0].body, "request");
  REQUIRE(body.ok());
  CHECK(body->HasMember("system"));
  CHECK((*body)["max_tokens"].GetInt() > 0);
}

TEST_CASE("malformed JSON gets one repair round that tells the model what was wrong") {
  Harness h;
  h.server.Push({.content = "Sure! The cell type is monocytes {task_type: oops"});
  h.server.Push({.content = kValidAnswer});
  StructuredQuery q = h.Analyze();
  CHECK(q.analyzer == "llm:fake-model-1");
  REQUIRE(q.notes.size() == 1);
  CHECK_THAT(q.notes[0], Catch::Contains("repair"));
  auto requests = h.server.requests();
  REQUIRE(requests.size() == 2);
  auto body = ParseJsonDocument(requests[1].body, "request");
  REQUIRE(body.ok());
  const auto& messages = (*body)["messages"];
  REQUIRE(messages.Size() == 4);
  CHECK(std::string(messages[2]["role"].GetString()) == "assistant");
  CHECK_THAT(std::string(messages[3]["content"].GetString()), Catch::Contains("invalid"));
}

TEST_CASE("schema-violating or invented values twice fall back to the rules") {
  Harness h;
  h.server.Push({.content = R"({"task_type":"banana","cell_type":"CD14+ monocytes"})"});
  h.server.Push({.content = R"({"task_type":"perturbation_novel_cell_types",)"
                            R"("cell_type":"hepatocytes","perturbation":"IFN-gamma"})"});
  StructuredQuery q = h.Analyze();
  CHECK(q.analyzer == "rules");
  CHECK(q.cell_type_cl_id == std::optional<std::string>("CL:0001054"));
  REQUIRE(q.notes.size() == 1);
  CHECK_THAT(q.notes[0], Catch::Contains("invalid twice") && Catch::Contains("does not contain"));
}

TEST_CASE("a perturbation outside the knowledge base is not accepted from the model") {
  Harness h;
  const std::string query = "How would CD14+ monocytes respond to IL-17A?";
  for (int i = 0; i < 2; ++i) {
    h.server.Push({.content = R"({"task_type":"perturbation_novel_cell_types",)"
                              R"("cell_type":"CD14+ monocytes","perturbation":"IL-17A"})"});
  }
  RuleBasedQueryAnalyzer rules(CuratedKnowledge(), testing::DemoVocabulary());
  LlmQueryAnalyzer analyzer(*h.client, CuratedKnowledge(), testing::DemoVocabulary(), rules,
                            h.logger);
  auto result = analyzer.Analyze(query);
  REQUIRE_FALSE(result.ok());  // the rules cannot resolve it either
  CHECK(GetErrorKind(result.status()) == ErrorKind::kEntityResolution);
}

TEST_CASE("429 with Retry-After is retried, a 401 falls back without leaking the key") {
  SECTION("429 then success") {
    Harness h;
    h.server.Push({.status = 429,
                   .raw_body = R"({"error":{"message":"rate limited"}})",
                   .headers = {{"Retry-After", "0"}}});
    h.server.Push({.content = kValidAnswer});
    StructuredQuery q = h.Analyze();
    CHECK(q.analyzer == "llm:fake-model-1");
    CHECK(h.server.requests().size() == 2);
  }
  SECTION("401") {
    Harness h;
    h.server.Push(
        {.status = 401, .raw_body = R"({"error":{"message":"Incorrect API key provided"}})"});
    StructuredQuery q = h.Analyze();
    CHECK(q.analyzer == "rules");
    REQUIRE(q.notes.size() == 1);
    CHECK_THAT(q.notes[0], Catch::Contains("401"));
    CHECK_THAT(q.notes[0], !Catch::Contains(kApiKey));
    CHECK_THAT(h.log.str(), !Catch::Contains(kApiKey));
  }
}

TEST_CASE("a model slower than the timeout falls back to the rules") {
  Harness h(false, absl::Milliseconds(300));
  for (int i = 0; i < 3; ++i) h.server.Push({.content = kValidAnswer, .delay_ms = 1500});
  StructuredQuery q = h.Analyze();
  CHECK(q.analyzer == "rules");
  REQUIRE(q.notes.size() == 1);
  CHECK_THAT(q.notes[0], Catch::Contains("not reachable"));
  CHECK_THAT(h.log.str(), !Catch::Contains(kApiKey));
}

}  // namespace
}  // namespace haystack
