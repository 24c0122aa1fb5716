#include "executor_factory.h"

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/agent/llm_query_analyzer.h"
#include "haystack/agent/orchestrator_agent.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/http/http_client.h"
#include "haystack/inference/open_inference_backend.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "haystack/llm/llm_client.h"
#include "haystack/output/open_artifact_store.h"

namespace haystack::orchestrator {
namespace {

namespace fs = std::filesystem;

// The directory of the running program, for the bundled data files.
fs::path ProgramDirectory() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// The configured file, or the first bundled one that exists.
absl::StatusOr<std::string> DataFile(const Settings& settings, std::string_view key,
                                     std::string_view file_name) {
  if (auto configured = settings.Get(key); configured && !configured->empty()) {
    return *configured;
  }
  const fs::path dir = ProgramDirectory();
  const std::vector<fs::path> bundled = {dir / "../share/haystack" / file_name,
                                         dir / "../../data" / file_name};
  std::vector<std::string> searched;
  for (const fs::path& candidate : bundled) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
    searched.push_back(candidate.lexically_normal().string());
  }
  return ConfigurationError(absl::StrCat(
      std::string(key), " is not set and no bundled ", std::string(file_name),
      " was found (searched ", absl::StrJoin(searched, ", "), "); set ",
      Settings::EnvironmentName(key), " or run scripts/setup, which builds the demo files"));
}

// The agent and everything it borrows, kept alive together.
class ConfiguredAgent final : public RunExecutor {
 public:
  absl::StatusOr<RunOutcome> Execute(const RunContext& context) override {
    return agent->Execute(context);
  }

  std::unique_ptr<CellAtlas> atlas;
  std::unique_ptr<KnowledgeBase> knowledge;
  std::unique_ptr<AtlasVocabulary> vocabulary;
  std::unique_ptr<QueryAnalyzer> rule_analyzer;
  std::unique_ptr<HttpClient> llm_http;
  std::unique_ptr<LlmClient> llm;
  std::unique_ptr<QueryAnalyzer> llm_analyzer;
  std::unique_ptr<InferenceBackend> inference;
  OpenedArtifactStore artifacts;
  std::unique_ptr<OrchestratorAgent> agent;
};

absl::Status OpenLlm(const Settings& settings, const Logger& logger, ConfiguredAgent& agent) {
  const std::string provider_name = settings.GetString("llm_provider", "");
  if (provider_name.empty() || provider_name == "none") return absl::OkStatus();
  auto provider = ParseLlmProvider(provider_name);
  if (!provider.ok()) {
    return ConfigurationError(absl::StrCat("llm_provider (", settings.SourceOf("llm_provider"),
                                           "): ", provider.status().message()));
  }
  LlmClientOptions options;
  options.provider = *provider;
  options.base_url = settings.GetString("llm_base_url", "");
  options.model = settings.GetString("llm_model", "");
  options.api_key = settings.GetString("llm_api_key", "");
  HAYSTACK_ASSIGN_OR_RETURN(options.timeout,
                            settings.GetSeconds("llm_timeout_seconds", absl::Seconds(60)));
  const Logger llm_logger = logger.With({{"component", "llm"}});
  agent.llm_http = std::make_unique<HttpClient>(HttpClientOptions{.total_timeout = options.timeout},
                                                SystemClock(), llm_logger);
  HAYSTACK_ASSIGN_OR_RETURN(agent.llm, MakeLlmClient(options, *agent.llm_http, llm_logger));
  agent.llm_analyzer = std::make_unique<LlmQueryAnalyzer>(
      *agent.llm, *agent.knowledge, *agent.vocabulary, *agent.rule_analyzer, llm_logger);
  return absl::OkStatus();
}

std::string DescribeKnowledgeBase(const KnowledgeBase& kb, const std::string& path) {
  auto sources = kb.Sources();
  if (!sources.ok() || sources->empty()) return path;
  std::vector<std::string> parts;
  for (const SourceVersion& source : *sources) {
    parts.push_back(absl::StrCat(source.source, " ", source.version));
  }
  return absl::StrCat(path, " (", absl::StrJoin(parts, "; "), ")");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunExecutor>> MakeRunExecutor(const Settings& settings,
                                                             const Environment& env,
                                                             const Logger& logger) {
  auto agent = std::make_unique<ConfiguredAgent>();

  HAYSTACK_ASSIGN_OR_RETURN(std::string kb_path,
                            DataFile(settings, "knowledge_base", "knowledge.sqlite"));
  auto knowledge = SqliteKnowledgeBase::Open(kb_path);
  if (!knowledge.ok()) {
    return Annotate(knowledge.status(), absl::StrCat("knowledge_base ", kb_path));
  }
  agent->knowledge = std::move(*knowledge);

  HAYSTACK_ASSIGN_OR_RETURN(std::string atlas_path,
                            DataFile(settings, "atlas_path", "demo-atlas.h5ad"));
  H5adAtlasOptions atlas_options;
  atlas_options.ensembl_to_symbol = EnsemblSymbolLookup(*agent->knowledge);
  if (auto mapping = settings.Get("atlas_column_mapping"); mapping && !mapping->empty()) {
    HAYSTACK_ASSIGN_OR_RETURN(atlas_options.mapping, AtlasColumnMapping::ReadFile(*mapping));
  }
  auto atlas = OpenH5adAtlas(atlas_path, atlas_options);
  if (!atlas.ok()) return Annotate(atlas.status(), absl::StrCat("atlas_path ", atlas_path));
  agent->atlas = std::move(*atlas);

  // The atlas is the vocabulary: built once, before any query is read (docs/agent.md).
  auto vocabulary = AtlasVocabulary::Build(*agent->atlas, *agent->knowledge);
  if (!vocabulary.ok()) {
    return Annotate(vocabulary.status(), absl::StrCat("atlas_path ", atlas_path));
  }
  agent->vocabulary = std::make_unique<AtlasVocabulary>(std::move(*vocabulary));
  agent->rule_analyzer =
      std::make_unique<RuleBasedQueryAnalyzer>(*agent->knowledge, *agent->vocabulary);
  HAYSTACK_RETURN_IF_ERROR(OpenLlm(settings, logger, *agent));

  HAYSTACK_ASSIGN_OR_RETURN(
      agent->inference,
      OpenInferenceBackend(settings, env, logger.With({{"component", "inference"}})));
  HAYSTACK_ASSIGN_OR_RETURN(
      agent->artifacts,
      OpenArtifactStore(settings.GetString("artifact_root", "haystack-results"), env, SystemClock(),
                        logger.With({{"component", "artifacts"}})));

  OrchestratorOptions options;
  options.scratch_dir = settings.GetString("scratch_dir", "");
  HAYSTACK_ASSIGN_OR_RETURN(int64_t threads, settings.GetInt("scoring_threads", 0, 0, 1024));
  options.scoring_threads = static_cast<int>(threads);
  HAYSTACK_ASSIGN_OR_RETURN(double pace, settings.GetDouble("inference_max_cells_per_second", 0));
  if (pace < 0) {
    return ConfigurationError(absl::StrCat("inference_max_cells_per_second (",
                                           settings.SourceOf("inference_max_cells_per_second"),
                                           ") must be >= 0"));
  }
  if (pace > 0) options.inference_extra["max_cells_per_second"] = absl::StrCat(pace);
  options.provenance.haystack_version = HAYSTACK_VERSION;
  options.provenance.knowledge_base = DescribeKnowledgeBase(*agent->knowledge, kb_path);
  options.provenance.atlas = absl::StrCat(agent->atlas->name(), " (", agent->atlas->num_cells(),
                                          " cells, ", agent->atlas->var().rows(), " genes)");

  const QueryAnalyzer& analyzer =
      agent->llm_analyzer ? *agent->llm_analyzer : *agent->rule_analyzer;
  agent->agent =
      std::make_unique<OrchestratorAgent>(OrchestratorServices{.atlas = *agent->atlas,
                                                               .knowledge = *agent->knowledge,
                                                               .analyzer = analyzer,
                                                               .inference = *agent->inference,
                                                               .artifacts = *agent->artifacts.store,
                                                               .clock = SystemClock()},
                                          std::move(options));
  logger.Info("configured the agent",
              {{"atlas", atlas_path},
               {"knowledge_base", kb_path},
               {"artifacts", agent->artifacts.description},
               {"analyzer", agent->llm ? agent->llm->Describe() : "rules"}});
  return agent;
}

}  // namespace haystack::orchestrator
