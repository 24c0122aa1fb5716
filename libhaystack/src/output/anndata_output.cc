#include "haystack/output/anndata_output.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "haystack/output/run_report.h"
#include "haystack/storage/crc32c.h"

namespace haystack {
namespace {

absl::Status ShapeError(std::string_view message) {
  return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument, message);
}

Categorical Repeat(std::string_view value, size_t n) {
  return Categorical::FromStrings(std::vector<std::string>(n, std::string(value)));
}

DataFrame EnrichmentFrame(const std::vector<EnrichedPathway>& pathways) {
  DataFrame frame;
  std::vector<std::string> ids, names, collections, directions;
  std::vector<int64_t> overlap, set_size;
  std::vector<double> p, adjusted;
  for (size_t i = 0; i < pathways.size(); ++i) {
    const EnrichedPathway& pw = pathways[i];
    frame.index.push_back(std::to_string(i));
    ids.push_back(pw.set_id);
    names.push_back(pw.name);
    collections.push_back(pw.collection);
    directions.push_back(pw.direction);
    overlap.push_back(pw.overlap);
    set_size.push_back(pw.set_size);
    p.push_back(pw.p_value);
    adjusted.push_back(pw.adjusted_p_value);
  }
  frame.columns = {{"set_id", ids, {}},
                   {"name", names, {}},
                   {"collection", Categorical::FromStrings(collections), {}},
                   {"direction", Categorical::FromStrings(directions), {}},
                   {"overlap", overlap, {}},
                   {"set_size", set_size, {}},
                   {"p_value", p, {}},
                   {"adjusted_p_value", adjusted, {}}};
  return frame;
}

// Removes a temporary file on every path out.
struct Cleanup {
  std::filesystem::path path;
  ~Cleanup() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

// Equality in which NaN equals NaN (bitwise comparison of float64 columns): NaN marks "no DE
// value" in var, and two encodings of the same object must compare equal.
bool SameFrame(const DataFrame& a, const DataFrame& b) {
  if (a.index != b.index || a.index_name != b.index_name || a.columns.size() != b.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const DataFrameColumn& ca = a.columns[i];
    const DataFrameColumn& cb = b.columns[i];
    if (ca.name != cb.name || ca.mask != cb.mask) return false;
    const auto* da = std::get_if<std::vector<double>>(&ca.values);
    const auto* db = std::get_if<std::vector<double>>(&cb.values);
    if (da && db) {
      if (da->size() != db->size() ||
          std::memcmp(da->data(), db->data(), da->size() * sizeof(double)) != 0) {
        return false;
      }
    } else if (ca.values != cb.values) {
      return false;
    }
  }
  return true;
}

bool SameContent(const AnnData& a, const AnnData& b) {
  return a.x == b.x && SameFrame(a.obs, b.obs) && SameFrame(a.var, b.var) && a.uns == b.uns &&
         a.obsm == b.obsm && a.varm == b.varm && a.layers == b.layers;
}

}  // namespace

absl::StatusOr<AnnData> BuildOutputAnnData(const Run& run, const PredictionOutput& prediction) {
  const size_t n_obs = prediction.cell_ids.size();
  const size_t n_vars = prediction.gene_symbols.size();
  const int64_t rows = Rows(prediction.predictions);
  const int64_t cols = std::visit([](const auto& m) { return m.cols; }, prediction.predictions);
  if (rows != static_cast<int64_t>(n_obs) || cols != static_cast<int64_t>(n_vars)) {
    return ShapeError(absl::StrCat("output.h5ad: predictions are ", rows, " × ", cols, " but ",
                                   n_obs, " cell ids and ", n_vars, " gene symbols were given"));
  }
  for (const auto* context : {&prediction.donor_id, &prediction.tissue, &prediction.disease}) {
    if (!context->empty() && context->size() != n_obs) {
      return ShapeError("output.h5ad: a per-cell context column does not have one value per cell");
    }
  }
  const IterationRecord* best = BestIteration(run);
  const StructuredQuery query = run.structured_query.value_or(StructuredQuery{});

  AnnData data;
  data.x = prediction.predictions;
  data.obs.index = prediction.cell_ids;
  HAYSTACK_RETURN_IF_ERROR(data.obs.AddColumn({"cell_id", prediction.cell_ids, {}}));
  HAYSTACK_RETURN_IF_ERROR(
      data.obs.AddColumn({"task_type", Repeat(EnumName(query.task_type), n_obs), {}}));
  HAYSTACK_RETURN_IF_ERROR(
      data.obs.AddColumn({"cell_type_query", Repeat(query.cell_type_query, n_obs), {}}));
  HAYSTACK_RETURN_IF_ERROR(data.obs.AddColumn(
      {"perturbation_query", Repeat(query.perturbation_query.value_or(""), n_obs), {}}));
  if (!prediction.donor_id.empty()) {
    HAYSTACK_RETURN_IF_ERROR(
        data.obs.AddColumn({"donor_id", Categorical::FromStrings(prediction.donor_id), {}}));
  }
  if (!prediction.tissue.empty()) {
    HAYSTACK_RETURN_IF_ERROR(
        data.obs.AddColumn({"tissue", Categorical::FromStrings(prediction.tissue), {}}));
  }
  if (!prediction.disease.empty()) {
    HAYSTACK_RETURN_IF_ERROR(
        data.obs.AddColumn({"disease", Categorical::FromStrings(prediction.disease), {}}));
  }
  HAYSTACK_RETURN_IF_ERROR(data.obs.AddColumn(
      {"prompt_strategy",
       Repeat(best ? EnumName(best->selected_prompt.strategy) : std::string_view(""), n_obs),
       {}}));
  HAYSTACK_RETURN_IF_ERROR(data.obs.AddColumn(
      {"iteration", std::vector<int64_t>(n_obs, best ? best->iteration_number : 0), {}}));
  // Nullable (pandas Int64): an unscored run has no score, not a made-up one.
  std::optional<int> score = run.final_score;
  if (!score && best) score = CompositeScore(best->grounding_score);
  DataFrameColumn score_column{"grounding_score", std::vector<int64_t>(n_obs, 0), std::nullopt};
  if (score) {
    score_column.values = std::vector<int64_t>(n_obs, *score);
  } else {
    score_column.mask = std::vector<bool>(n_obs, true);
  }
  HAYSTACK_RETURN_IF_ERROR(data.obs.AddColumn(std::move(score_column)));

  // var: what the DE step said about each gene.
  std::map<std::string, const DeGene*> de;
  std::set<std::string> de_names;
  std::vector<EnrichedPathway> enrichment;
  if (best) {
    if (const auto* g = std::get_if<GroundingScore>(&best->grounding_score)) {
      if (g->de_summary) {
        for (const auto& d : g->de_summary->top_up) de[d.gene] = &d;
        for (const auto& d : g->de_summary->top_down) de[d.gene] = &d;
      }
      de_names.insert(g->de_genes_up.begin(), g->de_genes_up.end());
      de_names.insert(g->de_genes_down.begin(), g->de_genes_down.end());
      enrichment = g->enriched_pathways;
    }
  }
  const std::set<std::string> targets(query.expected_targets.begin(), query.expected_targets.end());
  std::vector<double> lfc(n_vars, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> pval(n_vars, std::numeric_limits<double>::quiet_NaN());
  std::vector<bool> is_de(n_vars, false), is_target(n_vars, false);
  for (size_t j = 0; j < n_vars; ++j) {
    const std::string& gene = prediction.gene_symbols[j];
    if (auto it = de.find(gene); it != de.end()) {
      lfc[j] = it->second->log2_fold_change;
      pval[j] = it->second->adjusted_p_value;
    }
    is_de[j] = de_names.contains(gene) || de.contains(gene);
    is_target[j] = targets.contains(gene);
  }
  data.var.index = prediction.gene_symbols;
  HAYSTACK_RETURN_IF_ERROR(data.var.AddColumn({"gene_symbol", prediction.gene_symbols, {}}));
  HAYSTACK_RETURN_IF_ERROR(data.var.AddColumn({"predicted_lfc", lfc, {}}));
  HAYSTACK_RETURN_IF_ERROR(data.var.AddColumn({"predicted_pval", pval, {}}));
  HAYSTACK_RETURN_IF_ERROR(data.var.AddColumn({"is_de", is_de, {}}));
  HAYSTACK_RETURN_IF_ERROR(data.var.AddColumn({"target_gene", is_target, {}}));

  UnsValue::Dict haystack;
  haystack["run_id"] = run.run_id;
  haystack["query"] = run.raw_query;
  haystack["task_type"] = std::string(EnumName(query.task_type));
  haystack["config"] = run.config_json;
  haystack["control_strategy"] = std::string(EnumName(run.control_strategy));
  if (run.control_strategy_effective) {
    haystack["control_strategy_effective"] = std::string(EnumName(*run.control_strategy_effective));
  }
  if (run.final_score) haystack["final_score"] = int64_t{*run.final_score};
  if (run.termination_reason) {
    haystack["termination_reason"] = std::string(EnumName(*run.termination_reason));
  }
  if (best) haystack["best_iteration"] = int64_t{best->iteration_number};
  UnsValue::List iterations;
  for (const auto& it : run.iterations) {
    UnsValue::Dict record;
    record["iteration"] = int64_t{it.iteration_number};
    if (const std::optional<int> s = CompositeScore(it.grounding_score)) {
      record["grounding_score"] = int64_t{*s};  // absent when the iteration was unscored
    }
    record["prompt_strategy"] = std::string(EnumName(it.selected_prompt.strategy));
    record["control_strategy"] = std::string(EnumName(it.control_strategy));
    record["duration_seconds"] = it.duration_seconds;
    iterations.emplace_back(std::move(record));
  }
  haystack["iterations"] = std::move(iterations);
  haystack["enrichment"] = EnrichmentFrame(enrichment);
  data.uns["haystack"] = std::move(haystack);
  HAYSTACK_RETURN_IF_ERROR(data.Validate());
  return data;
}

namespace {

// output.h5ad as every run artifact is stored (CSR when smaller, gzip), into a private file.
H5adWriteOptions OutputWriteOptions() {
  H5adWriteOptions options = CompactH5adWriteOptions();
  options.atomic = false;
  return options;
}

}  // namespace

absl::StatusOr<ArtifactInfo> StoreOutputAnnData(const AnnData& data, std::string_view run_id,
                                                ArtifactStore& store) {
  // The HDF5 library writes files, so the bytes pass through a private temporary file.
  const std::filesystem::path temp =
      std::filesystem::temp_directory_path() /
      absl::StrCat("haystack-output-", ::getpid(), "-", EntropyBits(), ".h5ad");
  Cleanup cleanup{temp};
  HAYSTACK_RETURN_IF_ERROR(WriteH5ad(data, temp.string(), OutputWriteOptions()));
  std::ifstream in(temp, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                     absl::StrCat("cannot read back ", temp.string()));
  }
  const std::string path = RunArtifactPath(run_id, "output.h5ad");
  absl::StatusOr<ArtifactInfo> stored = store.Put(path, bytes.str(), "application/x-hdf5");
  if (stored.ok() || stored.status().code() != absl::StatusCode::kAlreadyExists) return stored;
  // HDF5 files carry object timestamps, so re-encoding the same object gives other bytes. An
  // existing output.h5ad (a retried job) counts as written if it holds the same content.
  HAYSTACK_ASSIGN_OR_RETURN(std::string existing, store.Get(path));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(existing.data(), static_cast<std::streamsize>(existing.size()));
  }
  HAYSTACK_ASSIGN_OR_RETURN(AnnData existing_data, ReadH5ad(temp.string()));
  HAYSTACK_ASSIGN_OR_RETURN(AnnData encoded, [&]() -> absl::StatusOr<AnnData> {
    // Our object through the same encoder and reader, so both sides are compared as stored.
    const std::filesystem::path ours = temp.string() + ".ours";
    Cleanup cleanup_ours{ours};
    HAYSTACK_RETURN_IF_ERROR(WriteH5ad(data, ours.string(), OutputWriteOptions()));
    return ReadH5ad(ours.string());
  }());
  if (!SameContent(existing_data, encoded)) return stored.status();
  return ArtifactInfo{.uri = store.Uri(path),
                      .size = static_cast<int64_t>(existing.size()),
                      .crc32c = Crc32c(existing),
                      .already_existed = true};
}

}  // namespace haystack
