#include "agent/run_fixture.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/core/clock.h"
#include "haystack/core/ids.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "haystack/store/open_run_store.h"
#include "haystack/synth/curated_vocabulary.h"
#include "haystack/synth/synthetic_atlas.h"

namespace haystack::testing {

using synth::GenerateSyntheticAtlas;
using synth::ReadCuratedVocabulary;
const CellAtlas& SharedSyntheticAtlas() {
  static TempDir* dir = new TempDir();
  static const CellAtlas* atlas = [] {
    auto vocabulary = ReadCuratedVocabulary((SourceDir() / "data/curated").string());
    REQUIRE(vocabulary.ok());
    auto data = GenerateSyntheticAtlas(*vocabulary, {.cells = 6000, .seed = 7});
    REQUIRE(data.ok());
    const std::string path = dir->File("synthetic-atlas.h5ad");
    REQUIRE(WriteH5ad(*data, path).ok());
    auto opened = OpenH5adAtlas(path);
    REQUIRE(opened.ok());
    return opened->release();
  }();
  return *atlas;
}

std::unique_ptr<CellAtlas> SubsetAtlas(const CellAtlas& atlas,
                                       const std::vector<CellFilter>& filters,
                                       const std::string& path) {
  std::set<int64_t> cells;
  for (const CellFilter& filter : filters) {
    auto selected = atlas.Select(filter);
    REQUIRE(selected.ok());
    cells.insert(selected->begin(), selected->end());
  }
  const std::vector<int64_t> rows(cells.begin(), cells.end());
  REQUIRE(atlas.WriteSubset(rows, path).ok());
  auto opened = OpenH5adAtlas(path);
  REQUIRE(opened.ok());
  return std::move(*opened);
}

const KnowledgeBase& DemoKnowledgeBase() {
  static const KnowledgeBase* kb = [] {
    auto opened = SqliteKnowledgeBase::Open(HAYSTACK_DEMO_KNOWLEDGE_BASE);
    INFO("the demo knowledge base is built by scripts/setup: " HAYSTACK_DEMO_KNOWLEDGE_BASE);
    REQUIRE(opened.ok());
    return opened->release();
  }();
  return *kb;
}

absl::StatusOr<InferenceResult> ScriptedInference::Run(const InferenceRequest& request,
                                                       const StopToken& stop,
                                                       const InferenceProgressCallback& progress) {
  ++calls;
  if (hook) {
    if (absl::Status scripted = hook(request, stop); !scripted.ok()) return scripted;
  }
  return real_.Run(request, stop, progress);
}

RunFixture::RunFixture(const CellAtlas& atlas)
    : artifacts(dir.File("artifacts")),
      local_inference(IclOptions{.threads = 2}),
      inference(local_inference),
      notifier(OutboxOptions{.directory = dir.File("outbox")}, SystemClock()) {
  auto built = AtlasVocabulary::Build(atlas, DemoKnowledgeBase());
  REQUIRE(built.ok());
  vocabulary = std::make_unique<AtlasVocabulary>(std::move(*built));
  analyzer = std::make_unique<RuleBasedQueryAnalyzer>(DemoKnowledgeBase(), *vocabulary);
  auto opened = OpenRunStore("sqlite://" + dir.File("runs.db"));
  REQUIRE(opened.ok());
  store = std::move(*opened);
  agent = std::make_unique<OrchestratorAgent>(
      OrchestratorServices{.atlas = atlas,
                           .knowledge = DemoKnowledgeBase(),
                           .analyzer = *analyzer,
                           .inference = inference,
                           .artifacts = artifacts,
                           .clock = SystemClock()},
      OrchestratorOptions{.scratch_dir = dir.File("scratch"),
                          .scoring_threads = 2,
                          .provenance = {.haystack_version = "test"}});
}

std::string RunFixture::CreateRun(const std::string& query, const std::string& config_json,
                                  ControlStrategy strategy) {
  Run run;
  run.run_id = NewRunId(absl::Now());
  run.user_email = "ada@example.org";
  run.raw_query = query;
  run.config_json = config_json;
  run.control_strategy = strategy;
  REQUIRE(store->CreateRun(run).ok());
  return run.run_id;
}

JobResult RunFixture::Execute(const std::string& run_id, const StopToken& shutdown) {
  const JobRequest request{.run_id = run_id, .worker_id = NewWorkerId()};
  return RunJob(request, *store, *agent, &notifier, shutdown, Logger::Null(),
                {.lease = absl::Seconds(30),
                 .heartbeat = absl::Seconds(1),
                 .cancellation_poll = absl::Milliseconds(50)});
}

Run RunFixture::Get(const std::string& run_id) {
  auto run = store->GetRun(run_id);
  REQUIRE(run.ok());
  return *run;
}

std::vector<std::string> RunFixture::Emails(const std::string& run_id) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("outbox"), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(run_id, 0) == 0 && entry.path().extension() == ".eml") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace haystack::testing
