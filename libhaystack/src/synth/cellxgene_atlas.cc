#include "haystack/synth/cellxgene_atlas.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "internal/cell_type_panel.h"

namespace haystack::synth {
namespace {

using synth_internal::CellTypePanel;
using synth_internal::PanelCellType;
using synth_internal::Tissue;

// One value of the perturbation column.
struct Treatment {
  std::string name;
  bool control = false;
  std::vector<std::string> knocked_down;  // genes whose expression the treatment removes
  std::vector<std::string> responsive;    // genes the knowledge base expects to rise, if any
};

// The built-in panel: what a scientist's own perturbation atlas holds, named as labs name it.
std::vector<Treatment> TreatmentPanel() {
  return {
      {"mock", true, {}, {}},
      {"sgNT", true, {}, {}},
      {"IFNG", false, {}, {}},
      {"IFNG+TNF", false, {}, {}},
      {"IL-21 (50 ng/ml)", false, {}, {}},
      {"LPS", false, {}, {}},
      {"medium change", false, {}, {}},
      {"tofacitinib", false, {}, {}},
      {"sgIRF1", false, {"IRF1"}, {}},
      {"JAK1_KD", false, {"JAK1"}, {}},
      {"CRISPRi TYK2", false, {"TYK2"}, {}},
      {"STAT2-/-", false, {"STAT2"}, {}},
      {"IRF9 knockdown", false, {"IRF9"}, {}},
      {"STAT1 KO", false, {"STAT1"}, {}},
  };
}

struct TissueTerm {
  const char* id;
  const char* label;
  const char* dataset;
};

TissueTerm TissueOf(Tissue tissue, size_t type_index) {
  static constexpr TissueTerm kBlood = {"UBERON:0000178", "blood", "pbmc_stim_2025"};
  static constexpr TissueTerm kOrgans[] = {{"UBERON:0002048", "lung", "organ_atlas_2024"},
                                           {"UBERON:0002107", "liver", "organ_atlas_2024"},
                                           {"UBERON:0002113", "kidney", "organ_atlas_2024"}};
  switch (tissue) {
    case Tissue::kBlood:
      return kBlood;
    case Tissue::kLung:
      return kOrgans[0];
    case Tissue::kLiver:
      return kOrgans[1];
    case Tissue::kKidney:
      return kOrgans[2];
    case Tissue::kAnyOrgan:
      return kOrgans[type_index % 3];
  }
  return kBlood;
}

// The atlas's cell types: the panel, then numbered subtypes of it.
struct CellType {
  std::string id;
  std::string label;
  TissueTerm tissue;
  bool perturbed = false;  // blood types are the perturbation screen's
};

std::vector<CellType> CellTypes(int n) {
  const auto panel = CellTypePanel();
  std::vector<CellType> out;
  for (int i = 0; i < n; ++i) {
    const PanelCellType& base = panel[static_cast<size_t>(i) % panel.size()];
    const int round = i / static_cast<int>(panel.size());
    CellType t{std::string(base.id), std::string(base.label),
               TissueOf(base.tissue, static_cast<size_t>(i)), base.tissue == Tissue::kBlood};
    if (round > 0) {
      t.id = absl::StrFormat("CL:99%05d", i);
      t.label = absl::StrCat(std::string(base.label), " subtype ", round);
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Symbols: what the knowledge base's perturbations name first, then GO BP members, then
// synthetic names; the panels' knockdown targets are always included.
absl::StatusOr<std::vector<std::string>> GeneSymbols(const KnowledgeBase& knowledge,
                                                     const std::vector<Treatment>& treatments,
                                                     int64_t n) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](const std::string& s) {
    if (static_cast<int64_t>(out.size()) < n && seen.insert(s).second) out.push_back(s);
  };
  for (const Treatment& t : treatments) {
    for (const std::string& g : t.knocked_down) add(g);
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<Perturbation> known, knowledge.Perturbations());
  for (const Perturbation& p : known) {
    for (const auto* list : {&p.targets, &p.expected_up, &p.expected_down}) {
      for (const std::string& g : *list) add(g);
    }
  }
  auto sets = knowledge.GeneSets("GO_BP", 5, 200);
  if (sets.ok()) {
    std::set<std::string> members;
    for (const GeneSet& set : *sets) members.insert(set.genes.begin(), set.genes.end());
    for (const std::string& g : members) add(g);
  }
  for (int64_t i = 1; static_cast<int64_t>(out.size()) < n; ++i) add(absl::StrCat("SYNGENE", i));
  return out;
}

// Picks `k` distinct indices from a discrete distribution (cumulative weights) by rejection of
// repeats; k is far below the number of genes.
void SampleGenes(const std::vector<double>& cumulative, int k, SeededRandom& rng,
                 std::unordered_set<int32_t>& chosen) {
  const double total = cumulative.back();
  int guard = 0;
  while (static_cast<int>(chosen.size()) < k && guard++ < 8 * k) {
    const double u = rng.Uniform() * total;
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    chosen.insert(static_cast<int32_t>(std::min<ptrdiff_t>(
        it - cumulative.begin(), static_cast<ptrdiff_t>(cumulative.size()) - 1)));
  }
}

// Standard normal by Box-Muller (one of the pair is used).
double Normal(SeededRandom& rng) {
  const double u1 = 1.0 - rng.Uniform();
  const double u2 = rng.Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

Categorical MakeCategorical(std::vector<std::string> categories) {
  Categorical c;
  c.categories = std::move(categories);
  return c;
}

int32_t CodeOf(const Categorical& c, const std::string& value) {
  return static_cast<int32_t>(std::find(c.categories.begin(), c.categories.end(), value) -
                              c.categories.begin());
}

struct Model {
  std::vector<CellType> types;
  std::vector<double> type_cumulative;
  std::vector<Treatment> treatments;
  std::vector<std::string> donors;
  std::vector<std::string> genes;
  std::vector<double> gene_cumulative;           // background expression propensity
  std::vector<std::vector<int32_t>> markers;     // per cell type
  std::vector<std::vector<int32_t>> responsive;  // per treatment
  std::vector<std::vector<int32_t>> removed;     // per treatment (knockdowns)
};

absl::StatusOr<Model> BuildModel(const KnowledgeBase& knowledge, const CellxgeneAtlasOptions& o) {
  Model m;
  m.types = CellTypes(o.cell_types);
  SeededRandom rng(DeriveSeed(o.seed, "cellxgene-model"));
  double acc = 0;
  // PBMC-like abundance: the panel's first eight (monocytes, T, B and NK cells) are common,
  // the rest rare.
  for (size_t i = 0; i < m.types.size(); ++i) {
    const double weight = i < 8 ? 12.0 : 1.0 + static_cast<double>(rng.Below(3));
    acc += weight;
    m.type_cumulative.push_back(acc);
  }
  m.treatments = TreatmentPanel();
  for (int i = static_cast<int>(m.treatments.size()) - 2; i < o.perturbations; ++i) {
    m.treatments.push_back({"", false, {}, {}});  // named below, once the genes are known
  }
  for (int d = 0; d < o.donors; ++d) {
    m.donors.push_back(absl::StrCat(d + 1 == o.donors && o.donors > 1 ? 2 * o.donors : d + 1));
  }
  HAYSTACK_ASSIGN_OR_RETURN(m.genes, GeneSymbols(knowledge, m.treatments, o.genes));
  std::unordered_map<std::string, int32_t> gene_index;
  for (size_t g = 0; g < m.genes.size(); ++g) gene_index[m.genes[g]] = static_cast<int32_t>(g);
  acc = 0;
  for (size_t g = 0; g < m.genes.size(); ++g) {
    acc += std::exp(Normal(rng) * 1.2);  // log-normal propensity: a few genes dominate
    m.gene_cumulative.push_back(acc);
  }
  const auto n_genes = static_cast<int32_t>(m.genes.size());
  for (size_t t = 0; t < m.types.size(); ++t) {
    std::vector<int32_t> markers;
    for (int k = 0; k < 8; ++k)
      markers.push_back(static_cast<int32_t>(rng.Below(static_cast<uint64_t>(n_genes))));
    m.markers.push_back(std::move(markers));
  }
  int extra = 0;
  for (Treatment& t : m.treatments) {
    if (t.name.empty()) {  // a further knockout of the screen
      const std::string& gene = m.genes[static_cast<size_t>(extra++ * 7 + 11) % m.genes.size()];
      t.name = absl::StrCat("sg", gene, "_", extra);
      t.knocked_down = {gene};
    }
    std::vector<int32_t> up;
    if (!t.control) {
      for (const std::string& part :
           {t.name.substr(0, t.name.find('+')), t.name.find('+') == std::string::npos
                                                    ? std::string()
                                                    : t.name.substr(t.name.find('+') + 1)}) {
        if (part.empty()) continue;
        auto p = knowledge.FindPerturbation(part);
        if (p.ok() && p->has_value()) {
          for (const std::string& g : (*p)->expected_up) {
            if (auto it = gene_index.find(g); it != gene_index.end()) up.push_back(it->second);
          }
        }
      }
      while (up.size() < 20)
        up.push_back(static_cast<int32_t>(rng.Below(static_cast<uint64_t>(n_genes))));
    }
    m.responsive.push_back(std::move(up));
    std::vector<int32_t> removed;
    for (const std::string& g : t.knocked_down) {
      if (auto it = gene_index.find(g); it != gene_index.end()) removed.push_back(it->second);
    }
    m.removed.push_back(std::move(removed));
  }
  return m;
}

// One cell's metadata codes and expression row.
struct CellDraw {
  int type = 0;
  int donor = 0;
  int treatment = 0;
  int time = 0;
  std::vector<std::pair<int32_t, float>> row;  // (gene, count), sorted by gene
};

constexpr const char* kTimePoints[] = {"6h", "24h", "72h"};

CellDraw DrawCell(const Model& m, const CellxgeneAtlasOptions& o, int64_t cell) {
  // Counter-based: cell i's draws depend only on (seed, i).
  SeededRandom rng(Mix64(o.seed) ^ Mix64(static_cast<uint64_t>(cell) + 1));
  CellDraw c;
  const double u = rng.Uniform() * m.type_cumulative.back();
  c.type =
      static_cast<int>(std::upper_bound(m.type_cumulative.begin(), m.type_cumulative.end(), u) -
                       m.type_cumulative.begin());
  c.type = std::min(c.type, static_cast<int>(m.types.size()) - 1);
  c.donor = static_cast<int>(rng.Below(m.donors.size()));
  c.time = static_cast<int>(rng.Below(3));
  // Controls take two shares each of a perturbed cell type's cells; other cell types are
  // unperturbed ("mock").
  if (m.types[static_cast<size_t>(c.type)].perturbed) {
    const uint64_t shares = m.treatments.size() + 2;
    const auto pick = static_cast<int>(rng.Below(shares));
    c.treatment = pick < 4 ? pick / 2 : pick - 2;
  }
  const int target_nnz =
      std::max(8, static_cast<int>(o.nnz_per_cell * (0.7 + 0.6 * rng.Uniform())));
  std::unordered_set<int32_t> chosen;
  const auto& markers = m.markers[static_cast<size_t>(c.type)];
  const auto& responsive = m.responsive[static_cast<size_t>(c.treatment)];
  const auto& removed = m.removed[static_cast<size_t>(c.treatment)];
  chosen.insert(markers.begin(), markers.end());
  chosen.insert(responsive.begin(), responsive.end());
  SampleGenes(m.gene_cumulative, target_nnz, rng, chosen);
  for (int32_t g : removed) chosen.erase(g);
  std::vector<int32_t> genes(chosen.begin(), chosen.end());
  std::sort(genes.begin(), genes.end());
  for (int32_t g : genes) {
    double mean = 1.5;
    if (std::find(markers.begin(), markers.end(), g) != markers.end()) mean *= 6;
    if (std::find(responsive.begin(), responsive.end(), g) != responsive.end()) mean *= 4;
    // Geometric counts with this mean, at least 1 (the gene is expressed).
    const double p = 1.0 / (1.0 + mean);
    const double count = 1 + std::floor(std::log(1 - rng.Uniform()) / std::log(1 - p));
    c.row.emplace_back(g, static_cast<float>(std::min(count, 5000.0)));
  }
  return c;
}

AnnData Assemble(const Model& m, const CellxgeneAtlasOptions& o, std::vector<CellDraw> cells) {
  AnnData a;
  CsrMatrix x;
  x.rows = static_cast<int64_t>(cells.size());
  x.cols = static_cast<int64_t>(m.genes.size());
  x.indptr.push_back(0);
  for (const CellDraw& c : cells) {
    double total = 0;
    for (const auto& [g, v] : c.row) total += v;
    for (const auto& [g, v] : c.row) {
      x.indices.push_back(g);
      x.data.push_back(o.x_holds_counts ? v : static_cast<float>(std::log1p(v * 1e4 / total)));
    }
    x.indptr.push_back(static_cast<int64_t>(x.data.size()));
  }
  a.x = std::move(x);

  std::vector<std::string> type_ids, type_labels, tissue_ids, tissue_labels, datasets, names;
  for (const CellType& t : m.types) {
    type_ids.push_back(t.id);
    type_labels.push_back(t.label);
  }
  for (Tissue t : {Tissue::kBlood, Tissue::kLung, Tissue::kLiver, Tissue::kKidney}) {
    const TissueTerm term = TissueOf(t, 0);
    tissue_ids.push_back(term.id);
    tissue_labels.push_back(term.label);
  }
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
  std::vector<bool> is_control;
  for (size_t i = 0; i < cells.size(); ++i) {
    const CellDraw& c = cells[i];
    const CellType& t = m.types[static_cast<size_t>(c.type)];
    cl.codes.push_back(c.type);
    ct.codes.push_back(c.type);
    tid.codes.push_back(CodeOf(tid, t.tissue.id));
    tl.codes.push_back(CodeOf(tl, t.tissue.label));
    const int diseased = c.donor % 3 == 2 ? 1 : 0;
    did.codes.push_back(diseased);
    dl.codes.push_back(diseased);
    donor.codes.push_back(c.donor);
    dataset.codes.push_back(CodeOf(dataset, t.tissue.dataset));
    treatment.codes.push_back(c.treatment);
    time.codes.push_back(c.time);
    sex_id.codes.push_back(c.donor % 2);
    sex.codes.push_back(c.donor % 2);
    is_control.push_back(m.treatments[static_cast<size_t>(c.treatment)].control);
    a.obs.index.push_back(absl::StrFormat("cell%07d", i));
  }
  auto constant = [&](const char* value) {
    Categorical c = MakeCategorical({value});
    c.codes.assign(cells.size(), 0);
    return c;
  };
  a.obs.columns = {
      {"assay_ontology_term_id", constant("EFO:0009922"), std::nullopt},
      {"assay", constant("10x 3' v3"), std::nullopt},
      {"cell_type_ontology_term_id", std::move(cl), std::nullopt},
      {"cell_type", std::move(ct), std::nullopt},
      {"development_stage_ontology_term_id", constant("HsapDv:0000087"), std::nullopt},
      {"development_stage", constant("human adult stage"), std::nullopt},
      {"disease_ontology_term_id", std::move(did), std::nullopt},
      {"disease", std::move(dl), std::nullopt},
      {"donor_id", std::move(donor), std::nullopt},
      {"is_primary_data", std::vector<bool>(cells.size(), true), std::nullopt},
      {"organism_ontology_term_id", constant("NCBITaxon:9606"), std::nullopt},
      {"organism", constant("Homo sapiens"), std::nullopt},
      {"self_reported_ethnicity_ontology_term_id", constant("unknown"), std::nullopt},
      {"self_reported_ethnicity", constant("unknown"), std::nullopt},
      {"sex_ontology_term_id", std::move(sex_id), std::nullopt},
      {"sex", std::move(sex), std::nullopt},
      {"suspension_type", constant("cell"), std::nullopt},
      {"tissue_ontology_term_id", std::move(tid), std::nullopt},
      {"tissue", std::move(tl), std::nullopt},
      {"tissue_type", constant("tissue"), std::nullopt},
      {"dataset_id", std::move(dataset), std::nullopt},
      {"treatment", std::move(treatment), std::nullopt},
      {"is_control", std::move(is_control), std::nullopt},
      {"time_point", std::move(time), std::nullopt},
  };

  a.var.index_name = "_index";
  for (size_t g = 0; g < m.genes.size(); ++g)
    a.var.index.push_back(absl::StrFormat("ENSG9%010d", g + 1));
  if (o.feature_name) {
    a.var.columns.push_back({"feature_name", Categorical::FromStrings(m.genes), std::nullopt});
  }
  Categorical ref = MakeCategorical({"NCBITaxon:9606"});
  ref.codes.assign(m.genes.size(), 0);
  a.var.columns.push_back({"feature_reference", std::move(ref), std::nullopt});
  Categorical biotype = MakeCategorical({"gene"});
  biotype.codes.assign(m.genes.size(), 0);
  a.var.columns.push_back({"feature_biotype", std::move(biotype), std::nullopt});
  a.var.columns.push_back(
      {"feature_is_filtered", std::vector<bool>(m.genes.size(), false), std::nullopt});

  a.uns["schema_version"] = std::string("5.2.0");
  a.uns["title"] = std::string("HAYSTACK synthetic CELLxGENE-layout test atlas");
  a.uns["haystack_synthetic"] =
      UnsValue::Dict{{"synthetic", true},
                     {"generator", std::string("haystack::synth::GenerateCellxgeneAtlas")},
                     {"seed", static_cast<int64_t>(o.seed)},
                     {"x", std::string(o.x_holds_counts ? "counts" : "log1p(counts per 10k)")}};
  return a;
}

}  // namespace

absl::StatusOr<AnnData> GenerateCellxgeneAtlas(const KnowledgeBase& knowledge,
                                               const CellxgeneAtlasOptions& options) {
  if (options.cells < 1 || options.genes < 50 || options.cell_types < 1 || options.donors < 1 ||
      options.nnz_per_cell < 1 || options.perturbations < 12) {
    return ConfigurationError(
        "the CELLxGENE-layout atlas needs cells >= 1, genes >= 50, cell_types >= 1, donors >= 1, "
        "nnz_per_cell >= 1 and perturbations >= 12 (the built-in panel)");
  }
  if (options.nnz_per_cell * 2 > options.genes) {
    return ConfigurationError("nnz_per_cell must be at most half of genes");
  }
  HAYSTACK_ASSIGN_OR_RETURN(Model model, BuildModel(knowledge, options));
  std::vector<CellDraw> cells;
  cells.reserve(static_cast<size_t>(options.cells));
  for (int64_t i = 0; i < options.cells; ++i) cells.push_back(DrawCell(model, options, i));
  return Assemble(model, options, std::move(cells));
}

}  // namespace haystack::synth
