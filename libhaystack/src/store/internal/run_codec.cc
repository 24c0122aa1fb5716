#include "internal/run_codec.h"

#include "fmt/format.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"

namespace haystack::store_internal {
namespace {

// Collects decoding problems for one row.
class RowDecoder {
 public:
  RowDecoder(const SqlResult& result, size_t row, std::vector<std::string>* problems)
      : result_(result), row_(row), problems_(problems) {}

  std::optional<std::string> Text(std::string_view column) const {
    if (!result_.HasColumn(column)) return std::nullopt;
    return result_.Get(row_, column);
  }

  // `Out` is E or std::optional<E>.
  template <class E, class Out>
  void EnumInto(std::string_view column, Out* out) {
    auto text = Text(column);
    if (!text) return;
    auto parsed = ParseEnum<E>(*text);
    if (parsed.ok()) {
      *out = *parsed;
    } else {
      Problem(column, fmt::format("unknown value '{}'", QuoteForMessage(*text, 40)));
    }
  }
  template <class E>
  void Enum(std::string_view column, E* out) {
    EnumInto<E>(column, out);
  }
  template <class E>
  void Enum(std::string_view column, std::optional<E>* out) {
    EnumInto<E>(column, out);
  }

  void Int(std::string_view column, int* out) {
    if (auto text = Text(column)) {
      try {
        *out = std::stoi(*text);
      } catch (...) {
        Problem(column, "not an integer");
      }
    }
  }
  void Int(std::string_view column, std::optional<int>* out) {
    if (auto text = Text(column)) {
      int value = 0;
      Int(column, &value);
      *out = value;
    }
  }
  void Int64(std::string_view column, std::optional<int64_t>* out) {
    if (auto text = Text(column)) {
      try {
        *out = std::stoll(*text);
      } catch (...) {
        Problem(column, "not an integer");
      }
    }
  }
  void Time(std::string_view column, std::optional<absl::Time>* out) {
    if (auto text = Text(column)) {
      auto t = ParseSqlTimestamp(*text);
      if (t.ok()) {
        *out = *t;
      } else {
        Problem(column, "unreadable timestamp");
      }
    }
  }
  void Time(std::string_view column, absl::Time* out) {
    std::optional<absl::Time> t;
    Time(column, &t);
    if (t) *out = *t;
  }
  template <class T>
  void Json(std::string_view column, T* out) {
    auto text = Text(column);
    if (!text) return;
    auto parsed = FromJson<T>(*text, column, ErrorKind::kDatabase);
    if (parsed.ok()) {
      *out = std::move(*parsed);
    } else {
      Problem(column, std::string(parsed.status().message()));
    }
  }

  void Problem(std::string_view column, std::string_view what) {
    problems_->push_back(fmt::format("{}: {}", column, what));
  }

 private:
  const SqlResult& result_;
  size_t row_;
  std::vector<std::string>* problems_;
};

}  // namespace

Run DecodeRun(const SqlResult& result, size_t row) {
  Run run;
  RowDecoder d(result, row, &run.invalid_fields);
  run.run_id = d.Text("run_id").value_or("");
  run.user_email = d.Text("user_email").value_or("");
  d.Enum("status", &run.status);
  run.raw_query = d.Text("raw_query").value_or("");
  run.config_json = d.Text("config").value_or("{}");
  d.Enum("control_strategy", &run.control_strategy);
  d.Enum("control_strategy_effective", &run.control_strategy_effective);
  run.control_cells_available = ParseSqlBool(d.Text("control_cells_available"));
  if (d.Text("structured_query")) {
    StructuredQuery query;
    d.Json("structured_query", &query);
    run.structured_query = std::move(query);
  }
  d.Int64("random_seed", &run.random_seed);
  d.Enum("current_phase", &run.current_phase);
  d.Int("current_iteration", &run.current_iteration);
  d.Json("iterations", &run.iterations);
  d.Json("grounding_scores", &run.grounding_scores);
  d.Int("final_score", &run.final_score);
  d.Int("best_iteration", &run.best_iteration);
  d.Enum("termination_reason", &run.termination_reason);
  if (auto type = d.Text("error_type")) {
    RunError error;
    error.error_type = *type;
    error.message = d.Text("error_message").value_or("");
    d.Enum("error_phase", &error.phase);
    d.Int("error_iteration", &error.iteration);
    run.error = std::move(error);
  }
  run.output_anndata_path = d.Text("output_anndata_path");
  run.output_report_path = d.Text("output_report_path");
  run.output_log_path = d.Text("output_log_path");
  d.Int("attempt", &run.attempt);
  run.lease_owner = d.Text("lease_owner");
  d.Time("lease_expires_at", &run.lease_expires_at);
  d.Time("cancel_requested_at", &run.cancel_requested_at);
  d.Time("start_time", &run.start_time);
  d.Time("end_time", &run.end_time);
  d.Time("created_at", &run.created_at);
  d.Time("updated_at", &run.updated_at);
  return run;
}

NotificationRecord DecodeNotification(const SqlResult& result, size_t row) {
  NotificationRecord n;
  std::vector<std::string> ignored;
  RowDecoder d(result, row, &ignored);
  n.run_id = d.Text("run_id").value_or("");
  d.Enum("kind", &n.kind);
  d.Enum("status", &n.status);
  n.recipient = d.Text("recipient").value_or("");
  d.Int("attempts", &n.attempts);
  n.provider = d.Text("provider").value_or("");
  n.provider_message_id = d.Text("provider_message_id").value_or("");
  n.last_error = d.Text("last_error").value_or("");
  d.Time("created_at", &n.created_at);
  d.Time("updated_at", &n.updated_at);
  d.Time("sent_at", &n.sent_at);
  n.claimed_by = d.Text("claimed_by").value_or("");
  d.Time("claim_expires_at", &n.claim_expires_at);
  return n;
}

RunEvent DecodeEvent(const SqlResult& result, size_t row) {
  RunEvent e;
  std::vector<std::string> ignored;
  RowDecoder d(result, row, &ignored);
  std::optional<int64_t> id;
  d.Int64("id", &id);
  e.id = id.value_or(0);
  e.run_id = d.Text("run_id").value_or("");
  d.Time("at", &e.at);
  d.Int("attempt", &e.attempt);
  e.kind = d.Text("kind").value_or("");
  d.Enum("phase", &e.phase);
  d.Int("iteration", &e.iteration);
  e.message = d.Text("message").value_or("");
  e.request_id = d.Text("request_id").value_or("");
  return e;
}

}  // namespace haystack::store_internal
