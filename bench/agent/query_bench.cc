// Query analysis with an atlas's full vocabulary, as the orchestrator does it
// (apps/haystack-orchestrator/executor_factory.cc): open the atlas with the knowledge base's
// Ensembl map, build its AtlasVocabulary, then RuleBasedQueryAnalyzer::Analyze each query.
//   bench_query --atlas F --kb K [--query Q]... [--reps 3]
// Prints one JSON object: the seconds of each step (per query: the fastest of --reps), the
// vocabulary's sizes and peak RSS. bench/agent/scale.py runs it on the 1M-cell atlas.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/agent/query_analyzer.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "bench_query: %s\n", std::string(st.message()).c_str());
  return 1;
}

// A JSON string literal (queries are plain text; quotes and backslashes are escaped).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_query"};
  std::string atlas_path, kb_path;
  std::vector<std::string> queries;
  int reps = 3;
  app.add_option("--atlas", atlas_path)->required();
  app.add_option("--kb", kb_path)->required();
  app.add_option("--query", queries);
  app.add_option("--reps", reps);
  CLI11_PARSE(app, argc, argv);
  if (queries.empty()) {
    queries = {"How would CD14-positive monocytes respond to IFN-gamma?",
               "What happens to alveolar macrophages in the lung after sgIRF1?",
               "Predict the effect of CRISPRi TYK2 on natural killer cells from donor 7 at 24h"};
  }

  auto t = Clock::now();
  auto kb = haystack::SqliteKnowledgeBase::Open(kb_path);
  if (!kb.ok()) return Fail(kb.status());
  const double kb_s = Since(t);
  t = Clock::now();
  haystack::H5adAtlasOptions options;
  options.ensembl_to_symbol = haystack::EnsemblSymbolLookup(**kb);
  auto atlas = haystack::OpenH5adAtlas(atlas_path, options);
  if (!atlas.ok()) return Fail(atlas.status());
  const double open_s = Since(t);
  t = Clock::now();
  auto vocabulary = haystack::AtlasVocabulary::Build(**atlas, **kb);
  if (!vocabulary.ok()) return Fail(vocabulary.status());
  const double vocabulary_s = Since(t);
  haystack::RuleBasedQueryAnalyzer analyzer(**kb, *vocabulary);

  std::vector<std::string> per_query;
  double slowest = 0;
  for (const std::string& q : queries) {
    double best = 1e9;
    std::string outcome;
    for (int r = 0; r < std::max(1, reps); ++r) {
      t = Clock::now();
      auto parsed = analyzer.Analyze(q);
      best = std::min(best, Since(t));
      outcome = parsed.ok() ? "ok" : std::string(parsed.status().message());
    }
    slowest = std::max(slowest, best);
    per_query.push_back(absl::StrCat("{\"query\": ", Quote(q), ", \"seconds\": ", best,
                                     ", \"outcome\": ", Quote(outcome), "}"));
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::printf(
      "{\"kb_open_seconds\": %.4f, \"atlas_open_seconds\": %.4f, \"vocabulary_seconds\": %.4f, "
      "\"slowest_analyze_seconds\": %.4f, \"cell_types\": %zu, \"perturbations\": %zu, "
      "\"donors\": %zu, \"genes\": %lld, \"peak_rss\": %ld, \"queries\": [%s]}\n",
      kb_s, open_s, vocabulary_s, slowest, vocabulary->cell_types().size(),
      vocabulary->perturbations().size(), vocabulary->donors().size(),
      static_cast<long long>((*atlas)->var().rows()), u.ru_maxrss * 1024L,
      absl::StrJoin(per_query, ", ").c_str());
  return 0;
}
