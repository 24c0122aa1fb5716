// Hot-path lookups of SqliteKnowledgeBase on the demo knowledge base (scripts/setup builds
// build/data/knowledge.sqlite): gene → sets, set members, a collection for enrichment,
// ontology neighbours, entity resolution and co-citation for 200 genes.
//   bench_knowledge [--kb PATH] [benchmark flags]   (default $HAYSTACK_KNOWLEDGE_BASE, then
//   build/data/knowledge.sqlite)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "haystack/knowledge/sqlite_knowledge_base.h"

namespace {

haystack::SqliteKnowledgeBase* g_kb = nullptr;
std::vector<std::string> g_genes;  // 200 genes for co-citation

// The first 200 members of "immune response" (GO:0006955), sorted by symbol.
std::vector<std::string> TwoHundredGenes() {
  auto set = g_kb->GetGeneSet("GO:0006955");
  std::vector<std::string> genes = set.ok() && set->has_value() ? (*set)->genes
                                                                : std::vector<std::string>{};
  if (genes.size() > 200) genes.resize(200);
  return genes;
}

template <class T>
void Require(const absl::StatusOr<T>& result, benchmark::State& state) {
  if (!result.ok()) state.SkipWithError(std::string(result.status().message()).c_str());
}

void BM_GeneSetsContaining(benchmark::State& state) {
  for (auto _ : state) {
    auto ids = g_kb->GeneSetsContaining("STAT1");
    Require(ids, state);
    benchmark::DoNotOptimize(ids);
  }
}
BENCHMARK(BM_GeneSetsContaining)->Unit(benchmark::kMicrosecond);

void BM_GetGeneSet(benchmark::State& state) {
  for (auto _ : state) {
    auto set = g_kb->GetGeneSet("GO:0034341");
    Require(set, state);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_GetGeneSet)->Unit(benchmark::kMicrosecond);

void BM_GeneSetsForEnrichment(benchmark::State& state) {
  for (auto _ : state) {
    auto sets = g_kb->GeneSets("GO_BP", 15, 500);
    Require(sets, state);
    benchmark::DoNotOptimize(sets);
  }
}
BENCHMARK(BM_GeneSetsForEnrichment)->Unit(benchmark::kMillisecond);

void BM_NeighborsCellType(benchmark::State& state) {
  for (auto _ : state) {
    auto n = g_kb->Neighbors("CL:0001054", 2);
    Require(n, state);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_NeighborsCellType)->Unit(benchmark::kMicrosecond);

void BM_NeighborsGo(benchmark::State& state) {
  for (auto _ : state) {
    auto n = g_kb->Neighbors("GO:0034341", 2);
    Require(n, state);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_NeighborsGo)->Unit(benchmark::kMicrosecond);

void BM_ResolveCellType(benchmark::State& state) {
  for (auto _ : state) {
    auto m = g_kb->Resolve(haystack::EntityKind::kCellType, "CD14+ monocytes", 5);
    Require(m, state);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_ResolveCellType)->Unit(benchmark::kMicrosecond);

void BM_ResolveGene(benchmark::State& state) {
  for (auto _ : state) {
    auto m = g_kb->Resolve(haystack::EntityKind::kGene, "stat91", 5);
    Require(m, state);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_ResolveGene)->Unit(benchmark::kMicrosecond);

void BM_CoCitation200Genes(benchmark::State& state) {
  const std::vector<std::string> targets = {"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"};
  for (auto _ : state) {
    auto c = g_kb->CoCitations(targets, g_genes);
    Require(c, state);
    benchmark::DoNotOptimize(c);
  }
  state.counters["genes"] = static_cast<double>(g_genes.size());
}
BENCHMARK(BM_CoCitation200Genes)->Unit(benchmark::kMillisecond);

// The first Network() call builds the GO co-annotation proxy; later calls share it.
void BM_NetworkFirstBuild(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const char* path = std::getenv("HAYSTACK_BENCH_KB_PATH");
    auto fresh = haystack::SqliteKnowledgeBase::Open(path);
    Require(fresh, state);
    state.ResumeTiming();
    if (!fresh.ok()) break;
    auto network = (*fresh)->Network();
    Require(network, state);
    benchmark::DoNotOptimize(network);
  }
}
BENCHMARK(BM_NetworkFirstBuild)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  if (const char* env = std::getenv("HAYSTACK_KNOWLEDGE_BASE"); env != nullptr) path = env;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--kb") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (path.empty()) path = "build/data/knowledge.sqlite";
  setenv("HAYSTACK_BENCH_KB_PATH", path.c_str(), 1);
  auto kb = haystack::SqliteKnowledgeBase::Open(path);
  if (!kb.ok()) {
    std::cerr << "bench_knowledge: " << kb.status().message() << " (build it: scripts/setup)\n";
    return 1;
  }
  g_kb = kb->get();
  g_genes = TwoHundredGenes();
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
