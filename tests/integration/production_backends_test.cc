// The production configuration end to end, by settings alone: PostgreSQL, Cloud Storage (the
// loopback fake), SendGrid (a loopback fake) and haystack-inference-worker as its own process.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "haystack/core/enums.h"
#include "haystack/job/exit_codes.h"
#include "orchestration.h"
#include "support/fake_gcs.h"
#include "support/loopback_server.h"

namespace haystack::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kApiKey[] = "SG.test-key-abcdefghijkl.mnopqrstuvwxyz0123456789";

// POST /v3/mail/send: checks the key, records the body, answers 202 with X-Message-Id.
class FakeSendGrid {
 public:
  FakeSendGrid() {
    server_.server().Post(
        "/v3/mail/send", [this](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard lock(mu_);
          bodies_.push_back(req.body);
          if (req.get_header_value("Authorization") != std::string("Bearer ") + kApiKey) {
            res.status = 401;
            return;
          }
          res.status = 202;
          res.set_header("X-Message-Id", "msg-" + std::to_string(bodies_.size()));
        });
    server_.Start();
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::string url() const { return server_.url(); }

 private:
  LoopbackServer server_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

// haystack-inference-worker on an ephemeral loopback port.
class Worker {
 public:
  explicit Worker(const TempDir& dir, const Env& env = {})
      : port_file_(dir.File("worker.port")),
        process_({HAYSTACK_INFERENCE_WORKER, "--listen", "127.0.0.1:0", "--port-file", port_file_,
                  "--scratch-dir", dir.path().string(), "--log-format", "json"},
                 {.env = env}) {
    const auto until = std::chrono::steady_clock::now() + milliseconds(30'000);
    while (!fs::exists(port_file_) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    INFO(process_.Stderr());
    REQUIRE(fs::exists(port_file_));
    endpoint_ =
        "grpc://127.0.0.1:" + ReadFile(port_file_).substr(0, ReadFile(port_file_).find('\n'));
  }
  const std::string& endpoint() const { return endpoint_; }
  std::string Stderr() const { return process_.Stderr(); }

 private:
  std::string port_file_;
  BackgroundProcess process_;
  std::string endpoint_;
};

Env SendGridEnv(const FakeSendGrid& sendgrid) {
  return {{"HAYSTACK_EMAIL_BACKEND", "sendgrid"},
          {"HAYSTACK_SENDGRID_API_KEY", kApiKey},
          {"HAYSTACK_SENDGRID_ENDPOINT", sendgrid.url()}};
}

// One completed run, one email with the run's id, the run's record on PostgreSQL.
void CheckCompletedRun(Orchestration& o, const std::string& id, FakeSendGrid& sendgrid,
                       const ProcessResult& result) {
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.termination_reason == TerminationReason::kConverged);
  REQUIRE_FALSE(run.iterations.empty());
  CHECK(NumberedOneToN(run));
  // Inference went to the worker process (only the gRPC backend submits jobs).
  CHECK_THAT(result.stderr_text, Catch::Contains("inference job submitted"));
  CHECK_THAT(run.iterations.front().inference_backend, Catch::Contains("cpu-icl-baseline"));
  REQUIRE(sendgrid.bodies().size() == 1);
  CHECK_THAT(sendgrid.bodies().front(), Catch::Contains(id));
  auto notifications = o.store().ListNotifications(id);
  REQUIRE(notifications.ok());
  REQUIRE(notifications->size() == 1);
  CHECK(notifications->front().status == NotificationStatus::kSent);
  CHECK(notifications->front().provider_message_id == "msg-1");
}

TEST_CASE("PostgreSQL + SendGrid + the gRPC worker process, local artifacts: the demo completes",
          "[production]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  Orchestration o(postgres);
  FakeSendGrid sendgrid;
  Worker worker(o.dir);
  o.base_env = SendGridEnv(sendgrid);
  o.base_env.emplace("HAYSTACK_INFERENCE_ENDPOINT", worker.endpoint());

  const std::string id = o.CreateRun();
  ProcessResult result = o.Execute(id);
  INFO(result.stderr_text << worker.Stderr());
  REQUIRE(result.exit_code == kExitSuccess);
  CheckCompletedRun(o, id, sendgrid, result);
  CHECK(o.OutboxFiles().empty());

  const fs::path dir = o.RunDir(id);
  for (const char* file : {"output.h5ad", "report.md", "report.html", "log.json"}) {
    INFO(file);
    CHECK(fs::is_regular_file(dir / file));
  }
  ProcessResult python = ReadWithPython(
      {(dir / "output.h5ad").string(), (dir / "iterations/1/predictions.h5ad").string()},
      (dir / "log.json").string(), id);
  INFO(python.stdout_text << python.stderr_text);
  CHECK(python.exit_code == 0);

  // A re-execution of the completed run sends nothing more.
  CHECK(o.Execute(id).exit_code == kExitSuccess);
  CHECK(sendgrid.bodies().size() == 1);
}

TEST_CASE("PostgreSQL + Cloud Storage + SendGrid + the gRPC worker process: the demo completes",
          "[production]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  FakeGcs gcs;
  const std::string prefix = "prod";
  Orchestration o(postgres, std::string("gs://") + FakeGcs::kBucket + "/" + prefix);
  FakeSendGrid sendgrid;
  const Env gcs_env = {{"STORAGE_EMULATOR_HOST", gcs.url()}};
  Worker worker(o.dir, gcs_env);
  o.base_env = SendGridEnv(sendgrid);
  o.base_env.emplace("HAYSTACK_INFERENCE_ENDPOINT", worker.endpoint());
  o.base_env.emplace("STORAGE_EMULATOR_HOST", gcs.url());

  const std::string id = o.CreateRun();
  ProcessResult result = o.Execute(id);
  INFO(result.stderr_text << worker.Stderr());
  REQUIRE(result.exit_code == kExitSuccess);
  CheckCompletedRun(o, id, sendgrid, result);

  const Run run = o.Get(id);
  const std::string base = prefix + "/runs/" + id + "/";
  CHECK(run.output_anndata_path ==
        "gs://" + std::string(FakeGcs::kBucket) + "/" + base + "output.h5ad");
  std::vector<std::string> local_copies;
  for (const char* file :
       {"output.h5ad", "report.md", "report.html", "log.json", "iterations/1/predictions.h5ad"}) {
    INFO(file);
    std::optional<std::string> object = gcs.Object(base + file);
    REQUIRE(object.has_value());
    CHECK(gcs.Creations(base + file) == 1);
    const fs::path copy = o.dir.path() / "from-gcs" / file;
    WriteFile(copy, *object);
    local_copies.push_back(copy.string());
  }
  ProcessResult python = ReadWithPython({local_copies[0], local_copies[4]}, local_copies[3], id);
  INFO(python.stdout_text << python.stderr_text);
  CHECK(python.exit_code == 0);
}

TEST_CASE("PostgreSQL: cancel during inference with the default settings, cancelled within 2 s",
          "[production]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  Orchestration o(postgres);
  const std::string id = o.CreateRun();
  // Default cancel_poll_seconds: the NOTIFY hint is what makes it quick.
  auto job = o.Start(id, {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "100"}});
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 1, milliseconds(60'000)));
  ProcessResult cancel = o.Cli({"cancel", id});
  const auto requested = std::chrono::steady_clock::now();
  INFO(cancel.stderr_text);
  REQUIRE(cancel.exit_code == kExitSuccess);
  ProcessResult done = job->Wait(milliseconds(30'000));
  INFO(done.stderr_text);
  CHECK(done.exit_code == kExitSuccess);
  CHECK(std::chrono::steady_clock::now() - requested < milliseconds(2'000));
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCancelled);
  CHECK(run.iterations.empty());
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_cancelled.eml"});
  CHECK_FALSE(fs::exists(fs::path(o.RunDir(id)) / "iterations" / "1"));
}

// Restarts the shared PostgreSQL server, so it runs on its own (RUN_SERIAL in CMakeLists.txt)
// rather than among the suite's discovered tests.
TEST_CASE("PostgreSQL restarted during inference: the run completes, or exits 75 and resumes",
          "[.pg_restart][production]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  const char* ctl = std::getenv("HAYSTACK_TEST_POSTGRES_CTL");
  if (ctl == nullptr || *ctl == '\0') {
    WARN("HAYSTACK_TEST_POSTGRES_CTL is not set (scripts/lib/postgres.sh); skipping");
    return;
  }
  Orchestration o(postgres);
  const std::string id = o.CreateRun();
  // A short lease: an execution that gives up on the database cannot release it.
  auto job = o.Start(id, {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "150"},
                          {"HAYSTACK_LEASE_SECONDS", "5"},
                          {"HAYSTACK_HEARTBEAT_SECONDS", "1"}});
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 1, milliseconds(60'000)));
  ProcessResult restart =
      RunProcess({"/bin/sh", "-c", std::string(ctl) + " -w -t 60 -m fast restart"});
  INFO(restart.stdout_text << restart.stderr_text);
  REQUIRE(restart.exit_code == 0);

  ProcessResult first = job->Wait(milliseconds(90'000));
  INFO(first.stderr_text);
  o.Reconnect();  // the test's own connection did not survive the restart either
  const Run after = o.Get(id);
  if (first.exit_code == kExitSuccess) {
    CHECK(after.status == RunStatus::kCompleted);
  } else {
    // Transient: the state is intact and a re-execution finishes the run.
    CHECK(first.exit_code == kExitTransient);
    CHECK(after.status == RunStatus::kRunning);
    CHECK(NumberedOneToN(after));
    CHECK(o.OutboxFiles().empty());
    if (after.lease_expires_at) {
      while (absl::Now() < *after.lease_expires_at + absl::Milliseconds(100)) {
        std::this_thread::sleep_for(milliseconds(50));
      }
    }
    ProcessResult resumed = o.Execute(id);
    INFO(resumed.stderr_text);
    CHECK(resumed.exit_code == kExitSuccess);
  }
  std::cout << "PostgreSQL restart: first execution exited " << first.exit_code << "\n";
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(NumberedOneToN(run));
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_completed.eml"});
}

}  // namespace
}  // namespace haystack::testing
