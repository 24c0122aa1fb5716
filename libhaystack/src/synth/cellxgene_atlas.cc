#include "haystack/synth/cellxgene_atlas.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "haystack/atlas/h5ad_csr_writer.h"
#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "internal/cellxgene_model.h"

namespace haystack::synth {
namespace {

using synth_internal::CellMeta;
using synth_internal::CellStream;
using synth_internal::CellType;
using synth_internal::DrawMeta;
using synth_internal::kTimePoints;
using synth_internal::Model;
using synth_internal::RowDrawer;
using synth_internal::Treatment;

Categorical MakeCategorical(std::vector<std::string> categories) {
  Categorical c;
  c.categories = std::move(categories);
  return c;
}

int32_t CodeOf(const Categorical& c, const std::string& value) {
  return static_cast<int32_t>(std::find(c.categories.begin(), c.categories.end(), value) -
                              c.categories.begin());
}

Categorical Constant(const char* value, size_t rows) {
  Categorical c = MakeCategorical({value});
  c.codes.assign(rows, 0);
  return c;
}

// The CELLxGENE schema's obs columns of the cells, plus dataset_id, treatment, is_control and
// time_point.
DataFrame Obs(const Model& m, const std::vector<CellMeta>& cells) {
  std::vector<std::string> type_ids, type_labels, tissue_ids, tissue_labels, names;
  for (const CellType& t : m.types) {
    type_ids.push_back(t.id);
    type_labels.push_back(t.label);
  }
  for (const char* id : {"UBERON:0000178", "UBERON:0002048", "UBERON:0002107", "UBERON:0002113"}) {
    tissue_ids.push_back(id);
  }
  tissue_labels = {"blood", "lung", "liver", "kidney"};
  for (const Treatment& t : m.treatments) names.push_back(t.name);
  Categorical cl = MakeCategorical(type_ids), ct = MakeCategorical(type_labels),
              tid = MakeCategorical(tissue_ids), tl = MakeCategorical(tissue_labels),
              did = MakeCategorical({"PATO:0000461", "MONDO:0100096"}),
              dl = MakeCategorical({"normal", "COVID-19"}), donor = MakeCategorical(m.donors),
              dataset = MakeCategorical({"pbmc_stim_2025", "organ_atlas_2024"}),
              treatment = MakeCategorical(names),
              time = MakeCategorical({kTimePoints[0], kTimePoints[1], kTimePoints[2]}),
              sex_id = MakeCategorical({"PATO:0000383", "PATO:0000384"}),
              sex = MakeCategorical({"female", "male"});
  // Per cell type, its codes of the columns that follow from it.
  std::vector<int32_t> tissue_code, dataset_code;
  for (const CellType& t : m.types) {
    tissue_code.push_back(CodeOf(tid, t.tissue.id));
    dataset_code.push_back(CodeOf(dataset, t.tissue.dataset));
  }
  for (Categorical* c :
       {&cl, &ct, &tid, &tl, &did, &dl, &donor, &dataset, &treatment, &time, &sex_id, &sex}) {
    c->codes.reserve(cells.size());
  }
  std::vector<bool> is_control;
  is_control.reserve(cells.size());
  DataFrame obs;
  obs.index.reserve(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    const CellMeta& c = cells[i];
    const auto type = static_cast<size_t>(c.type);
    cl.codes.push_back(c.type);
    ct.codes.push_back(c.type);
    tid.codes.push_back(tissue_code[type]);
    tl.codes.push_back(tissue_code[type]);  // labels in the order of the ids
    const int diseased = c.donor % 3 == 2 ? 1 : 0;
    did.codes.push_back(diseased);
    dl.codes.push_back(diseased);
    donor.codes.push_back(c.donor);
    dataset.codes.push_back(dataset_code[type]);
    treatment.codes.push_back(c.treatment);
    time.codes.push_back(c.time);
    sex_id.codes.push_back(c.donor % 2);
    sex.codes.push_back(c.donor % 2);
    is_control.push_back(m.treatments[static_cast<size_t>(c.treatment)].control);
    obs.index.push_back(absl::StrFormat("cell%07d", i));
  }
  const size_t n = cells.size();
  obs.columns = {
      {"assay_ontology_term_id", Constant("EFO:0009922", n), std::nullopt},
      {"assay", Constant("10x 3' v3", n), std::nullopt},
      {"cell_type_ontology_term_id", std::move(cl), std::nullopt},
      {"cell_type", std::move(ct), std::nullopt},
      {"development_stage_ontology_term_id", Constant("HsapDv:0000087", n), std::nullopt},
      {"development_stage", Constant("human adult stage", n), std::nullopt},
      {"disease_ontology_term_id", std::move(did), std::nullopt},
      {"disease", std::move(dl), std::nullopt},
      {"donor_id", std::move(donor), std::nullopt},
      {"is_primary_data", std::vector<bool>(n, true), std::nullopt},
      {"organism_ontology_term_id", Constant("NCBITaxon:9606", n), std::nullopt},
      {"organism", Constant("Homo sapiens", n), std::nullopt},
      {"self_reported_ethnicity_ontology_term_id", Constant("unknown", n), std::nullopt},
      {"self_reported_ethnicity", Constant("unknown", n), std::nullopt},
      {"sex_ontology_term_id", std::move(sex_id), std::nullopt},
      {"sex", std::move(sex), std::nullopt},
      {"suspension_type", Constant("cell", n), std::nullopt},
      {"tissue_ontology_term_id", std::move(tid), std::nullopt},
      {"tissue", std::move(tl), std::nullopt},
      {"tissue_type", Constant("tissue", n), std::nullopt},
      {"dataset_id", std::move(dataset), std::nullopt},
      {"treatment", std::move(treatment), std::nullopt},
      {"is_control", std::move(is_control), std::nullopt},
      {"time_point", std::move(time), std::nullopt},
  };
  return obs;
}

// Everything but X: obs, var (Ensembl-style ids, feature_name and the other CELLxGENE var
// columns) and uns.
AnnData Metadata(const Model& m, const CellxgeneAtlasOptions& o,
                 const std::vector<CellMeta>& cells) {
  AnnData a;
  a.obs = Obs(m, cells);
  const size_t genes = m.genes.size();
  a.var.index_name = "_index";
  for (size_t g = 0; g < genes; ++g) a.var.index.push_back(absl::StrFormat("ENSG9%010d", g + 1));
  if (o.feature_name) {
    a.var.columns.push_back({"feature_name", Categorical::FromStrings(m.genes), std::nullopt});
  }
  a.var.columns.push_back({"feature_reference", Constant("NCBITaxon:9606", genes), std::nullopt});
  a.var.columns.push_back({"feature_biotype", Constant("gene", genes), std::nullopt});
  a.var.columns.push_back({"feature_is_filtered", std::vector<bool>(genes, false), std::nullopt});

  a.uns["schema_version"] = std::string("5.2.0");
  a.uns["title"] = std::string("HAYSTACK synthetic CELLxGENE-layout test atlas");
  a.uns["haystack_synthetic"] =
      UnsValue::Dict{{"synthetic", true},
                     {"generator", std::string("haystack::synth::GenerateCellxgeneAtlas")},
                     {"seed", static_cast<int64_t>(o.seed)},
                     {"x", std::string(o.x_holds_counts ? "counts" : "log1p(counts per 10k)")}};
  return a;
}

absl::Status CheckOptions(const CellxgeneAtlasOptions& options) {
  if (options.cells < 1 || options.genes < 50 || options.cell_types < 1 || options.donors < 1 ||
      options.nnz_per_cell < 1 || options.perturbations < 12) {
    return ConfigurationError(
        "the CELLxGENE-layout atlas needs cells >= 1, genes >= 50, cell_types >= 1, donors >= 1, "
        "nnz_per_cell >= 1 and perturbations >= 12 (the built-in panel)");
  }
  if (options.nnz_per_cell * 2 > options.genes) {
    return ConfigurationError("nnz_per_cell must be at most half of genes");
  }
  if (options.cell_types > 99999) {
    return ConfigurationError("the CELLxGENE-layout atlas has at most 99,999 cell types");
  }
  return absl::OkStatus();
}

// Every cell's metadata, drawn in parallel (each cell from its own stream).
std::vector<CellMeta> DrawCells(const Model& model, const CellxgeneAtlasOptions& options,
                                int threads) {
  std::vector<CellMeta> cells(static_cast<size_t>(options.cells));
  constexpr int64_t kBlock = 65536;
  ParallelFor((options.cells + kBlock - 1) / kBlock, threads, [&](int64_t task, int) {
    for (int64_t i = task * kBlock; i < std::min(options.cells, (task + 1) * kBlock); ++i) {
      SeededRandom rng = CellStream(options, i);
      cells[static_cast<size_t>(i)] = DrawMeta(model, options, rng);
    }
  });
  return cells;
}

// Draws rows [first, end) into `indices` and `values` (cleared first).
void DrawRows(const Model& model, const CellxgeneAtlasOptions& options,
              const std::vector<CellMeta>& cells, int64_t first, int64_t end, RowDrawer& drawer,
              std::vector<int32_t>& indices, std::vector<float>& values) {
  indices.clear();
  values.clear();
  for (int64_t i = first; i < end; ++i) {
    SeededRandom rng = CellStream(options, i);
    (void)DrawMeta(model, options, rng);  // the stream continues where the metadata ended
    drawer.Draw(cells[static_cast<size_t>(i)], rng, indices, values);
  }
}

std::vector<int64_t> Indptr(const std::vector<CellMeta>& cells) {
  std::vector<int64_t> indptr(cells.size() + 1, 0);
  for (size_t i = 0; i < cells.size(); ++i) indptr[i + 1] = indptr[i] + cells[i].nnz;
  return indptr;
}

}  // namespace

absl::StatusOr<AnnData> GenerateCellxgeneAtlas(const KnowledgeBase& knowledge,
                                               const CellxgeneAtlasOptions& options) {
  HAYSTACK_RETURN_IF_ERROR(CheckOptions(options));
  HAYSTACK_ASSIGN_OR_RETURN(Model model, synth_internal::BuildModel(knowledge, options));
  const std::vector<CellMeta> cells = DrawCells(model, options, 1);
  CsrMatrix x;
  x.rows = options.cells;
  x.cols = static_cast<int64_t>(model.genes.size());
  x.indptr = Indptr(cells);
  RowDrawer drawer(model, options);
  DrawRows(model, options, cells, 0, options.cells, drawer, x.indices, x.data);
  AnnData a = Metadata(model, options, cells);
  a.x = std::move(x);
  return a;
}

absl::StatusOr<CellxgeneWriteSummary> WriteCellxgeneAtlas(const KnowledgeBase& knowledge,
                                                          const CellxgeneAtlasOptions& options,
                                                          const std::string& path,
                                                          const CellxgeneWriteOptions& write) {
  HAYSTACK_RETURN_IF_ERROR(CheckOptions(options));
  if (write.block_rows < 1) return ConfigurationError("block_rows must be at least 1");
  HAYSTACK_ASSIGN_OR_RETURN(Model model, synth_internal::BuildModel(knowledge, options));
  const int threads = ResolveThreadCount(write.threads);
  std::vector<CellMeta> cells = DrawCells(model, options, threads);
  std::vector<int64_t> indptr = Indptr(cells);
  const CellxgeneWriteSummary summary{.cells = options.cells,
                                      .genes = static_cast<int64_t>(model.genes.size()),
                                      .non_zeros = indptr.back()};
  HAYSTACK_ASSIGN_OR_RETURN(
      std::unique_ptr<CsrH5adWriter> writer,
      CsrH5adWriter::Create(path, Metadata(model, options, cells), std::move(indptr), write.write));

  struct Scratch {
    RowDrawer drawer;
    std::vector<int32_t> indices;
    std::vector<float> values;
  };
  std::vector<Scratch> scratch;
  for (int t = 0; t < threads; ++t) scratch.push_back({RowDrawer(model, options), {}, {}});
  std::mutex mu;
  absl::Status failed;
  const int64_t blocks = (options.cells + write.block_rows - 1) / write.block_rows;
  ParallelFor(blocks, threads, [&](int64_t block, int worker) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!failed.ok()) return;
    }
    const int64_t first = block * write.block_rows;
    const int64_t end = std::min(options.cells, first + write.block_rows);
    Scratch& s = scratch[static_cast<size_t>(worker)];
    DrawRows(model, options, cells, first, end, s.drawer, s.indices, s.values);
    absl::Status st = writer->WriteRows(first, end - first, s.values, s.indices);
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (failed.ok()) failed = std::move(st);
    }
  });
  HAYSTACK_RETURN_IF_ERROR(failed);
  HAYSTACK_RETURN_IF_ERROR(writer->Finish());
  return summary;
}

}  // namespace haystack::synth
