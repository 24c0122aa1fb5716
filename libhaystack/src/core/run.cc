#include "haystack/core/run.h"

#include "fmt/format.h"
#include "haystack/core/json.h"

namespace haystack {

bool IsFinalized(const Run& run) {
  return IsTerminal(run.status) && run.termination_reason.has_value();
}

bool IsCancellationRequested(const Run& run) {
  return run.cancel_requested_at.has_value() || run.status == RunStatus::kCancelled;
}

absl::StatusOr<RunConfig> ParseRunConfig(std::string_view config_json) {
  if (config_json.empty()) return RunConfig{};
  HAYSTACK_ASSIGN_OR_RETURN(auto config, FromJson<RunConfig>(config_json, "config"));
  HAYSTACK_RETURN_IF_ERROR(Validate(config));
  return config;
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, Run* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("run_id", &out->run_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("user_email", &out->user_email));
  HAYSTACK_RETURN_IF_ERROR(r.Required("status", &out->status));
  HAYSTACK_RETURN_IF_ERROR(r.Required("raw_query", &out->raw_query));
  // The config is kept as text (see Run::config_json); an embedded object is re-serialised.
  if (auto it = v.FindMember("config"); it != v.MemberEnd() && !it->value.IsNull()) {
    if (it->value.IsString()) {
      out->config_json.assign(it->value.GetString(), it->value.GetStringLength());
    } else {
      rapidjson::StringBuffer buffer;
      JsonWriter writer(buffer);
      WriteJson(writer, it->value);
      out->config_json.assign(buffer.GetString(), buffer.GetSize());
    }
  }
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_strategy", &out->control_strategy));
  HAYSTACK_RETURN_IF_ERROR(
      r.Optional("control_strategy_effective", &out->control_strategy_effective));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_cells_available", &out->control_cells_available));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("structured_query", &out->structured_query));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("random_seed", &out->random_seed));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("current_phase", &out->current_phase));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("current_iteration", &out->current_iteration));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("iterations", &out->iterations));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("grounding_scores", &out->grounding_scores));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("final_score", &out->final_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("best_iteration", &out->best_iteration));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("termination_reason", &out->termination_reason));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("error", &out->error));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("output_anndata_path", &out->output_anndata_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("output_report_path", &out->output_report_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("output_log_path", &out->output_log_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("attempt", &out->attempt));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("lease_owner", &out->lease_owner));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("lease_expires_at", &out->lease_expires_at));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cancel_requested_at", &out->cancel_requested_at));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("start_time", &out->start_time));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("end_time", &out->end_time));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("created_at", &out->created_at));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("updated_at", &out->updated_at));
  return absl::OkStatus();
}

}  // namespace haystack
