// OrchestratorAgent: the run itself (docs/agent.md "The run loop").
//
//   query analysis    → the structured query (rule-based or LLM-assisted), the run's seed and
//                       the query cells, checkpointed in the run record;
//   per iteration n   → prompt generation (ranked candidates; on the first iteration the
//                       control decision, with its fallback to query_as_control), the prompt
//                       and control prompt as .h5ad artifacts, inference, grounding evaluation,
//                       then the IterationRecord checkpointed;
//   termination       → converged, plateau, max_iterations or unscored (agent_internal
//                       TerminationAfter), or candidates_exhausted when prompt generation finds
//                       nothing untried; a low score never fails a run;
//   output generation → output.h5ad, report.md, report.html and log.json from the best
//                       iteration (ties → the earlier one).
//
// Resuming: the agent continues from what the record holds. A recorded structured query is not
// analysed again, a recorded control decision is kept, recorded iterations are never redone;
// the next unfinished step is redone from its recorded inputs (the same seed gives the same
// candidates, cells and predictions). Stops (cancellation, SIGTERM) are honoured before every
// phase and inside inference; a cancelled iteration's files are removed.
#ifndef HAYSTACK_AGENT_ORCHESTRATOR_AGENT_H_
#define HAYSTACK_AGENT_ORCHESTRATOR_AGENT_H_

#include <filesystem>
#include <map>
#include <string>

#include "haystack/agent/query_analyzer.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/clock.h"
#include "haystack/inference/inference_backend.h"
#include "haystack/job/run_executor.h"
#include "haystack/knowledge/knowledge_base.h"
#include "haystack/output/run_report.h"
#include "haystack/storage/artifact_store.h"

namespace haystack {

// What a run uses; every reference must outlive the agent. The agent keeps no state between
// runs, but the services are used from one run at a time.
struct OrchestratorServices {
  const CellAtlas& atlas;
  const KnowledgeBase& knowledge;
  const QueryAnalyzer& analyzer;
  InferenceBackend& inference;
  ArtifactStore& artifacts;
  const Clock& clock;
};

struct OrchestratorOptions {
  // Where files are encoded before they are stored (default: the system temp directory).
  std::filesystem::path scratch_dir;
  int scoring_threads = 0;  // DE threads, 0 = all cores
  // Backend-specific options passed with every inference (InferenceParameters::extra), e.g.
  // the CPU baseline's {"max_cells_per_second": "500"} to pace a demo or a fault drill.
  std::map<std::string, std::string> inference_extra;
  // Versions recorded in the report and log; model_backend is completed from the backend's
  // own description of each inference.
  Provenance provenance;
};

class OrchestratorAgent final : public RunExecutor {
 public:
  OrchestratorAgent(OrchestratorServices services, OrchestratorOptions options);

  // Errors carry their kind (QueryParsingError, EntityResolutionError, RetrievalError,
  // InferenceError, EvaluationError, StorageError, …); the lifecycle records them with the
  // phase and iteration the record shows.
  absl::StatusOr<RunOutcome> Execute(const RunContext& context) override;

 private:
  OrchestratorServices services_;
  OrchestratorOptions options_;
};

}  // namespace haystack

#endif  // HAYSTACK_AGENT_ORCHESTRATOR_AGENT_H_
