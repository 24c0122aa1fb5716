#include "internal/worker_jobs.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::inference_internal {
namespace {

constexpr size_t kMaxClientKeyLength = 128;

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

absl::Status CheckClientKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxClientKeyLength) {
    return absl::InvalidArgumentError(fmt::format(
        "client_key must have 1 to {} characters (got {})", kMaxClientKeyLength, key.size()));
  }
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return absl::InvalidArgumentError(
          fmt::format("client_key {} may only hold lowercase letters, digits and hyphens",
                      QuoteForMessage(key)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredFields(const v1::JobSpec& spec) {
  if (spec.prompt_uri().empty()) return absl::InvalidArgumentError("spec.prompt_uri is empty");
  if (spec.query_uri().empty()) return absl::InvalidArgumentError("spec.query_uri is empty");
  if (spec.output_uri().empty()) return absl::InvalidArgumentError("spec.output_uri is empty");
  if (spec.parameters().diffusion_steps() < 0 || spec.parameters().batch_size() < 0) {
    return absl::InvalidArgumentError(
        "spec.parameters.diffusion_steps and batch_size must not be negative");
  }
  return absl::OkStatus();
}

// Keeps the runner's code for the client (INVALID_ARGUMENT vs FAILED_PRECONDITION) but drops
// the internal kind payload, which has no meaning on the wire.
absl::Status WireStatus(const absl::Status& status) {
  return absl::Status(status.code(), status.message());
}

}  // namespace

WorkerJobs::WorkerJobs(JobRunner& runner, const InferenceWorkerOptions& options, Logger logger,
                       std::string instance_id)
    : runner_(runner),
      options_(options),
      logger_(std::move(logger)),
      instance_id_(std::move(instance_id)) {
  const int slots = std::max(1, options_.max_running_jobs);
  for (int i = 0; i < slots; ++i) runners_.emplace_back([this] { RunnerLoop(); });
}

WorkerJobs::~WorkerJobs() { Shutdown(); }

void WorkerJobs::Touch(Entry& entry) {
  ++entry.sequence;
  entry.job.set_update_time_unix_ms(NowMillis());
  changed_.notify_all();
}

absl::StatusOr<SubmitOutcome> WorkerJobs::Submit(const std::string& client_key,
                                                 const v1::JobSpec& spec) {
  HAYSTACK_RETURN_IF_ERROR(CheckClientKey(client_key));
  HAYSTACK_RETURN_IF_ERROR(CheckRequiredFields(spec));
  const InferenceJobSpec wanted = FromProto(spec);

  // An existing live job with this key is returned as is, without touching the inputs again.
  auto existing = [&]() -> std::optional<absl::StatusOr<SubmitOutcome>> {
    auto key_it = by_key_.find(client_key);
    if (key_it == by_key_.end()) return std::nullopt;
    const Entry& entry = *jobs_.at(key_it->second);
    if (FromProto(entry.job.spec()) != wanted) {
      return absl::AlreadyExistsError(fmt::format(
          "client_key {} names job {} with a different spec; use a new key for new inputs",
          client_key, entry.job.job_id()));
    }
    const v1::JobState state = entry.job.state();
    if (state == v1::JOB_STATE_FAILED || state == v1::JOB_STATE_CANCELLED) return std::nullopt;
    return SubmitOutcome{entry.job, false};
  };
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return absl::UnavailableError("the worker is shutting down");
    if (auto found = existing()) return *std::move(found);
  }
  if (absl::Status check = runner_.CheckSpec(wanted); !check.ok()) return WireStatus(check);

  std::lock_guard lock(mu_);
  if (shutting_down_) return absl::UnavailableError("the worker is shutting down");
  if (auto found = existing()) return *std::move(found);
  if (static_cast<int>(queue_.size()) >= options_.max_queued_jobs) {
    return absl::ResourceExhaustedError(
        fmt::format("the worker's queue is full ({} jobs waiting)", queue_.size()));
  }
  auto entry = std::make_unique<Entry>();
  const std::string job_id = fmt::format("job-{}-{}", instance_id_, next_job_number_++);
  entry->job.set_job_id(job_id);
  entry->job.set_client_key(client_key);
  entry->job.set_state(v1::JOB_STATE_QUEUED);
  *entry->job.mutable_spec() = spec;
  entry->job.set_create_time_unix_ms(NowMillis());
  entry->job.set_worker_instance(instance_id_);
  Touch(*entry);
  SubmitOutcome outcome{entry->job, true};
  by_key_[client_key] = job_id;
  jobs_.emplace(job_id, std::move(entry));
  queue_.push_back(job_id);
  queue_cv_.notify_one();
  logger_.Info("job queued", {{"job_id", job_id}, {"client_key", client_key}});
  return outcome;
}

absl::StatusOr<JobSnapshot> WorkerJobs::Get(const std::string& job_id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(fmt::format("no job {} on this worker (instance {})",
                                           QuoteForMessage(job_id), instance_id_));
  }
  return JobSnapshot{it->second->job, it->second->sequence};
}

absl::StatusOr<v1::Job> WorkerJobs::Cancel(const std::string& job_id, const std::string& reason) {
  StopSource* to_stop = nullptr;
  v1::Job snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) {
      return absl::NotFoundError(fmt::format("no job {} on this worker (instance {})",
                                             QuoteForMessage(job_id), instance_id_));
    }
    Entry& entry = *it->second;
    const std::string why = reason.empty() ? "cancelled by the client" : reason;
    if (entry.job.state() == v1::JOB_STATE_QUEUED) {
      entry.job.set_state(v1::JOB_STATE_CANCELLED);
      entry.job.mutable_error()->set_category(v1::JobError::CANCELLED);
      entry.job.mutable_error()->set_message(fmt::format("cancelled before it started: {}", why));
      std::erase(queue_, job_id);
      finished_order_.push_back(job_id);
      Touch(entry);
    } else if (entry.job.state() == v1::JOB_STATE_RUNNING && entry.cancel_reason.empty()) {
      entry.cancel_reason = why;
      to_stop = &entry.stop;  // the entry is not evicted while it runs
    }
    snapshot = entry.job;
  }
  if (to_stop != nullptr) {
    logger_.Info("cancelling job", {{"job_id", job_id}, {"reason", reason}});
    to_stop->RequestStop(StopReason::kCancelRequested);
  }
  return snapshot;
}

absl::StatusOr<JobSnapshot> WorkerJobs::WaitForChange(const std::string& job_id,
                                                      uint64_t seen_sequence,
                                                      absl::Duration timeout) const {
  std::unique_lock lock(mu_);
  auto find = [&]() -> const Entry* {
    auto it = jobs_.find(job_id);
    return it == jobs_.end() ? nullptr : it->second.get();
  };
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    const Entry* entry = find();
    return entry == nullptr || entry->sequence > seen_sequence || shutting_down_;
  });
  const Entry* entry = find();
  if (entry == nullptr) {
    return absl::NotFoundError(fmt::format("no job {} on this worker (instance {})",
                                           QuoteForMessage(job_id), instance_id_));
  }
  if (shutting_down_ && entry->sequence <= seen_sequence && !IsTerminal(entry->job.state())) {
    return absl::UnavailableError("the worker is shutting down");
  }
  return JobSnapshot{entry->job, entry->sequence};
}

void WorkerJobs::RunnerLoop() {
  while (true) {
    std::string job_id;
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      job_id = queue_.front();
      queue_.pop_front();
    }
    RunJob(job_id);
  }
}

void WorkerJobs::RunJob(const std::string& job_id) {
  Entry* entry = nullptr;
  InferenceJobSpec spec;
  StopToken stop;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second->job.state() != v1::JOB_STATE_QUEUED) return;
    entry = it->second.get();
    entry->job.set_state(v1::JOB_STATE_RUNNING);
    entry->job.mutable_progress()->set_stage("starting");
    Touch(*entry);
    spec = FromProto(entry->job.spec());
    stop = entry->stop.token();
  }
  logger_.Info("job running", {{"job_id", job_id}});
  const absl::Time started = absl::Now();
  auto progress = [&](const JobProgress& p) {
    std::lock_guard lock(mu_);
    auto* out = entry->job.mutable_progress();
    out->set_cells_done(p.cells_done);
    out->set_cells_total(p.cells_total);
    out->set_stage(p.stage);
    Touch(*entry);
  };
  absl::StatusOr<JobOutcome> outcome = runner_.Run(spec, stop, progress);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);

  std::lock_guard lock(mu_);
  if (outcome.ok()) {
    entry->job.set_state(v1::JOB_STATE_SUCCEEDED);
    auto* result = entry->job.mutable_result();
    result->set_output_uri(outcome->output_uri);
    result->set_cells(outcome->cells);
    result->set_genes(outcome->genes);
    result->set_backend(outcome->backend);
    result->set_model_version(outcome->model_version);
    result->set_compute_seconds(seconds);
    logger_.Info("job succeeded", {{"job_id", job_id}, {"seconds", seconds}});
  } else if (stop.stop_requested()) {
    entry->job.set_state(v1::JOB_STATE_CANCELLED);
    entry->job.mutable_error()->set_category(v1::JobError::CANCELLED);
    entry->job.mutable_error()->set_message(
        fmt::format("cancelled after {} of {} cells: {}", entry->job.progress().cells_done(),
                    entry->job.progress().cells_total(), entry->cancel_reason));
    logger_.Info("job cancelled", {{"job_id", job_id}, {"seconds", seconds}});
  } else {
    entry->job.set_state(v1::JOB_STATE_FAILED);
    entry->job.mutable_error()->set_category(CategoryOf(outcome.status()));
    entry->job.mutable_error()->set_message(std::string(outcome.status().message()));
    logger_.Warning("job failed",
                    {{"job_id", job_id}, {"error", std::string(outcome.status().message())}});
  }
  finished_order_.push_back(job_id);
  Touch(*entry);
  EvictFinished();
}

void WorkerJobs::EvictFinished() {
  while (static_cast<int>(jobs_.size()) > options_.max_retained_jobs && !finished_order_.empty()) {
    const std::string id = finished_order_.front();
    finished_order_.pop_front();
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    auto key_it = by_key_.find(it->second->job.client_key());
    if (key_it != by_key_.end() && key_it->second == id) by_key_.erase(key_it);
    jobs_.erase(it);
  }
}

void WorkerJobs::Shutdown() {
  std::vector<StopSource*> running;
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (auto& [id, entry] : jobs_) {
      if (entry->job.state() == v1::JOB_STATE_QUEUED) {
        entry->job.set_state(v1::JOB_STATE_CANCELLED);
        entry->job.mutable_error()->set_category(v1::JobError::CANCELLED);
        entry->job.mutable_error()->set_message("the worker shut down before the job started");
        Touch(*entry);
      } else if (entry->job.state() == v1::JOB_STATE_RUNNING) {
        if (entry->cancel_reason.empty()) entry->cancel_reason = "the worker is shutting down";
        running.push_back(&entry->stop);
      }
    }
    queue_.clear();
    queue_cv_.notify_all();
    changed_.notify_all();
  }
  for (StopSource* stop : running) stop->RequestStop(StopReason::kShutdown);
  for (auto& t : runners_) t.join();
  runners_.clear();
}

}  // namespace haystack::inference_internal
