// haystack-atlas: tools for cell atlases.
//   haystack-atlas synth --out atlas.h5ad [--layout demo|cellxgene] [--cells N] [--genes N] ...
//   haystack-atlas info atlas.h5ad [--mapping mapping.json] [--kb knowledge.sqlite]
#include <chrono>
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "haystack/synth/cellxgene_atlas.h"
#include "haystack/synth/curated_vocabulary.h"
#include "haystack/synth/synthetic_atlas.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "haystack-atlas: " << status.message() << "\n";
  return haystack::GetErrorKind(status) == haystack::ErrorKind::kConfiguration ? 2 : 1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Synth(const haystack::synth::SyntheticAtlasOptions& options, const std::string& curated_dir,
          const std::string& out, const haystack::H5adWriteOptions& write_options) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<haystack::synth::CuratedVocabulary> vocabulary =
      haystack::synth::ReadCuratedVocabulary(curated_dir);
  if (!vocabulary.ok()) return Fail(vocabulary.status());
  absl::StatusOr<haystack::AnnData> atlas =
      haystack::synth::GenerateSyntheticAtlas(*vocabulary, options);
  if (!atlas.ok()) return Fail(atlas.status());
  const double generated = Seconds(start);
  if (absl::Status st = haystack::WriteH5ad(*atlas, out, write_options); !st.ok()) return Fail(st);
  const auto& x = std::get<haystack::CsrMatrix>(*atlas->x);
  std::fprintf(stderr,
               "wrote %s: %lld cells x %lld genes, %lld non-zeros (SYNTHETIC; seed %llu); "
               "generated in %.2f s, written in %.2f s\n",
               out.c_str(), static_cast<long long>(atlas->n_obs()),
               static_cast<long long>(atlas->n_vars()), static_cast<long long>(x.nnz()),
               static_cast<unsigned long long>(options.seed), generated,
               Seconds(start) - generated);
  return 0;
}

// The CELLxGENE-layout test atlas; gene symbols from `kb_path` when given (docs/atlas.md).
// Streamed to the file block by block (X never in memory) unless it is compressed.
int SynthCellxgene(const haystack::synth::CellxgeneAtlasOptions& options, int threads,
                   const std::string& kb_path, const std::string& out,
                   const haystack::H5adWriteOptions& write_options) {
  const auto start = std::chrono::steady_clock::now();
  haystack::InMemoryKnowledgeBase empty;
  std::unique_ptr<haystack::KnowledgeBase> opened;
  if (!kb_path.empty()) {
    absl::StatusOr<std::unique_ptr<haystack::SqliteKnowledgeBase>> kb =
        haystack::SqliteKnowledgeBase::Open(kb_path);
    if (!kb.ok()) return Fail(kb.status());
    opened = std::move(*kb);
  }
  const haystack::KnowledgeBase& knowledge = opened ? *opened : empty;
  haystack::synth::CellxgeneWriteSummary summary;
  if (write_options.gzip_level == 0) {
    absl::StatusOr<haystack::synth::CellxgeneWriteSummary> written =
        haystack::synth::WriteCellxgeneAtlas(knowledge, options, out,
                                             {.threads = threads, .write = write_options});
    if (!written.ok()) return Fail(written.status());
    summary = *written;
  } else {
    absl::StatusOr<haystack::AnnData> atlas =
        haystack::synth::GenerateCellxgeneAtlas(knowledge, options);
    if (!atlas.ok()) return Fail(atlas.status());
    if (absl::Status st = haystack::WriteH5ad(*atlas, out, write_options); !st.ok())
      return Fail(st);
    summary = {atlas->n_obs(), atlas->n_vars(), std::get<haystack::CsrMatrix>(*atlas->x).nnz()};
  }
  std::fprintf(stderr,
               "wrote %s: %lld cells x %lld genes, %lld non-zeros, CELLxGENE layout "
               "(SYNTHETIC; seed %llu); generated and written in %.2f s\n",
               out.c_str(), static_cast<long long>(summary.cells),
               static_cast<long long>(summary.genes), static_cast<long long>(summary.non_zeros),
               static_cast<unsigned long long>(options.seed), Seconds(start));
  return 0;
}

// Debian's Abseil keeps its own string_view, which StrJoin's default formatter takes, not std's.
void StringViewFormatter(std::string* out, std::string_view s) { out->append(s); }

int Info(const std::string& path, const std::string& mapping_path, const std::string& kb_path) {
  haystack::H5adAtlasOptions options;
  std::unique_ptr<haystack::SqliteKnowledgeBase> kb;
  if (!kb_path.empty()) {
    absl::StatusOr<std::unique_ptr<haystack::SqliteKnowledgeBase>> opened =
        haystack::SqliteKnowledgeBase::Open(kb_path);
    if (!opened.ok()) return Fail(opened.status());
    kb = std::move(*opened);
    options.ensembl_to_symbol = haystack::EnsemblSymbolLookup(*kb);
  }
  if (!mapping_path.empty()) {
    absl::StatusOr<haystack::AtlasColumnMapping> mapping =
        haystack::AtlasColumnMapping::ReadFile(mapping_path);
    if (!mapping.ok()) return Fail(mapping.status());
    options.mapping = *mapping;
  }
  absl::StatusOr<std::unique_ptr<haystack::CellAtlas>> atlas =
      haystack::OpenH5adAtlas(path, options);
  if (!atlas.ok()) return Fail(atlas.status());
  std::printf("%s: %lld cells, %lld genes\n", path.c_str(),
              static_cast<long long>((*atlas)->num_cells()),
              static_cast<long long>((*atlas)->var().rows()));
  const haystack::AtlasLayout& layout = (*atlas)->layout();
  std::printf("  genes: %s\n  expression: %s\n", layout.gene_symbols.c_str(),
              layout.expression.c_str());
  for (const std::string& note : layout.notes) std::printf("  column %s\n", note.c_str());
  for (haystack::AtlasField field : haystack::kAllAtlasFields) {
    const std::string name(DefaultColumnName(field));
    if (!(*atlas)->HasField(field)) {
      const auto mapped = options.mapping.columns.find(field);
      const std::string looked_for =
          mapped != options.mapping.columns.end()
              ? mapped->second
              : absl::StrJoin(haystack::ColumnCandidates(field), ", ", StringViewFormatter);
      std::printf("  %s: (no column; looked for %s)\n", name.c_str(), looked_for.c_str());
      continue;
    }
    absl::StatusOr<std::vector<haystack::GroupCount>> values = (*atlas)->Values(field);
    if (!values.ok()) return Fail(values.status());
    std::printf("  %s [column %s] (%zu values):", name.c_str(), layout.columns.at(field).c_str(),
                values->size());
    size_t shown = 0;
    for (const auto& v : *values) {
      if (++shown > 12) {
        std::printf(" ...");
        break;
      }
      std::printf(" %s=%lld", v.values[0].c_str(), static_cast<long long>(v.cells));
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"haystack-atlas: generate and inspect HAYSTACK cell atlases (.h5ad)"};
  app.require_subcommand(1);

  haystack::synth::SyntheticAtlasOptions synth;
  haystack::H5adWriteOptions write_options;
  std::string out, curated_dir = HAYSTACK_CURATED_DIR;
  CLI::App* synth_cmd = app.add_subcommand(
      "synth", "Write a deterministic SYNTHETIC demo atlas (curated cell types, perturbations)");
  synth_cmd->add_option("--out,-o", out, "Output .h5ad path")->required();
  synth_cmd->add_option("--cells", synth.cells, "Number of cells")->capture_default_str();
  synth_cmd->add_option("--genes", synth.genes, "Number of genes (0 = all available, ~900)")
      ->capture_default_str();
  synth_cmd->add_option("--donors", synth.donors, "Number of donors")->capture_default_str();
  synth_cmd->add_option("--seed", synth.seed, "Random seed")->capture_default_str();
  synth_cmd->add_option("--library-size", synth.mean_library_size, "Mean counts per cell")
      ->capture_default_str();
  synth_cmd->add_option("--threads", synth.threads, "Generator threads (result is the same)")
      ->capture_default_str();
  synth_cmd->add_option("--dataset", synth.dataset, "Value of the dataset column")
      ->capture_default_str();
  bool no_counts = false;
  synth_cmd->add_flag("--no-counts-layer", no_counts, "Do not store raw counts in layers");
  synth_cmd->add_option("--gzip", write_options.gzip_level, "gzip level 0-9 (0 = none)")
      ->capture_default_str();
  synth_cmd->add_option("--curated-dir", curated_dir, "data/curated directory")
      ->capture_default_str();
  std::string layout = "demo", kb_path;
  haystack::synth::CellxgeneAtlasOptions cxg;
  synth_cmd
      ->add_option("--layout", layout,
                   "demo (the curated demo atlas) or cellxgene (a CELLxGENE-layout test "
                   "atlas: Ensembl ids, 126 cell types, treatments the knowledge base "
                   "does not know)")
      ->check(CLI::IsMember({"demo", "cellxgene"}))
      ->capture_default_str();
  synth_cmd->add_option("--cell-types", cxg.cell_types, "cellxgene: number of cell types")
      ->capture_default_str();
  synth_cmd
      ->add_option("--perturbations", cxg.perturbations,
                   "cellxgene: number of perturbations (>= 12; more are sg<GENE> knockouts)")
      ->capture_default_str();
  synth_cmd->add_option("--nnz-per-cell", cxg.nnz_per_cell, "cellxgene: expressed genes per cell")
      ->capture_default_str();
  bool no_feature_name = false, x_counts = false;
  synth_cmd->add_flag("--no-feature-name", no_feature_name,
                      "cellxgene: leave var.feature_name out (only Ensembl-style ids)");
  synth_cmd->add_flag("--x-counts", x_counts, "cellxgene: X holds raw counts");
  synth_cmd->add_option("--kb", kb_path,
                        "cellxgene: knowledge base whose genes name var (else synthetic names)");

  std::string info_path, mapping_path;
  CLI::App* info_cmd = app.add_subcommand("info", "Summarise an atlas's cells per metadata field");
  info_cmd->add_option("atlas", info_path, ".h5ad atlas")->required();
  info_cmd->add_option("--mapping", mapping_path, "JSON column mapping");
  std::string info_kb_path;
  info_cmd->add_option("--kb", info_kb_path,
                       "knowledge base whose Ensembl map names the genes of a var index of "
                       "Ensembl ids without a symbol column (as the orchestrator does)");

  CLI11_PARSE(app, argc, argv);
  if (*synth_cmd) {
    if (layout == "cellxgene") {
      cxg.cells = synth.cells;
      cxg.donors = synth.donors;
      cxg.seed = synth.seed;
      if (synth.genes > 0) cxg.genes = synth.genes;
      cxg.feature_name = !no_feature_name;
      cxg.x_holds_counts = x_counts;
      return SynthCellxgene(cxg, synth.threads, kb_path, out, write_options);
    }
    synth.counts_layer = !no_counts;
    return Synth(synth, curated_dir, out, write_options);
  }
  return Info(info_path, mapping_path, info_kb_path);
}
