// A whole run in-process on real components: a synthetic atlas (.h5ad), the demo knowledge base
// (SQLite, real GO), an SQLite run store, a local artifact directory, the CPU inference
// baseline and an outbox — the embedded defaults — driven by the job lifecycle (RunJob).
// Inference can be scripted around (to stop, cancel or fail at a chosen iteration).
#ifndef HAYSTACK_TESTS_AGENT_RUN_FIXTURE_H_
#define HAYSTACK_TESTS_AGENT_RUN_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>

#include "haystack/agent/orchestrator_agent.h"
#include "haystack/agent/query_analyzer.h"
#include "haystack/inference/local_icl_backend.h"
#include "haystack/job/run_job.h"
#include "haystack/notify/outbox_notifier.h"
#include "haystack/storage/local_artifact_store.h"
#include "haystack/store/run_store.h"
#include "support/temp_dir.h"

namespace haystack::testing {

// The synthetic atlas shared by the tests of one process (6,000 cells, seed 7).
const CellAtlas& SharedSyntheticAtlas();
// The cells of `atlas` that match any of `filters`, written to `path` and opened.
std::unique_ptr<CellAtlas> SubsetAtlas(const CellAtlas& atlas,
                                       const std::vector<CellFilter>& filters,
                                       const std::string& path);
// The demo knowledge base built by scripts/setup; the test fails if it is missing.
const KnowledgeBase& DemoKnowledgeBase();

// Runs before each inference call; a non-OK status is returned instead of inferring.
using InferenceHook =
    std::function<absl::Status(const InferenceRequest& request, const StopToken& stop)>;

class ScriptedInference final : public InferenceBackend {
 public:
  explicit ScriptedInference(InferenceBackend& real) : real_(real) {}
  absl::StatusOr<InferenceResult> Run(const InferenceRequest& request, const StopToken& stop,
                                      const InferenceProgressCallback& progress) override;
  InferenceHook hook;
  int calls = 0;

 private:
  InferenceBackend& real_;
};

struct RunFixture {
  // A run over `atlas` (the shared synthetic demo atlas by default); the vocabulary and the
  // analyzer are built from it, as the orchestrator builds them.
  explicit RunFixture(const CellAtlas& atlas = SharedSyntheticAtlas());

  // Creates a run as the web API would; returns its id.
  std::string CreateRun(const std::string& query, const std::string& config_json = "{}",
                        ControlStrategy strategy = ControlStrategy::kSyntheticControl);
  // One execution of the batch job.
  JobResult Execute(const std::string& run_id, const StopToken& shutdown = StopToken());
  Run Get(const std::string& run_id);
  // Emails in the outbox for the run.
  std::vector<std::string> Emails(const std::string& run_id) const;

  TempDir dir;
  std::unique_ptr<RunStore> store;
  LocalArtifactStore artifacts;
  LocalIclBackend local_inference;
  ScriptedInference inference;
  std::unique_ptr<AtlasVocabulary> vocabulary;
  std::unique_ptr<QueryAnalyzer> analyzer;
  OutboxNotifier notifier;
  std::unique_ptr<OrchestratorAgent> agent;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_AGENT_RUN_FIXTURE_H_
