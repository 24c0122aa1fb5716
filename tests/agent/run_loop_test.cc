// The run loop end to end on the embedded defaults (synthetic atlas, demo knowledge base, SQLite
// store, local artifacts, CPU baseline, outbox), including stops, resumption and failures.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "agent/run_fixture.h"
#include "agent/test_atlases.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"

namespace haystack::testing {
namespace {

constexpr char kDemoQuery[] = "How would CD14+ monocytes respond to IFN-gamma?";

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const GroundingScore& Perturbational(const IterationRecord& record) {
  REQUIRE(std::holds_alternative<GroundingScore>(record.grounding_score));
  return std::get<GroundingScore>(record.grounding_score);
}

// log.json's output_generation phase ends after output.h5ad was written: the file's mtime
// (the kernel's coarse clock, which lags the real time and never leads it) is not after it.
void CheckOutputPhaseCoversOutputAnnData(const std::string& log_path,
                                         const std::string& anndata_path) {
  auto log = ParseJsonDocument(ReadText(log_path), "log.json");
  REQUIRE(log.ok());
  std::optional<absl::Time> finished;
  for (const auto& phase : (*log)["phases"].GetArray()) {
    if (std::string_view(phase["phase"].GetString()) != "output_generation") continue;
    auto at = ParseTimestamp(phase["finished_at"].GetString());
    REQUIRE(at.ok());
    finished = *at;
  }
  REQUIRE(finished.has_value());
  const auto written = std::filesystem::last_write_time(anndata_path);
  const auto written_at = absl::FromChrono(std::chrono::file_clock::to_sys(written));
  INFO("output.h5ad written at " << absl::FormatTime(written_at) << ", phase finished at "
                                 << absl::FormatTime(*finished));
  CHECK(written_at <= *finished);
}

TEST_CASE("the demo query converges with the interferon-gamma response enriched", "[run]") {
  RunFixture f;
  const std::string id = f.CreateRun(kDemoQuery);
  const JobResult result = f.Execute(id);
  INFO(result.message);
  REQUIRE(result.exit_code == kExitSuccess);

  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  REQUIRE(run.termination_reason == TerminationReason::kConverged);
  REQUIRE(run.final_score.has_value());
  CHECK(*run.final_score >= 7);
  REQUIRE(run.structured_query.has_value());
  CHECK(run.structured_query->cell_type_cl_id == "CL:0001054");
  CHECK(run.structured_query->perturbation_resolved == "IFNG");
  CHECK(run.control_strategy_effective == ControlStrategy::kSyntheticControl);
  CHECK(run.control_cells_available);
  CHECK(run.random_seed.has_value());
  REQUIRE(!run.iterations.empty());
  CHECK(run.grounding_scores.size() == run.iterations.size());

  const IterationRecord& best = run.iterations[static_cast<size_t>(*run.best_iteration - 1)];
  const GroundingScore& score = Perturbational(best);
  CHECK(score.composite_score == *run.final_score);
  std::set<std::string> enriched;
  for (const EnrichedPathway& p : score.enriched_pathways) {
    if (p.adjusted_p_value <= 0.05 && p.direction == "up") enriched.insert(p.set_id);
  }
  CHECK(enriched.count("GO:0034341") == 1);  // response to interferon-gamma
  CHECK(std::find(score.de_genes_up.begin(), score.de_genes_up.end(), "STAT1") !=
        score.de_genes_up.end());
  CHECK(best.selected_prompt.strategy == PromptStrategyKind::kDirect);
  CHECK(best.inference_backend.find("cpu-icl-baseline") != std::string::npos);

  // Every artifact the record names exists; the output is the best iteration's predictions.
  for (const std::string& path : {best.prompt_path, best.query_cells_path, best.prediction_path,
                                  *best.control_prompt_path, *best.control_prediction_path}) {
    CHECK(Exists(path));
  }
  REQUIRE(run.output_anndata_path.has_value());
  auto output = ReadH5ad(*run.output_anndata_path);
  REQUIRE(output.ok());
  auto predictions = ReadH5ad(best.prediction_path);
  REQUIRE(predictions.ok());
  CHECK(output->x == predictions->x);
  CHECK(output->obs.index == predictions->obs.index);
  // Per-cell context comes from the atlas (through its column mapping), cell by cell.
  const DataFrameColumn* donors = output->obs.Find("donor_id");
  const DataFrameColumn* source = predictions->obs.Find("donor_id");
  REQUIRE(donors != nullptr);
  REQUIRE(source != nullptr);
  const auto& out_donors = std::get<Categorical>(donors->values);
  const auto& in_donors = std::get<Categorical>(source->values);
  REQUIRE(out_donors.codes.size() == in_donors.codes.size());
  for (size_t i = 0; i < out_donors.codes.size(); ++i) {
    CHECK(out_donors.ValueAt(i) == in_donors.ValueAt(i));
  }
  CHECK(output->obs.Find("tissue") != nullptr);
  CHECK(output->obs.Find("disease") != nullptr);
  const UnsValue* haystack = output->uns.count("haystack") ? &output->uns.at("haystack") : nullptr;
  REQUIRE(haystack != nullptr);
  CHECK(haystack->Find("run_id")->as<std::string>() == id);
  CHECK_THAT(ReadText(*run.output_report_path), Catch::Contains("interferon"));
  CHECK_THAT(ReadText(*run.output_log_path),
             Catch::Contains("\"termination_reason\":\"converged\""));
  CHECK(Exists(std::filesystem::path(*run.output_report_path).replace_extension(".html")));
  CheckOutputPhaseCoversOutputAnnData(*run.output_log_path, *run.output_anndata_path);

  CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_completed.eml"});
  // A re-execution of the finished run changes nothing and sends nothing.
  const JobResult again = f.Execute(id);
  CHECK(again.exit_code == kExitSuccess);
  CHECK(f.Get(id) == run);
  CHECK(f.Emails(id).size() == 1);
}

TEST_CASE("scores below the threshold run to max_iterations and keep the best iteration", "[run]") {
  RunFixture f;
  const std::string id = f.CreateRun(kDemoQuery, R"({"max_iterations": 2, "score_threshold": 10,
                                  "plateau_window": 3})");
  REQUIRE(f.Execute(id).exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.termination_reason == TerminationReason::kMaxIterations);
  REQUIRE(run.iterations.size() == 2);
  // The second iteration tried another prompt.
  CHECK(run.iterations[0].selected_prompt.selection != run.iterations[1].selected_prompt.selection);
  const int best = run.grounding_scores[0] >= run.grounding_scores[1] ? 1 : 2;
  CHECK(run.best_iteration == best);
  CHECK(run.final_score == run.grounding_scores[static_cast<size_t>(best - 1)]);
  auto output = ReadH5ad(*run.output_anndata_path);
  REQUIRE(output.ok());
  CHECK(output->x == ReadH5ad(run.iterations[static_cast<size_t>(best - 1)].prediction_path)->x);
}

TEST_CASE("query_as_control compares with the query cells and carries the penalty", "[run]") {
  RunFixture f;
  const std::string id =
      f.CreateRun(kDemoQuery, R"({"max_iterations": 1})", ControlStrategy::kQueryAsControl);
  REQUIRE(f.Execute(id).exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.control_strategy_effective == ControlStrategy::kQueryAsControl);
  REQUIRE(run.iterations.size() == 1);
  const IterationRecord& it = run.iterations[0];
  CHECK(!it.control_prompt_path.has_value());
  CHECK(!it.control_prediction_path.has_value());
  const GroundingScore& score = Perturbational(it);
  CHECK(score.confidence_penalty == 0.5);
  REQUIRE(score.de_summary.has_value());
  CHECK(score.de_summary->control_source == "query_cells");
}

TEST_CASE(
    "a SIGTERM during inference exits 75, the next execution resumes without redoing "
    "finished iterations or emailing twice",
    "[run][resume]") {
  RunFixture f;
  const std::string id = f.CreateRun(kDemoQuery, R"({"max_iterations": 3, "score_threshold": 10})");
  StopSource shutdown;
  f.inference.hook = [&](const InferenceRequest& request, const StopToken& stop) {
    if (request.iteration == 2) {
      shutdown.RequestStop(StopReason::kShutdown);
      stop.WaitFor(absl::Seconds(5));
      return stop.CheckNotStopped();
    }
    return absl::OkStatus();
  };
  const JobResult stopped = f.Execute(id, shutdown.token());
  CHECK(stopped.exit_code == kExitTransient);
  const Run interrupted = f.Get(id);
  CHECK(interrupted.status == RunStatus::kRunning);
  REQUIRE(interrupted.iterations.size() == 1);
  CHECK(interrupted.current_phase == RunPhase::kInference);
  CHECK(f.Emails(id).empty());

  f.inference.hook = nullptr;
  const int calls_before = f.inference.calls;
  const JobResult resumed = f.Execute(id);
  INFO(resumed.message);
  REQUIRE(resumed.exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  REQUIRE(run.iterations.size() == 3);
  CHECK(run.iterations[0] == interrupted.iterations[0]);  // not redone
  CHECK(f.inference.calls - calls_before == 2);           // iterations 2 and 3 only
  CHECK(run.attempt == 2);
  CHECK(run.structured_query == interrupted.structured_query);
  CHECK(f.Emails(id).size() == 1);
}

TEST_CASE("cancellation during inference cancels the run and removes the iteration's files",
          "[run][cancel]") {
  RunFixture f;
  const std::string id = f.CreateRun(kDemoQuery);
  std::string iteration_dir;
  f.inference.hook = [&](const InferenceRequest& request, const StopToken& stop) {
    iteration_dir = std::filesystem::path(request.prompt_uri).parent_path().string();
    CHECK(Exists(request.prompt_uri));
    REQUIRE(f.store->RequestCancellation(request.run_id).ok());
    const absl::Time asked = absl::Now();
    CHECK(stop.WaitFor(absl::Seconds(10)));  // the watcher notices
    CHECK(absl::Now() - asked < absl::Seconds(2));
    return stop.CheckNotStopped();
  };
  const JobResult result = f.Execute(id);
  CHECK(result.exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCancelled);
  CHECK(run.termination_reason == TerminationReason::kCancelled);
  CHECK(run.end_time.has_value());
  CHECK(run.iterations.empty());
  CHECK(!iteration_dir.empty());
  CHECK(!Exists(iteration_dir));
  CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_cancelled.eml"});
}

TEST_CASE("an inference failure fails the run, classified, with its phase and iteration",
          "[run][errors]") {
  RunFixture f;
  const std::string id = f.CreateRun(kDemoQuery);
  f.inference.hook = [](const InferenceRequest&, const StopToken&) {
    return InferenceError("worker reported: CUDA out of memory");
  };
  const JobResult result = f.Execute(id);
  CHECK(result.exit_code == kExitRunFailed);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kFailed);
  CHECK(run.termination_reason == TerminationReason::kError);
  REQUIRE(run.error.has_value());
  CHECK(run.error->error_type == "InferenceError");
  CHECK_THAT(run.error->message, Catch::Contains("CUDA out of memory"));
  CHECK(run.error->phase == RunPhase::kInference);
  CHECK(run.error->iteration == 1);
  CHECK(run.structured_query.has_value());  // what was done is kept
  CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_failed.eml"});
}

TEST_CASE("queries the atlas cannot serve fail with classified errors", "[run][errors]") {
  struct Case {
    std::string query;
    std::string error_type;
    std::string phrase;
  };
  const std::vector<Case> cases = {
      // Neither the atlas nor the knowledge base knows them.
      {"How would macrophages respond to IFN-gamma?", "EntityResolutionError", "\"macrophages\""},
      {"How would hepatocytes respond to IFN-gamma?", "EntityResolutionError", "no cell type"},
      {"asdf qwerty zxcv uiop", "QueryParsingError", "names no cell type"},
      {"How would CD14+ monocytes respond to aspirin?", "EntityResolutionError", "\"aspirin\""},
  };
  RunFixture f;
  for (const Case& c : cases) {
    const std::string id = f.CreateRun(c.query);
    const JobResult result = f.Execute(id);
    INFO(c.query << " → " << result.message);
    CHECK(result.exit_code == kExitRunFailed);
    const Run run = f.Get(id);
    CHECK(run.status == RunStatus::kFailed);
    REQUIRE(run.error.has_value());
    CHECK(run.error->error_type == c.error_type);
    CHECK_THAT(run.error->message, Catch::Contains(c.phrase));
    CHECK(run.error->phase == RunPhase::kQueryAnalysis);
    CHECK(run.iterations.empty());
    CHECK(f.Emails(id) == std::vector<std::string>{id + ".run_failed.eml"});
  }
}

// The atlas is the vocabulary: a scientist's own CELLxGENE-layout atlas, a treatment the
// bundled knowledge base has never heard of, controls flagged only by is_control.
TEST_CASE("a perturbation the knowledge base does not know runs on a CELLxGENE-layout atlas",
          "[run]") {
  RunFixture f(CellxgeneAtlas());
  const std::string id =
      f.CreateRun("How would CD14+ monocytes respond to LPS?", R"({"max_iterations": 2})");
  const JobResult result = f.Execute(id);
  INFO(result.message);
  REQUIRE(result.exit_code == kExitSuccess);
  const Run run = f.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  REQUIRE(run.structured_query.has_value());
  CHECK(run.structured_query->perturbation_resolved == "LPS");
  CHECK(run.structured_query->expected_targets.empty());
  // Controls come from is_control ("mock", "sgNT"), not from PBS/DMSO names.
  CHECK(run.control_strategy_effective == ControlStrategy::kSyntheticControl);
  CHECK(run.control_cells_available);
  REQUIRE(!run.iterations.empty());
  const GroundingScore& score = Perturbational(run.iterations.front());
  // The components that need prior knowledge of the perturbation are unavailable, with the
  // reason; the data-driven ones still score.
  REQUIRE(run.output_report_path.has_value());
  const std::string report = ReadText(*run.output_report_path);
  INFO(report);
  CHECK_THAT(report, Catch::Contains("Components Unavailable"));
  CHECK_THAT(report, Catch::Contains("LPS"));
  // How the question was read is stated: the unknown treatment and the pooled time points.
  CHECK_THAT(report, Catch::Contains("does not know the perturbation LPS"));
  CHECK_THAT(report, Catch::Contains("no time point named"));
  CHECK(score.composite_score >= 1);
  if (std::getenv("HAYSTACK_PRINT_REPORT") != nullptr) WARN(report);
}

}  // namespace
}  // namespace haystack::testing
