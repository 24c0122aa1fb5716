// haystack-atlas: tools for cell atlases.
//   haystack-atlas synth --out atlas.h5ad [--cells N] [--genes N] [--donors N] [--seed S] ...
//   haystack-atlas info atlas.h5ad [--mapping mapping.json]
#include <chrono>
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "haystack/atlas/curated.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/atlas/synthetic_atlas.h"
#include "haystack/core/error.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "haystack-atlas: " << status.message() << "\n";
  return haystack::GetErrorKind(status) == haystack::ErrorKind::kConfiguration ? 2 : 1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Synth(const haystack::SyntheticAtlasOptions& options, const std::string& curated_dir,
          const std::string& out, const haystack::H5adWriteOptions& write_options) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<haystack::CuratedVocabulary> vocabulary =
      haystack::ReadCuratedVocabulary(curated_dir);
  if (!vocabulary.ok()) return Fail(vocabulary.status());
  absl::StatusOr<haystack::AnnData> atlas = haystack::GenerateSyntheticAtlas(*vocabulary, options);
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

int Info(const std::string& path, const std::string& mapping_path) {
  haystack::H5adAtlasOptions options;
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
  for (haystack::AtlasField field : haystack::kAllAtlasFields) {
    const std::string column = options.mapping.ColumnFor(field);
    if (!(*atlas)->HasField(field)) {
      std::printf("  %s: (no column '%s')\n", std::string(DefaultColumnName(field)).c_str(),
                  column.c_str());
      continue;
    }
    absl::StatusOr<std::vector<haystack::GroupCount>> values = (*atlas)->Values(field);
    if (!values.ok()) return Fail(values.status());
    std::printf("  %s (%zu values):", std::string(DefaultColumnName(field)).c_str(),
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

  haystack::SyntheticAtlasOptions synth;
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

  std::string info_path, mapping_path;
  CLI::App* info_cmd = app.add_subcommand("info", "Summarise an atlas's cells per metadata field");
  info_cmd->add_option("atlas", info_path, ".h5ad atlas")->required();
  info_cmd->add_option("--mapping", mapping_path, "JSON column mapping");

  CLI11_PARSE(app, argc, argv);
  if (*synth_cmd) {
    synth.counts_layer = !no_counts;
    return Synth(synth, curated_dir, out, write_options);
  }
  return Info(info_path, mapping_path);
}
