#include "haystack/notify/sendgrid_notifier.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "haystack/core/json.h"
#include "haystack/job/notify_once.h"
#include "haystack/store/open_run_store.h"
#include "sample_notifications.h"
#include "support/loopback_server.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

constexpr char kApiKey[] = "SG.test-key-abcdefghijkl.mnopqrstuvwxyz0123456789";

// Speaks POST /v3/mail/send like SendGrid: checks auth and body shape, answers 202 with
// X-Message-Id, unless a scripted fault is queued for the next request.
class FakeSendGrid {
 public:
  using Fault = std::function<void(httplib::Response&)>;

  FakeSendGrid() {
    server_.server().Post("/v3/mail/send", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      Fault fault;
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(req.body);
        authorizations_.push_back(req.get_header_value("Authorization"));
        content_types_.push_back(req.get_header_value("Content-Type"));
        if (!faults_.empty()) {
          fault = std::move(faults_.front());
          faults_.erase(faults_.begin());
        }
      }
      if (fault) return fault(res);
      if (req.get_header_value("Authorization") != std::string("Bearer ") + kApiKey) {
        res.status = 401;
        res.set_content(R"({"errors":[{"field":null,"message":"bad key"}]})", "application/json");
        return;
      }
      res.status = 202;
      res.set_header("X-Message-Id", "msg-" + std::to_string(bodies_.size()));
    });
    server_.Start();
  }

  void Queue(Fault fault) {
    std::lock_guard lock(mu_);
    faults_.push_back(std::move(fault));
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard lock(mu_);
    return authorizations_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mu_);
    return content_types_;
  }
  std::string url() const { return server_.url(); }

 private:
  testing::LoopbackServer server_;
  std::mutex mu_;
  std::vector<Fault> faults_;
  std::vector<std::string> bodies_, authorizations_, content_types_;
};

struct Fixture {
  FakeSendGrid fake;
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  std::vector<absl::Duration> sleeps;
  std::ostringstream log;
  Logger logger = Logger::Create(
      {.format = LogFormat::kJson, .min_severity = LogSeverity::kDebug, .stream = &log});
  HttpClient http{HttpClientOptions{.connect_timeout = absl::Seconds(2),
                                    .total_timeout = absl::Milliseconds(800)},
                  clock, logger, [this](absl::Duration d) { sleeps.push_back(d); }};
  SendGridNotifier notifier{SendGridOptions{.api_key = kApiKey,
                                            .endpoint = fake.url(),
                                            .from = {"noreply@haystack.example", "HAYSTACK"},
                                            .reply_to = EmailAddress{"help@haystack.example", ""}},
                            http, logger};
};

TEST_CASE("the mail send request has SendGrid's v3 shape") {
  Fixture f;
  const RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  auto receipt = f.notifier.Send(n);
  REQUIRE(receipt.ok());
  CHECK(receipt->provider == "sendgrid");
  CHECK(receipt->provider_message_id == "msg-1");
  REQUIRE(f.fake.bodies().size() == 1);
  CHECK(f.fake.authorizations()[0] == std::string("Bearer ") + kApiKey);
  CHECK(f.fake.content_types()[0] == "application/json");

  auto doc = ParseJsonDocument(f.fake.bodies()[0], "request");
  REQUIRE(doc.ok());
  const auto& body = *doc;
  REQUIRE(body["personalizations"].IsArray());
  CHECK(std::string(body["personalizations"][0]["to"][0]["email"].GetString()) ==
        "ada@example.org");
  CHECK(std::string(body["from"]["email"].GetString()) == "noreply@haystack.example");
  CHECK(std::string(body["from"]["name"].GetString()) == "HAYSTACK");
  CHECK(std::string(body["reply_to"]["email"].GetString()) == "help@haystack.example");
  auto rendered = RenderEmail(n);
  REQUIRE(rendered.ok());
  CHECK(std::string(body["subject"].GetString()) == rendered->subject);
  REQUIRE(body["content"].Size() == 2);
  CHECK(std::string(body["content"][0]["type"].GetString()) == "text/plain");
  CHECK(std::string(body["content"][0]["value"].GetString()) == rendered->text);
  CHECK(std::string(body["content"][1]["type"].GetString()) == "text/html");
  CHECK(std::string(body["content"][1]["value"].GetString()) == rendered->html);
  CHECK(std::string(body["categories"][1].GetString()) == "run_completed");
  CHECK(std::string(body["custom_args"]["run_id"].GetString()) == "hay_20261125_abc123");
  // No personal data in custom args; all values strings.
  for (auto it = body["custom_args"].MemberBegin(); it != body["custom_args"].MemberEnd(); ++it) {
    CHECK(it->value.IsString());
    CHECK(std::string(it->value.GetString()).find('@') == std::string::npos);
  }
  CHECK(body["mail_settings"]["sandbox_mode"]["enable"].IsFalse());
  CHECK(f.log.str().find("mnopqrstuvwxyz0123456789") == std::string::npos);
}

TEST_CASE("429 waits until X-RateLimit-Reset, 500 backs off, then the email is accepted") {
  Fixture f;
  const int64_t reset = absl::ToUnixSeconds(f.clock.Now()) + 9;
  f.fake.Queue([reset](httplib::Response& res) {
    res.status = 429;
    res.set_header("X-RateLimit-Reset", std::to_string(reset));
    res.set_content(R"({"errors":[{"field":null,"message":"too many requests"}]})",
                    "application/json");
  });
  f.fake.Queue([](httplib::Response& res) { res.status = 500; });
  auto receipt = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunFailed));
  REQUIRE(receipt.ok());
  CHECK(f.fake.bodies().size() == 3);
  REQUIRE(f.sleeps.size() == 2);
  CHECK(f.sleeps[0] == absl::Seconds(9));
  CHECK(f.sleeps[1] >= absl::Seconds(1));  // backoff after attempt 2: [1 s, 2 s]
  CHECK(f.sleeps[1] <= absl::Seconds(2));
}

TEST_CASE("a hang past the timeout is retried, persistent 5xx is a transient failure") {
  Fixture f;
  f.fake.Queue([](httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.status = 202;
  });
  auto receipt = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCancelled));
  REQUIRE(receipt.ok());
  CHECK(f.fake.bodies().size() == 2);

  for (int i = 0; i < 4; ++i) f.fake.Queue([](httplib::Response& res) { res.status = 503; });
  auto failed = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCancelled));
  REQUIRE_FALSE(failed.ok());
  CHECK(GetErrorKind(failed.status()) == ErrorKind::kNotification);
  CHECK(IsTransient(failed.status()));
  CHECK(std::string(failed.status().message()).find("HTTP 503 after 4 attempt(s)") !=
        std::string::npos);
  CHECK(f.fake.bodies().size() == 6);
}

TEST_CASE("400 with an error body and a 413 HTML page are permanent, not retried") {
  Fixture f;
  f.fake.Queue([](httplib::Response& res) {
    res.status = 400;
    res.set_content(
        R"({"errors":[{"field":"from","message":"The from address does not match a verified Sender Identity.","help":null}]})",
        "application/json");
  });
  auto bad = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(IsTransient(bad.status()));
  CHECK(std::string(bad.status().message())
            .find("from: The from address does not match a verified Sender Identity.") !=
        std::string::npos);
  CHECK(f.fake.bodies().size() == 1);

  f.fake.Queue([](httplib::Response& res) {
    res.status = 413;
    res.set_content(
        "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>"
        "<center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center>"
        "</body></html>",
        "text/html");
  });
  auto large = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(large.ok());
  CHECK_FALSE(IsTransient(large.status()));
  CHECK(std::string(large.status().message()).find("HTTP 413") != std::string::npos);
  CHECK(std::string(large.status().message()).find("non-JSON body") != std::string::npos);
  CHECK(f.fake.bodies().size() == 2);
  CHECK(f.sleeps.empty());
}

TEST_CASE("a wrong key is a permanent 401 and the key never appears in the error") {
  Fixture f;
  HttpClient http(HttpClientOptions{}, f.clock, Logger::Null(), [](absl::Duration) {});
  SendGridNotifier notifier(
      SendGridOptions{.api_key = "SG.wrong.wrongwrongwrongwrong", .endpoint = f.fake.url()}, http,
      Logger::Null());
  auto result = notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(result.status().message()).find("wrongwrong") == std::string::npos);
  CHECK(std::string(result.status().message()).find("bad key") != std::string::npos);
}

TEST_CASE("hostile query text stays escaped inside the JSON body") {
  Fixture f;
  RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  n.raw_query = testing::HostileQuery(/*huge=*/true);
  REQUIRE(f.notifier.Send(n).ok());
  auto doc = ParseJsonDocument(f.fake.bodies()[0], "request");
  REQUIRE(doc.ok());
  const std::string subject = (*doc)["subject"].GetString();
  CHECK(subject.find('\n') == std::string::npos);
  const std::string html = (*doc)["content"][1]["value"].GetString();
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("sandbox mode is sent as a JSON boolean and 200 counts as accepted") {
  Fixture f;
  HttpClient http(HttpClientOptions{}, f.clock, Logger::Null(), [](absl::Duration) {});
  SendGridNotifier notifier(
      SendGridOptions{.api_key = kApiKey, .endpoint = f.fake.url(), .sandbox_mode = true}, http,
      Logger::Null());
  f.fake.Queue([](httplib::Response& res) { res.status = 200; });
  REQUIRE(notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted)).ok());
  auto doc = ParseJsonDocument(f.fake.bodies()[0], "request");
  REQUIRE(doc.ok());
  CHECK((*doc)["mail_settings"]["sandbox_mode"]["enable"].IsTrue());
}

TEST_CASE("a recipient that is not exactly one mailbox never reaches SendGrid") {
  Fixture f;
  for (const char* recipient :
       {"ada@example.org>,<evil@attacker.example", "ada@example.org\r\nBcc: x@example.com",
        "ada@example.org, evil@attacker.example"}) {
    INFO(recipient);
    RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
    n.recipient = recipient;
    auto refused = f.notifier.Send(n);
    REQUIRE_FALSE(refused.ok());
    CHECK(GetErrorKind(refused.status()) == ErrorKind::kNotification);
    CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(refused.status().message()), Catch::Contains("not one email address"));
  }
  CHECK(f.fake.bodies().empty());
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE("a SendGrid answer nested a million levels deep is an error, not a crash") {
  Fixture f;
  f.fake.Queue([](httplib::Response& res) {
    res.status = 400;
    res.set_content(Nested(1'000'000), "application/json");
  });
  auto refused = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(refused.ok());
  CHECK(GetErrorKind(refused.status()) == ErrorKind::kNotification);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("HTTP 400 after 1 attempt(s): unreadable body (SendGrid response: "
                             "the response body is larger than the 1048576-byte limit)"));

  // Within the size limit, the depth limit names the problem.
  f.fake.Queue([](httplib::Response& res) {
    res.status = 400;
    res.set_content(Nested(100'000), "application/json");
  });
  auto deep = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(std::string(deep.status().message()),
             Catch::Contains("SendGrid response: JSON nested deeper than 64 levels"));

  // An accepted email stays accepted whatever the body says.
  f.fake.Queue([](httplib::Response& res) {
    res.status = 202;
    res.set_header("X-Message-Id", "deep-but-accepted");
    res.set_content(Nested(1'000'000), "application/json");
  });
  auto accepted = f.notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE(accepted.ok());
  CHECK(accepted->provider_message_id == "deep-but-accepted");
}

TEST_CASE("a huge SendGrid answer is read no further than the limit") {
  Fixture f;
  f.fake.Queue([](httplib::Response& res) {
    res.status = 400;
    res.set_content(std::string(20 << 20, 'x'), "text/plain");
  });
  // The fixture's 800 ms timeout is for hangs; serving 20 MB may take longer than that.
  HttpClient http(HttpClientOptions{}, f.clock, f.logger, [](absl::Duration) {});
  SendGridNotifier notifier(SendGridOptions{.api_key = kApiKey, .endpoint = f.fake.url()}, http,
                            f.logger);
  auto refused = notifier.Send(testing::SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("1048576-byte limit"));
  CHECK(std::string(refused.status().message()).size() < 1000);
  CHECK(f.fake.bodies().size() == 1);
  CHECK_THAT(f.log.str(), Catch::Contains("http response body over the size limit"));
}

// A run finished with `update` in a fresh SQLite store, its notification pending.
absl::StatusOr<Run> FinishedRun(RunStore& store, std::string run_id, TerminalUpdate update) {
  Run run;
  run.run_id = std::move(run_id);
  run.user_email = "ada@example.org";
  run.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  HAYSTACK_RETURN_IF_ERROR(store.CreateRun(run));
  HAYSTACK_ASSIGN_OR_RETURN(Lease lease, store.ClaimRun(run.run_id, "worker-1", absl::Minutes(5)));
  update.notification_recipient = run.user_email;
  return store.FinishRun(lease, update);
}

TEST_CASE("through the ledger, a retried job never sends the email twice") {
  Fixture f;
  testing::TempDir dir;
  auto store = OpenRunStore("sqlite:" + dir.File("runs.db"));
  REQUIRE(store.ok());
  auto finished = FinishedRun(**store, "hay_20261125_ledger",
                              TerminalUpdate{.status = RunStatus::kCompleted,
                                             .reason = TerminationReason::kConverged,
                                             .final_score = 8,
                                             .notification = NotificationKind::kRunCompleted});
  REQUIRE(finished.ok());

  // First execution: the first POST hits a 500, the retry is accepted.
  f.fake.Queue([](httplib::Response& res) { res.status = 500; });
  REQUIRE(DeliverPendingNotifications(*finished, **store, f.notifier,
                                      {.claimant = "job-1", .app_url = "https://app.example.org"},
                                      Logger::Null())
              .ok());
  // A re-execution of the finished run (batch retry) delivers nothing more.
  auto again = (*store)->GetRun(finished->run_id);
  REQUIRE(again.ok());
  REQUIRE(DeliverPendingNotifications(*again, **store, f.notifier,
                                      {.claimant = "job-2", .app_url = "https://app.example.org"},
                                      Logger::Null())
              .ok());
  CHECK(f.fake.bodies().size() == 2);  // one failed attempt + one accepted, no duplicate
  auto ledger = (*store)->ListNotifications(finished->run_id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK((*ledger)[0].status == NotificationStatus::kSent);
  CHECK((*ledger)[0].provider == "sendgrid");
  CHECK((*ledger)[0].provider_message_id == "msg-2");
}

TEST_CASE("a permanent SendGrid failure is recorded in the ledger with the error body") {
  Fixture f;
  testing::TempDir dir;
  auto store = OpenRunStore("sqlite:" + dir.File("runs.db"));
  REQUIRE(store.ok());
  auto finished =
      FinishedRun(**store, "hay_20261125_failed",
                  TerminalUpdate{.status = RunStatus::kFailed,
                                 .reason = TerminationReason::kError,
                                 .error = RunError{"InferenceError", "worker down", {}, {}},
                                 .notification = NotificationKind::kRunFailed});
  REQUIRE(finished.ok());
  f.fake.Queue([](httplib::Response& res) {
    res.status = 403;
    res.set_content(R"({"errors":[{"field":"from","message":"not a verified sender"}]})",
                    "application/json");
  });
  auto delivered = DeliverPendingNotifications(*finished, **store, f.notifier,
                                               {.claimant = "job-1"}, Logger::Null());
  CHECK_FALSE(delivered.ok());
  auto ledger = (*store)->ListNotifications(finished->run_id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK((*ledger)[0].status == NotificationStatus::kFailed);
  CHECK((*ledger)[0].last_error.find("not a verified sender") != std::string::npos);
  // The run itself is untouched.
  auto after = (*store)->GetRun(finished->run_id);
  REQUIRE(after.ok());
  CHECK(after->status == RunStatus::kFailed);
}

TEST_CASE("an answer a million levels deep is recorded in the ledger, not left in sending") {
  Fixture f;
  testing::TempDir dir;
  auto store = OpenRunStore("sqlite:" + dir.File("runs.db"));
  REQUIRE(store.ok());
  auto finished = FinishedRun(**store, "hay_20261125_deep",
                              TerminalUpdate{.status = RunStatus::kCompleted,
                                             .reason = TerminationReason::kConverged,
                                             .final_score = 8,
                                             .notification = NotificationKind::kRunCompleted});
  REQUIRE(finished.ok());
  f.fake.Queue([](httplib::Response& res) {
    res.status = 400;
    res.set_content(Nested(1'000'000), "application/json");
  });
  CHECK_FALSE(DeliverPendingNotifications(*finished, **store, f.notifier, {.claimant = "job-1"},
                                          Logger::Null())
                  .ok());
  auto ledger = (*store)->ListNotifications(finished->run_id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK((*ledger)[0].status == NotificationStatus::kFailed);
  CHECK_THAT((*ledger)[0].last_error, Catch::Contains("unreadable body"));
}

TEST_CASE("an echoed key never reaches the ledger, the events or the log") {
  testing::TempDir dir;
  auto store = OpenRunStore("sqlite:" + dir.File("runs.db"));
  REQUIRE(store.ok());
  auto finished = FinishedRun(**store, "hay_20261125_echo",
                              TerminalUpdate{.status = RunStatus::kCompleted,
                                             .reason = TerminationReason::kConverged,
                                             .final_score = 8,
                                             .notification = NotificationKind::kRunCompleted});
  REQUIRE(finished.ok());
  // A relay in front of SendGrid with its own key format, echoing it in two ways.
  const std::string key = "relay-key-0123456789abcdef";
  FakeSendGrid fake;
  fake.Queue([&key](httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"errors":[{"field":null,"message":"key )" + key +
                        R"( rejected; Authorization: Bearer )" + key + R"("}]})",
                    "application/json");
  });
  std::ostringstream log;
  Logger logger = Logger::Create(
      {.format = LogFormat::kJson, .min_severity = LogSeverity::kDebug, .stream = &log});
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  HttpClient http(HttpClientOptions{}, clock, logger, [](absl::Duration) {});
  SendGridNotifier notifier(SendGridOptions{.api_key = key, .endpoint = fake.url()}, http, logger);
  auto delivered =
      DeliverPendingNotifications(*finished, **store, notifier, {.claimant = "job-1"}, logger);
  REQUIRE_FALSE(delivered.ok());
  CHECK(std::string(delivered.message()).find(key) == std::string::npos);

  auto ledger = (*store)->ListNotifications(finished->run_id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK((*ledger)[0].status == NotificationStatus::kFailed);
  CHECK_THAT((*ledger)[0].last_error, Catch::Contains("key [REDACTED] rejected"));
  CHECK((*ledger)[0].last_error.find(key) == std::string::npos);
  auto events = (*store)->ListEvents(finished->run_id);
  REQUIRE(events.ok());
  for (const RunEvent& event : *events) {
    CHECK(event.message.find(key) == std::string::npos);
  }
  CHECK(log.str().find(key) == std::string::npos);
}

}  // namespace
}  // namespace haystack
