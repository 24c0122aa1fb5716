#include "haystack/core/json.h"
#include "haystack/output/run_report.h"

namespace haystack {
namespace {

void WriteError(JsonWriter& w, const RunError& e) {
  w.StartObject();
  WriteMember(w, "error_type", e.error_type);
  WriteMember(w, "message", e.message);
  WriteMember(w, "phase", e.phase);
  WriteMember(w, "iteration", e.iteration);
  w.EndObject();
}

}  // namespace

std::string RenderRunLog(const RunReportInput& input) {
  const Run& run = input.run;
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteMember(w, "schema_version", 1);
  WriteMember(w, "generated_at", input.generated_at);
  // Identity, timing and outcome (docs/output.md "log.json").
  WriteMember(w, "run_id", run.run_id);
  WriteMember(w, "user_email", run.user_email);
  w.Key("start_time");
  WriteJson(w, run.start_time);
  w.Key("end_time");
  WriteJson(w, run.end_time);
  WriteMember(w, "status", run.status);
  WriteMember(w, "control_strategy", run.control_strategy);
  w.Key("control_strategy_effective");
  WriteJson(w, run.control_strategy_effective);
  WriteMember(w, "control_cells_available", run.control_cells_available);
  w.Key("config");
  // The stored document as JSON if it parses (it may not: a malformed record is reported, not
  // hidden), else as its text.
  if (auto config = ParseJsonDocument(run.config_json, "config"); config.ok()) {
    WriteJson(w, *config);
  } else {
    WriteJson(w, run.config_json);
  }
  WriteMember(w, "random_seed", run.random_seed);
  w.Key("query");
  w.StartObject();
  WriteMember(w, "raw", run.raw_query);
  w.Key("structured");
  WriteJson(w, run.structured_query);
  w.EndObject();
  w.Key("iterations");
  w.StartArray();
  for (const auto& it : run.iterations) {
    w.StartObject();
    WriteMember(w, "number", it.iteration_number);
    WriteMember(w, "duration_seconds", it.duration_seconds);
    WriteMember(w, "prompt_strategy", it.selected_prompt.strategy);
    WriteMember(w, "grounding_score", CompositeScore(it.grounding_score));
    WriteMember(w, "control_strategy", it.control_strategy);
    WriteMember(w, "phase_seconds", it.phase_seconds);
    WriteMember(w, "inference_backend", it.inference_backend);
    WriteMember(w, "started_at", it.started_at);
    WriteMember(w, "finished_at", it.finished_at);
    w.Key("artifacts");
    w.StartObject();
    WriteMember(w, "prompt", it.prompt_path);
    WriteMember(w, "query_cells", it.query_cells_path);
    WriteMember(w, "prediction", it.prediction_path);
    WriteMember(w, "control_prompt", it.control_prompt_path);
    WriteMember(w, "control_prediction", it.control_prediction_path);
    w.EndObject();
    w.Key("score");
    WriteJson(w, it.grounding_score);
    w.EndObject();
  }
  w.EndArray();
  w.Key("final_score");
  WriteJson(w, run.final_score);
  const IterationRecord* best = BestIteration(run);
  w.Key("best_iteration");
  WriteJson(w, best ? std::optional<int>(best->iteration_number) : std::nullopt);
  w.Key("termination_reason");
  WriteJson(w, run.termination_reason);
  // Additions: errors, phases, unavailable components, outputs, provenance.
  w.Key("error");
  if (run.error) {
    WriteError(w, *run.error);
  } else {
    w.Null();
  }
  w.Key("warnings");
  w.StartArray();
  for (const auto& e : input.warnings) WriteError(w, e);
  w.EndArray();
  w.Key("phases");
  w.StartArray();
  for (const auto& p : input.phases) {
    w.StartObject();
    WriteMember(w, "phase", p.phase);
    WriteMember(w, "iteration", p.iteration);
    WriteMember(w, "started_at", p.started_at);
    WriteMember(w, "finished_at", p.finished_at);
    WriteMember(w, "duration_seconds", absl::ToDoubleSeconds(p.finished_at - p.started_at));
    w.EndObject();
  }
  w.EndArray();
  WriteMember(w, "unavailable_components", input.unavailable_components);
  w.Key("outputs");
  w.StartObject();
  w.Key("anndata");
  WriteJson(w, run.output_anndata_path);
  w.Key("report");
  WriteJson(w, run.output_report_path);
  w.Key("log");
  WriteJson(w, run.output_log_path);
  w.EndObject();
  w.Key("provenance");
  w.StartObject();
  WriteMember(w, "haystack_version", input.provenance.haystack_version);
  WriteMember(w, "knowledge_base", input.provenance.knowledge_base);
  WriteMember(w, "atlas", input.provenance.atlas);
  WriteMember(w, "model_backend", input.provenance.model_backend);
  w.EndObject();
  WriteMember(w, "attempt", run.attempt);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace haystack
