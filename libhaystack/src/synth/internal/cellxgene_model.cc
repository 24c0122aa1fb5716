#include "internal/cellxgene_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "haystack/core/error.h"
#include "internal/cell_type_panel.h"

namespace haystack::synth_internal {
namespace {

// The built-in panel: what a scientist's own perturbation atlas holds, named as labs name it.
std::vector<Treatment> TreatmentPanel() {
  return {
      {"mock", true, {}},
      {"sgNT", true, {}},
      {"IFNG", false, {}},
      {"IFNG+TNF", false, {}},
      {"IL-21 (50 ng/ml)", false, {}},
      {"LPS", false, {}},
      {"medium change", false, {}},
      {"tofacitinib", false, {}},
      {"sgIRF1", false, {"IRF1"}},
      {"JAK1_KD", false, {"JAK1"}},
      {"CRISPRi TYK2", false, {"TYK2"}},
      {"STAT2-/-", false, {"STAT2"}},
      {"IRF9 knockdown", false, {"IRF9"}},
      {"STAT1 KO", false, {"STAT1"}},
  };
}

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

// Standard normal by Box-Muller (one of the pair is used).
double Normal(SeededRandom& rng) {
  const double u1 = 1.0 - rng.Uniform();
  const double u2 = rng.Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// The genes a treatment raises: the knowledge base's expected-up genes of its parts where it
// knows them, then random genes up to 20.
std::vector<int32_t> ResponsiveGenes(const KnowledgeBase& knowledge, const Treatment& t,
                                     const std::unordered_map<std::string, int32_t>& gene_index,
                                     SeededRandom& rng) {
  std::vector<int32_t> up;
  if (t.control) return up;
  const size_t plus = t.name.find('+');
  for (const std::string& part :
       {t.name.substr(0, plus),
        plus == std::string::npos ? std::string() : t.name.substr(plus + 1)}) {
    if (part.empty()) continue;
    auto p = knowledge.FindPerturbation(part);
    if (!p.ok() || !p->has_value()) continue;
    for (const std::string& g : (*p)->expected_up) {
      if (auto it = gene_index.find(g); it != gene_index.end()) up.push_back(it->second);
    }
  }
  const auto n_genes = static_cast<uint64_t>(gene_index.size());
  while (up.size() < 20) up.push_back(static_cast<int32_t>(rng.Below(n_genes)));
  return up;
}

// Roles of a gene in one cell (RowDrawer::role_): the mean count is 1.5, ×6 for a marker of
// the cell type, ×4 for a gene its treatment raises; a knocked-down gene is never expressed.
constexpr uint8_t kMarker = 1;
constexpr uint8_t kResponsive = 2;
constexpr uint8_t kRemoved = 4;
constexpr double kMeanCount[] = {1.5, 1.5 * 6, 1.5 * 4, 1.5 * 24};

}  // namespace

AliasTable::AliasTable(const std::vector<double>& weights)
    : probability_(weights.size()), alias_(weights.size()) {
  const size_t n = weights.size();
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> scaled(n);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    probability_[static_cast<size_t>(s)] = scaled[static_cast<size_t>(s)];
    alias_[static_cast<size_t>(s)] = l;
    scaled[static_cast<size_t>(l)] -= 1.0 - scaled[static_cast<size_t>(s)];
    if (scaled[static_cast<size_t>(l)] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (int32_t i : small)
    probability_[static_cast<size_t>(i)] = 1.0, alias_[static_cast<size_t>(i)] = i;
  for (int32_t i : large)
    probability_[static_cast<size_t>(i)] = 1.0, alias_[static_cast<size_t>(i)] = i;
}

int32_t AliasTable::Draw(SeededRandom& rng) const {
  const double u = rng.Uniform() * static_cast<double>(probability_.size());
  const auto column = std::min(static_cast<size_t>(u), probability_.size() - 1);
  return u - static_cast<double>(column) < probability_[column] ? static_cast<int32_t>(column)
                                                                : alias_[column];
}

absl::StatusOr<Model> BuildModel(const KnowledgeBase& knowledge,
                                 const synth::CellxgeneAtlasOptions& o) {
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
    m.treatments.push_back({"", false, {}});  // named below, once the genes are known
  }
  for (int d = 0; d < o.donors; ++d) {
    m.donors.push_back(absl::StrCat(d + 1 == o.donors && o.donors > 1 ? 2 * o.donors : d + 1));
  }
  HAYSTACK_ASSIGN_OR_RETURN(m.genes, GeneSymbols(knowledge, m.treatments, o.genes));
  std::unordered_map<std::string, int32_t> gene_index;
  for (size_t g = 0; g < m.genes.size(); ++g) gene_index[m.genes[g]] = static_cast<int32_t>(g);
  std::vector<double> propensity;
  propensity.reserve(m.genes.size());
  for (size_t g = 0; g < m.genes.size(); ++g) {
    propensity.push_back(std::exp(Normal(rng) * 1.2));  // log-normal: a few genes dominate
  }
  m.gene_propensity = AliasTable(propensity);
  const auto n_genes = static_cast<uint64_t>(m.genes.size());
  for (size_t t = 0; t < m.types.size(); ++t) {
    std::vector<int32_t> markers;
    for (int k = 0; k < 8; ++k) markers.push_back(static_cast<int32_t>(rng.Below(n_genes)));
    m.markers.push_back(std::move(markers));
  }
  int extra = 0;
  for (Treatment& t : m.treatments) {
    if (t.name.empty()) {  // a further knockout of the screen
      const std::string& gene = m.genes[static_cast<size_t>(extra++ * 7 + 11) % m.genes.size()];
      t.name = absl::StrCat("sg", gene, "_", extra);
      t.knocked_down = {gene};
    }
    m.responsive.push_back(ResponsiveGenes(knowledge, t, gene_index, rng));
    std::vector<int32_t> removed;
    for (const std::string& g : t.knocked_down) {
      if (auto it = gene_index.find(g); it != gene_index.end()) removed.push_back(it->second);
    }
    m.removed.push_back(std::move(removed));
  }
  return m;
}

SeededRandom CellStream(const synth::CellxgeneAtlasOptions& options, int64_t cell) {
  // Counter-based: cell i's draws depend only on (seed, i).
  return SeededRandom(Mix64(options.seed) ^ Mix64(static_cast<uint64_t>(cell) + 1));
}

CellMeta DrawMeta(const Model& m, const synth::CellxgeneAtlasOptions& o, SeededRandom& rng) {
  CellMeta c;
  const double u = rng.Uniform() * m.type_cumulative.back();
  c.type =
      static_cast<int32_t>(std::upper_bound(m.type_cumulative.begin(), m.type_cumulative.end(), u) -
                           m.type_cumulative.begin());
  c.type = std::min(c.type, static_cast<int32_t>(m.types.size()) - 1);
  c.donor = static_cast<int32_t>(rng.Below(m.donors.size()));
  c.time = static_cast<int32_t>(rng.Below(3));
  // Controls take two shares each of a perturbed cell type's cells; other cell types are
  // unperturbed ("mock").
  if (m.types[static_cast<size_t>(c.type)].perturbed) {
    const uint64_t shares = m.treatments.size() + 2;
    const auto pick = static_cast<int32_t>(rng.Below(shares));
    c.treatment = pick < 4 ? pick / 2 : pick - 2;
  }
  const int target = std::max(8, static_cast<int>(o.nnz_per_cell * (0.7 + 0.6 * rng.Uniform())));
  // The marker and responsive genes are always expressed (unless knocked down): the row has at
  // least as many non-zeros as they are distinct.
  const auto& markers = m.markers[static_cast<size_t>(c.type)];
  const auto& responsive = m.responsive[static_cast<size_t>(c.treatment)];
  const auto& removed = m.removed[static_cast<size_t>(c.treatment)];
  std::vector<int32_t> fixed(markers);
  fixed.insert(fixed.end(), responsive.begin(), responsive.end());
  std::sort(fixed.begin(), fixed.end());
  fixed.erase(std::unique(fixed.begin(), fixed.end()), fixed.end());
  int kept = 0;
  for (int32_t g : fixed) {
    kept += std::find(removed.begin(), removed.end(), g) == removed.end() ? 1 : 0;
  }
  c.nnz = std::max(target, kept);
  return c;
}

RowDrawer::RowDrawer(const Model& model, const synth::CellxgeneAtlasOptions& options)
    : model_(model),
      counts_(options.x_holds_counts),
      chosen_((model.genes.size() + 63) / 64, 0),
      role_(model.genes.size(), 0) {
  for (size_t role = 0; role < log_keep_.size(); ++role) {
    log_keep_[role] = std::log(1 - 1.0 / (1.0 + kMeanCount[role]));
  }
}

void RowDrawer::Draw(const CellMeta& meta, SeededRandom& rng, std::vector<int32_t>& indices,
                     std::vector<float>& values) {
  const auto& markers = model_.markers[static_cast<size_t>(meta.type)];
  const auto& responsive = model_.responsive[static_cast<size_t>(meta.treatment)];
  const auto& removed = model_.removed[static_cast<size_t>(meta.treatment)];
  for (int32_t g : markers) role_[static_cast<size_t>(g)] |= kMarker;
  for (int32_t g : responsive) role_[static_cast<size_t>(g)] |= kResponsive;
  for (int32_t g : removed) role_[static_cast<size_t>(g)] = kRemoved;
  int chosen = 0;
  auto choose = [&](int32_t g) {
    uint64_t& word = chosen_[static_cast<size_t>(g) / 64];
    const uint64_t bit = uint64_t{1} << (g % 64);
    if ((word & bit) != 0 || role_[static_cast<size_t>(g)] == kRemoved) return;
    word |= bit;
    ++chosen;
  };
  for (int32_t g : markers) choose(g);
  for (int32_t g : responsive) choose(g);
  // Background genes by propensity; repeats are redrawn. The rare row that the guard cuts
  // short is completed with the next free genes from a random start, so that its length is
  // exactly meta.nnz (fixed before the row was drawn).
  const auto n_genes = static_cast<int32_t>(model_.genes.size());
  for (int guard = 0; chosen < meta.nnz && guard < 8 * meta.nnz; ++guard) {
    choose(model_.gene_propensity.Draw(rng));
  }
  for (int32_t g = static_cast<int32_t>(rng.Below(static_cast<uint64_t>(n_genes)));
       chosen < meta.nnz; g = (g + 1) % n_genes) {
    choose(g);
  }
  const size_t first = values.size();
  double total = 0;
  for (size_t w = 0; w < chosen_.size(); ++w) {
    for (uint64_t word = chosen_[w]; word != 0; word &= word - 1) {
      const auto g = static_cast<int32_t>(w * 64 + static_cast<size_t>(std::countr_zero(word)));
      const uint8_t role = role_[static_cast<size_t>(g)] & (kMarker | kResponsive);
      // Geometric counts with this mean, at least 1 (the gene is expressed).
      const double count = 1 + std::floor(std::log(1 - rng.Uniform()) / log_keep_[role]);
      indices.push_back(g);
      values.push_back(static_cast<float>(std::min(count, 5000.0)));
      total += values.back();
    }
    chosen_[w] = 0;
  }
  if (!counts_) {
    for (size_t k = first; k < values.size(); ++k) {
      values[k] = static_cast<float>(std::log1p(values[k] * 1e4 / total));
    }
  }
  for (int32_t g : markers) role_[static_cast<size_t>(g)] = 0;
  for (int32_t g : responsive) role_[static_cast<size_t>(g)] = 0;
  for (int32_t g : removed) role_[static_cast<size_t>(g)] = 0;
}

}  // namespace haystack::synth_internal
