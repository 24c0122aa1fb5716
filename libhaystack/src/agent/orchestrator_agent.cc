#include "haystack/agent/orchestrator_agent.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "haystack/agent/control_resolver.h"
#include "haystack/agent/prompt_generator.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "internal/iteration_evaluator.h"
#include "internal/run_artifacts.h"
#include "internal/run_outputs.h"
#include "internal/termination.h"

namespace haystack {
namespace {

using agent_internal::Evaluation;
using agent_internal::EvaluationInputs;
using agent_internal::IterationEvaluator;
using agent_internal::RunArtifacts;

constexpr std::string_view kQueryCellsFile = "query_cells.h5ad";

// A seed for runs that name none: derived from the run id, so that a re-execution draws the
// same cells without having to find it anywhere but the id. Recorded at once.
int64_t SeedFromRunId(std::string_view run_id) {
  return static_cast<int64_t>(StableHash(run_id) & 0x7fffffffffffffffULL);
}

constexpr std::string_view kPredictionsFile = "predictions.h5ad";
constexpr std::string_view kControlPredictionsFile = "control_predictions.h5ad";

agent_internal::IterationScores Scores(const std::vector<IterationRecord>& iterations) {
  agent_internal::IterationScores scores;
  for (const IterationRecord& record : iterations) {
    scores.push_back(CompositeScore(record.grounding_score));
  }
  return scores;
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

std::string ScoreText(std::optional<int> score) {
  return score ? std::to_string(*score) : std::string("unscored");
}

// Logs inference progress on state changes only: callbacks come from backend threads.
class ProgressLog {
 public:
  explicit ProgressLog(const Logger& logger) : logger_(logger) {}
  void operator()(const InferenceProgress& progress) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& last = last_state_[progress.role];
    if (last == progress.state) return;
    last = progress.state;
    logger_.Info("inference", {{"role", std::string(InferenceRoleName(progress.role))},
                               {"state", progress.state},
                               {"cells_done", progress.cells_done},
                               {"cells_total", progress.cells_total}});
  }

 private:
  const Logger& logger_;
  std::mutex mu_;
  std::map<InferenceRole, std::string> last_state_;
};

// One execution of one run: the state the phases share.
class RunLoop {
 public:
  RunLoop(const OrchestratorServices& services, const OrchestratorOptions& options,
          const RunContext& context, RunArtifacts artifacts)
      : services_(services),
        options_(options),
        context_(context),
        logger_(context.logger.With({{"component", "agent"}})),
        artifacts_(std::move(artifacts)),
        config_(context.config),
        controls_(services.atlas),
        generator_(services.atlas, services.knowledge, controls_),
        evaluator_(services.knowledge, services.atlas, options.scoring_threads, logger_),
        history_(context.run.iterations) {
    config_.control_strategy = context.control_strategy;
    std::sort(history_.begin(), history_.end(),
              [](const IterationRecord& a, const IterationRecord& b) {
                return a.iteration_number < b.iteration_number;
              });
  }

  absl::StatusOr<RunOutcome> Execute() {
    HAYSTACK_RETURN_IF_ERROR(CheckHistory());
    HAYSTACK_RETURN_IF_ERROR(AnalyzeQuery());
    std::optional<TerminationReason> reason =
        agent_internal::TerminationAfter(Scores(history_), config_);
    // Only perturbational evaluations test gene sets (docs/scoring.md).
    if (!reason && IsPerturbational(query_.task_type)) evaluator_.PrefetchGeneSets();
    if (!history_.empty()) {
      logger_.Notice("resuming after the recorded iterations",
                     {{"iterations", static_cast<int64_t>(history_.size())}});
    }
    while (!reason) {
      const int iteration = static_cast<int>(history_.size()) + 1;
      absl::StatusOr<bool> ran = RunIteration(iteration);
      if (!ran.ok()) {
        if (context_.stop.reason() == StopReason::kCancelRequested) {
          artifacts_.DiscardIteration(iteration);
        }
        return ran.status();
      }
      reason = *ran ? agent_internal::TerminationAfter(Scores(history_), config_)
                    : TerminationReason::kCandidatesExhausted;
    }
    return GenerateOutputs(*reason);
  }

 private:
  // Recorded iterations must be 1..n: anything else is a record this code did not write.
  absl::Status CheckHistory() const {
    for (size_t i = 0; i < history_.size(); ++i) {
      if (history_[i].iteration_number != static_cast<int>(i) + 1) {
        return MakeError(
            ErrorKind::kDatabase, absl::StatusCode::kDataLoss,
            absl::StrCat("the run record's iterations are not numbered 1..", history_.size(),
                         " (found ", history_[i].iteration_number, " at position ", i + 1,
                         "); the run cannot be resumed from it"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status EnterPhase(RunPhase phase, std::optional<int> iteration) {
    HAYSTACK_RETURN_IF_ERROR(context_.stop.CheckNotStopped());
    RunProgress progress;
    progress.phase = phase;
    progress.iteration = iteration;
    logger_.Info(absl::StrCat("phase ", std::string(EnumName(phase))),
                 {{"phase", std::string(EnumName(phase))}, {"iteration", iteration.value_or(0)}});
    return context_.recorder.UpdateProgress(progress);
  }

  // A degradation the run goes on after: logged, noted in the run's events and reported.
  void Warn(ErrorKind kind, std::string message, RunPhase phase, std::optional<int> iteration) {
    logger_.Warning(message, {{"phase", std::string(EnumName(phase))}});
    context_.recorder.Note("warning", message, phase, iteration).IgnoreError();
    warnings_.push_back(
        RunError{std::string(ErrorKindName(kind)), std::move(message), phase, iteration});
  }

  // ---- query analysis: the structured query, the seed and the query cells.
  absl::Status AnalyzeQuery() {
    const Run& run = context_.run;
    const absl::Time started = services_.clock.Now();
    int64_t seed = run.random_seed ? *run.random_seed
                                   : config_.random_seed.value_or(SeedFromRunId(run.run_id));
    config_.random_seed = seed;
    if (run.structured_query) {
      query_ = *run.structured_query;
      decided_ = run.control_strategy_effective.has_value();
      if (decided_) effective_ = *run.control_strategy_effective;
    } else {
      HAYSTACK_RETURN_IF_ERROR(EnterPhase(RunPhase::kQueryAnalysis, std::nullopt));
      HAYSTACK_ASSIGN_OR_RETURN(query_, services_.analyzer.Analyze(run.raw_query));
      query_.control_strategy = context_.control_strategy;
      for (const std::string& note : query_.notes) {
        context_.recorder.Note("query_analysis", note, RunPhase::kQueryAnalysis).IgnoreError();
      }
    }
    HAYSTACK_ASSIGN_OR_RETURN(QueryCells cells, controls_.SelectQueryCells(query_, config_));
    HAYSTACK_RETURN_IF_ERROR(context_.stop.CheckNotStopped());
    HAYSTACK_ASSIGN_OR_RETURN(query_cells_uri_,
                              artifacts_.PutCells(kQueryCellsFile, services_.atlas, cells.cells));
    query_cell_indices_ = std::move(cells.cells);
    // The query's analysis includes choosing and storing its query cells.
    phases_.push_back({RunPhase::kQueryAnalysis, std::nullopt, started, services_.clock.Now()});
    if (!run.structured_query || !run.random_seed) {
      RunProgress progress;
      progress.structured_query = query_;
      progress.random_seed = seed;
      HAYSTACK_RETURN_IF_ERROR(context_.recorder.UpdateProgress(progress));
      logger_.Notice("query analysed",
                     {{"task_type", std::string(EnumName(query_.task_type))},
                      {"cell_type", query_.cell_type_cl_id.value_or("")},
                      {"perturbation", query_.perturbation_resolved.value_or("")},
                      {"query_cells", static_cast<int64_t>(query_cell_indices_.size())},
                      {"analyzer", query_.analyzer}});
    }
    return absl::OkStatus();
  }

  // The control decision, made once from the first iteration's candidates and recorded.
  absl::Status DecideControls(const std::vector<PromptCandidate>& candidates, int iteration) {
    ControlDecision decision = controls_.Decide(query_, config_, candidates);
    decision.ApplyTo(query_);
    RunProgress progress;
    progress.structured_query = query_;
    progress.control_strategy_effective = decision.effective;
    progress.control_cells_available = decision.control_cells_available;
    HAYSTACK_RETURN_IF_ERROR(context_.recorder.UpdateProgress(progress));
    if (!decision.warning.empty()) {
      Warn(ErrorKind::kRetrieval, decision.warning, RunPhase::kPromptGeneration, iteration);
    }
    decided_ = true;
    effective_ = decision.effective;
    return absl::OkStatus();
  }

  // The candidate to run and the control strategy of this iteration. Under synthetic control
  // the best-ranked candidate with matched controls; when later iterations run out of those,
  // that iteration falls back to query_as_control (recorded per iteration).
  std::pair<PromptCandidate, ControlStrategy> Choose(const std::vector<PromptCandidate>& candidates,
                                                     int iteration) {
    const bool perturbational = IsPerturbational(query_.task_type);
    if (perturbational && effective_ == ControlStrategy::kSyntheticControl) {
      for (const PromptCandidate& c : candidates) {
        if (c.paired_control_indices && !c.paired_control_indices->empty()) {
          return {c, ControlStrategy::kSyntheticControl};
        }
      }
      Warn(ErrorKind::kRetrieval,
           absl::StrCat("iteration ", iteration,
                        ": no remaining candidate has matched controls; this iteration compares "
                        "with the query cells (query_as_control)"),
           RunPhase::kPromptGeneration, iteration);
    }
    PromptCandidate chosen = candidates.front();
    chosen.paired_control_indices.reset();
    chosen.paired_control_metadata.reset();
    return {chosen, perturbational ? ControlStrategy::kQueryAsControl : effective_};
  }

  bool Synthetic(const IterationRecord& record) const {
    return record.control_strategy == ControlStrategy::kSyntheticControl &&
           IsPerturbational(query_.task_type);
  }

  // One iteration: prompt, inference, evaluation, then the checkpoint. False when no untried
  // prompt candidate is left (the loop then ends with what it has).
  absl::StatusOr<bool> RunIteration(int n) {
    IterationRecord record;
    record.iteration_number = n;
    record.started_at = services_.clock.Now();
    HAYSTACK_ASSIGN_OR_RETURN(const bool prompted, GeneratePrompt(n, record));
    if (!prompted) return false;
    HAYSTACK_RETURN_IF_ERROR(Infer(n, record));
    HAYSTACK_RETURN_IF_ERROR(Evaluate(n, record));
    HAYSTACK_RETURN_IF_ERROR(Checkpoint(std::move(record)));
    return true;
  }

  // Ranks the candidates, chooses one and stores its prompt (and control prompt) cells.
  absl::StatusOr<bool> GeneratePrompt(int n, IterationRecord& record) {
    HAYSTACK_RETURN_IF_ERROR(EnterPhase(RunPhase::kPromptGeneration, n));
    HAYSTACK_ASSIGN_OR_RETURN(record.prompt_candidates,
                              generator_.Generate(query_, config_, n, history_));
    if (record.prompt_candidates.empty()) {
      // Later iterations have tried every candidate: the earlier ones are the result.
      if (n > 1) return false;
      return RetrievalError(absl::StrCat("iteration ", n, " found no prompt candidates"));
    }
    if (!decided_) HAYSTACK_RETURN_IF_ERROR(DecideControls(record.prompt_candidates, n));
    auto [selected, strategy] = Choose(record.prompt_candidates, n);
    record.selected_prompt = std::move(selected);
    record.control_strategy = strategy;
    record.query_cells_path = query_cells_uri_;
    HAYSTACK_ASSIGN_OR_RETURN(
        record.prompt_path,
        artifacts_.PutCells(RunArtifacts::IterationFile(n, "prompt.h5ad"), services_.atlas,
                            record.selected_prompt.prompt_cell_indices));
    if (Synthetic(record)) {
      HAYSTACK_ASSIGN_OR_RETURN(
          record.control_prompt_path,
          artifacts_.PutCells(RunArtifacts::IterationFile(n, "control_prompt.h5ad"),
                              services_.atlas, *record.selected_prompt.paired_control_indices));
    }
    record.phase_seconds["prompt_generation"] = Seconds(services_.clock.Now() - *record.started_at);
    return true;
  }

  // One InferenceBackend::Run: the treated job, and the control job under synthetic control.
  absl::Status Infer(int n, IterationRecord& record) {
    const absl::Time started = services_.clock.Now();
    HAYSTACK_RETURN_IF_ERROR(EnterPhase(RunPhase::kInference, n));
    InferenceRequest request;
    request.run_id = context_.run.run_id;
    request.iteration = n;
    request.query_uri = query_cells_uri_;
    request.prompt_uri = record.prompt_path;
    request.output_uri = artifacts_.Uri(RunArtifacts::IterationFile(n, kPredictionsFile));
    if (Synthetic(record)) {
      request.control_prompt_uri = *record.control_prompt_path;
      request.control_output_uri =
          artifacts_.Uri(RunArtifacts::IterationFile(n, kControlPredictionsFile));
    }
    request.parameters.diffusion_steps = config_.diffusion_steps;
    request.parameters.batch_size = config_.batch_size;
    request.parameters.seed = static_cast<uint64_t>(*config_.random_seed) + n;
    request.parameters.extra = options_.inference_extra;
    ProgressLog progress_log(logger_);
    auto inferred = services_.inference.Run(request, context_.stop,
                                            [&](const InferenceProgress& p) { progress_log(p); });
    if (!inferred.ok()) {
      return Annotate(inferred.status(), absl::StrCat("inference of iteration ", n));
    }
    record.prediction_path = inferred->predictions_uri;
    if (Synthetic(record)) record.control_prediction_path = inferred->control_predictions_uri;
    record.inference_backend = inferred->model_version.empty()
                                   ? inferred->backend
                                   : absl::StrCat(inferred->backend, " ", inferred->model_version);
    record.phase_seconds["inference"] = Seconds(services_.clock.Now() - started);
    return absl::OkStatus();
  }

  // Grounding evaluation of the iteration's predictions (docs/scoring.md).
  absl::Status Evaluate(int n, IterationRecord& record) {
    const absl::Time started = services_.clock.Now();
    HAYSTACK_RETURN_IF_ERROR(EnterPhase(RunPhase::kEvaluation, n));
    HAYSTACK_ASSIGN_OR_RETURN(
        AnnData predictions,
        artifacts_.ReadAnnData(RunArtifacts::IterationFile(n, kPredictionsFile)));
    std::optional<AnnData> control_predictions;
    if (Synthetic(record)) {
      HAYSTACK_ASSIGN_OR_RETURN(
          control_predictions,
          artifacts_.ReadAnnData(RunArtifacts::IterationFile(n, kControlPredictionsFile)));
    }
    HAYSTACK_RETURN_IF_ERROR(LoadQueryCells());
    HAYSTACK_ASSIGN_OR_RETURN(
        Evaluation evaluation,
        evaluator_.Evaluate(EvaluationInputs{
            .query = query_,
            .config = config_,
            .control_strategy = record.control_strategy,
            .predictions = predictions,
            .control_predictions = control_predictions ? &*control_predictions : nullptr,
            .query_cells = *query_cells_,
            .query_cell_indices = query_cell_indices_,
            .prompt = record.selected_prompt}));
    for (std::string& warning : evaluation.warnings) {
      Warn(ErrorKind::kEvaluation, std::move(warning), RunPhase::kEvaluation, n);
    }
    record.grounding_score = std::move(evaluation.score);
    const absl::Time finished = services_.clock.Now();
    record.phase_seconds["evaluation"] = Seconds(finished - started);
    record.finished_at = finished;
    record.duration_seconds = Seconds(finished - *record.started_at);
    return absl::OkStatus();
  }

  // From here on a re-execution never redoes this iteration.
  absl::Status Checkpoint(IterationRecord record) {
    HAYSTACK_RETURN_IF_ERROR(context_.recorder.RecordIteration(record));
    logger_.Notice("iteration finished",
                   {{"iteration", record.iteration_number},
                    {"score", ScoreText(CompositeScore(record.grounding_score))},
                    {"strategy", std::string(EnumName(record.selected_prompt.strategy))},
                    {"seconds", record.duration_seconds}});
    history_.push_back(std::move(record));
    return absl::OkStatus();
  }

  absl::Status LoadQueryCells() {
    if (query_cells_) return absl::OkStatus();
    HAYSTACK_ASSIGN_OR_RETURN(query_cells_, artifacts_.ReadAnnData(kQueryCellsFile));
    return absl::OkStatus();
  }

  // ---- output generation from the best iteration.
  absl::StatusOr<RunOutcome> GenerateOutputs(TerminationReason reason) {
    HAYSTACK_RETURN_IF_ERROR(EnterPhase(RunPhase::kOutputGeneration, std::nullopt));
    const absl::Time started = services_.clock.Now();
    const agent_internal::IterationScores scores = Scores(history_);
    const int best = *agent_internal::BestIterationNumber(scores);
    const IterationRecord& best_record = history_[static_cast<size_t>(best - 1)];
    const agent_internal::FinalOutputs planned = agent_internal::PlannedOutputs(artifacts_);

    HAYSTACK_ASSIGN_OR_RETURN(Run final_run, context_.recorder.Reload());
    final_run.status = RunStatus::kCompleted;
    final_run.termination_reason = reason;
    final_run.final_score = scores[static_cast<size_t>(best - 1)];
    final_run.best_iteration = best;
    final_run.output_anndata_path = planned.anndata_uri;
    final_run.output_report_path = planned.report_uri;
    final_run.output_log_path = planned.log_uri;
    final_run.end_time = services_.clock.Now();

    RunReportInput report;
    report.run = std::move(final_run);
    report.score_threshold = config_.score_threshold;
    report.phases = phases_;
    for (const IterationRecord& record : history_) AppendIterationPhases(record, report.phases);
    report.warnings = warnings_;
    for (const ScoreComponent& component : Components(best_record.grounding_score)) {
      if (!component.score) {
        report.unavailable_components.push_back(
            absl::StrCat(component.name, ": ", component.unavailable_reason));
      }
    }
    report.provenance = options_.provenance;
    report.provenance.model_backend = best_record.inference_backend;

    HAYSTACK_ASSIGN_OR_RETURN(
        AnnData best_predictions,
        artifacts_.ReadAnnData(RunArtifacts::IterationFile(best, "predictions.h5ad")));
    // The predictions' rows are the query cells, in order.
    HAYSTACK_ASSIGN_OR_RETURN(
        agent_internal::CellContext context,
        agent_internal::ReadCellContext(services_.atlas, query_cell_indices_));
    HAYSTACK_ASSIGN_OR_RETURN(std::string anndata_uri,
                              agent_internal::WriteOutputAnnData(
                                  artifacts_, report.run, best_predictions, std::move(context)));
    // The phase ends here, so that log.json records it: what follows renders and stores the
    // three small text files, the log among them.
    report.generated_at = services_.clock.Now();
    report.phases.push_back(
        {RunPhase::kOutputGeneration, std::nullopt, started, report.generated_at});
    HAYSTACK_ASSIGN_OR_RETURN(
        agent_internal::FinalOutputs outputs,
        agent_internal::WriteRunReports(artifacts_, report, std::move(anndata_uri)));
    logger_.Notice("outputs written", {{"termination_reason", std::string(EnumName(reason))},
                                       {"best_iteration", best},
                                       {"score", ScoreText(report.run.final_score)},
                                       {"output", outputs.anndata_uri}});
    return RunOutcome{.reason = reason,
                      .final_score = report.run.final_score,
                      .best_iteration = best,
                      .output_anndata_path = outputs.anndata_uri,
                      .output_report_path = outputs.report_uri,
                      .output_log_path = outputs.log_uri};
  }

  static void AppendIterationPhases(const IterationRecord& record,
                                    std::vector<PhaseTiming>& phases) {
    if (!record.started_at) return;
    absl::Time at = *record.started_at;
    for (RunPhase phase :
         {RunPhase::kPromptGeneration, RunPhase::kInference, RunPhase::kEvaluation}) {
      auto seconds = record.phase_seconds.find(std::string(EnumName(phase)));
      if (seconds == record.phase_seconds.end()) continue;
      const absl::Time end = at + absl::Seconds(seconds->second);
      phases.push_back({phase, record.iteration_number, at, end});
      at = end;
    }
  }

  const OrchestratorServices& services_;
  const OrchestratorOptions& options_;
  const RunContext& context_;
  Logger logger_;
  RunArtifacts artifacts_;
  RunConfig config_;
  ControlResolver controls_;
  PromptGenerator generator_;
  IterationEvaluator evaluator_;

  StructuredQuery query_;
  bool decided_ = false;
  ControlStrategy effective_ = ControlStrategy::kSyntheticControl;
  std::string query_cells_uri_;
  std::vector<int64_t> query_cell_indices_;  // atlas rows, the order of every prediction
  std::optional<AnnData> query_cells_;
  std::vector<IterationRecord> history_;
  std::vector<PhaseTiming> phases_;
  std::vector<RunError> warnings_;
};

}  // namespace

OrchestratorAgent::OrchestratorAgent(OrchestratorServices services, OrchestratorOptions options)
    : services_(services), options_(std::move(options)) {
  if (options_.scratch_dir.empty()) {
    options_.scratch_dir = std::filesystem::temp_directory_path();
  }
}

absl::StatusOr<RunOutcome> OrchestratorAgent::Execute(const RunContext& context) {
  HAYSTACK_ASSIGN_OR_RETURN(RunArtifacts artifacts,
                            RunArtifacts::Create(services_.artifacts, context.run.run_id,
                                                 options_.scratch_dir, context.logger));
  RunLoop loop(services_, options_, context, std::move(artifacts));
  return loop.Execute();
}

}  // namespace haystack
