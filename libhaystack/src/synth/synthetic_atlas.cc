#include "haystack/synth/synthetic_atlas.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "haystack/core/random.h"
#include "internal/background_genes.h"

namespace haystack::synth {
namespace {

using synth_internal::BackgroundGenes;
using synth_internal::GeneClass;

// ---- Randomness: counter-based so that every cell's draws depend only on (seed, cell). ----

// One SplitMix64 step from x (core/random.h).
uint64_t SplitMix(uint64_t x) { return SeededRandom(x).Next(); }

class Rng {  // xoshiro256**
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = seed = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  double Normal() {  // Box-Muller, one value per call (simple and deterministic)
    const double u1 = 1.0 - Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  // Gamma(shape k, scale 1), Marsaglia-Tsang.
  double Gamma(double k) {
    if (k < 1.0) return Gamma(k + 1.0) * std::pow(Uniform() + 1e-300, 1.0 / k);
    const double d = k - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = Normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = Uniform();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }
  int64_t Poisson(double mu) {
    if (mu < 30) {  // inversion
      double p = std::exp(-mu), cdf = p, u = Uniform();
      int64_t k = 0;
      while (u > cdf && k < 1000) {
        ++k;
        p *= mu / static_cast<double>(k);
        cdf += p;
      }
      return k;
    }
    // Normal approximation is plenty for the rare high-mean entries.
    return std::max<int64_t>(0, std::llround(mu + std::sqrt(mu) * Normal()));
  }
  // Negative binomial with mean mu and inverse dispersion theta.
  int64_t NegativeBinomial(double mu, double theta) {
    if (mu <= 0) return 0;
    if (mu > 20) return Poisson(mu * Gamma(theta) / theta);
    // Inversion: P(0) = (theta / (theta + mu))^theta, P(k) = P(k-1) (k-1+theta)/k q.
    const double q = mu / (theta + mu);
    double p = std::exp(theta * std::log1p(-q));
    double cdf = p;
    const double u = Uniform();
    int64_t k = 0;
    while (u > cdf && k < 10000) {
      ++k;
      p *= (static_cast<double>(k) - 1.0 + theta) / static_cast<double>(k) * q;
      cdf += p;
      if (p < 1e-300) break;
    }
    return k;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// ---- The design -------------------------------------------------------------------------

struct Condition {
  std::string name;  // perturbation column value
  std::string type;  // perturbation_type: cytokine | drug | genetic | control
  const CuratedPerturbation* perturbation = nullptr;  // null for controls
  double weight = 0;
};

struct Donor {
  std::string id;
  const CuratedTerm* stromal_tissue;  // lung or colon, for fibroblasts and epithelial cells
  const CuratedTerm* disease;
  double response = 1.0;  // donor-level scaling of perturbation effects
};

using Compartment = DemoCellType::Compartment;

// How strongly a cell type responds to a perturbation (demo_responses.tsv: its own row, else
// the perturbation's "*" row); an error names what is missing.
absl::StatusOr<double> ResponseStrength(const CuratedVocabulary& v, const std::string& perturbation,
                                        const CuratedTerm& type) {
  for (const std::string& key : {type.id, std::string("*")}) {
    if (auto it = v.demo_responses.find({perturbation, key}); it != v.demo_responses.end()) {
      return it->second;
    }
  }
  return ConfigurationError(absl::StrCat("demo_responses.tsv has no strength for ", perturbation,
                                         " in ", type.id, " (", type.name,
                                         ") and no default row (cell_type *)"));
}

struct Effect {
  std::string perturbation;
  std::string cell_type;
  std::string gene;
  double log2fc;
  std::string source;  // expected_up | expected_down | knockout | off_target
};

struct Model {
  std::vector<std::string> genes;
  std::vector<const CuratedTerm*> cell_types;
  std::vector<DemoCellType> design;  // per cell type (demo_cell_types.tsv)
  std::vector<Condition> conditions;
  std::vector<Donor> donors;
  std::vector<double> theta;  // per gene inverse dispersion
  // Base expression proportions per (cell type, donor, tissue) profile are computed on the
  // fly from these factors.
  std::vector<double> base;                       // per gene
  std::vector<std::vector<double>> type_factor;   // [type][gene]
  std::vector<std::vector<double>> donor_factor;  // [donor][gene] (batch effect)
  // log2 fold changes per [condition][type] → sparse (gene, log2fc).
  std::vector<std::vector<std::vector<std::pair<int32_t, double>>>> effects;
  std::vector<Effect> effect_table;
};

struct Group {
  int donor, condition, type;
  int64_t begin, count;
};

absl::StatusOr<Model> BuildModel(const CuratedVocabulary& v, const SyntheticAtlasOptions& o,
                                 Rng& rng) {
  Model m;
  m.cell_types = v.LeafCellTypes();
  if (m.cell_types.empty()) return ConfigurationError("curated vocabulary has no cell types");
  for (const CuratedTerm* type : m.cell_types) {
    auto it = v.demo_cell_types.find(type->id);
    if (it == v.demo_cell_types.end()) {
      return ConfigurationError(absl::StrCat("cell type ", type->id, " (", type->name,
                                             ") has markers in cell_types.tsv but no row in "
                                             "demo_cell_types.tsv"));
    }
    m.design.push_back(it->second);
  }
  // Genes: every curated gene first (sorted, so the order does not depend on file order), then
  // background genes.
  std::set<std::string> curated;
  for (const auto* t : m.cell_types) curated.insert(t->genes.begin(), t->genes.end());
  for (const auto& t : v.tissues) curated.insert(t.genes.begin(), t.genes.end());
  for (const auto& t : v.diseases) curated.insert(t.genes.begin(), t.genes.end());
  for (const auto& p : v.perturbations) {
    curated.insert(p.expected_up.begin(), p.expected_up.end());
    curated.insert(p.expected_down.begin(), p.expected_down.end());
    curated.insert(p.targets.begin(), p.targets.end());
  }
  m.genes.assign(curated.begin(), curated.end());
  std::vector<GeneClass> cls(m.genes.size(), GeneClass::kOther);
  const int64_t limit = o.genes > 0 ? o.genes : std::numeric_limits<int64_t>::max();
  if (static_cast<int64_t>(m.genes.size()) > limit) {
    return ConfigurationError(absl::StrCat(
        "at least ", m.genes.size(), " genes are needed for the curated markers and responses; ",
        o.genes, " requested"));
  }
  for (const auto& g : BackgroundGenes()) {
    if (static_cast<int64_t>(m.genes.size()) >= limit) break;
    if (curated.count(std::string(g.symbol))) continue;
    m.genes.emplace_back(g.symbol);
    cls.push_back(g.cls);
  }
  if (o.genes > 0 && static_cast<int64_t>(m.genes.size()) < o.genes) {
    return ConfigurationError(absl::StrCat(o.genes, " genes requested; ", m.genes.size(),
                                           " real gene symbols are available"));
  }
  const size_t n_genes = m.genes.size();
  std::map<std::string, int32_t> gene_index;
  for (size_t g = 0; g < n_genes; ++g) gene_index[m.genes[g]] = static_cast<int32_t>(g);

  // Baseline: log-normal expression levels, highest for ribosomal and mitochondrial genes.
  m.base.resize(n_genes);
  m.theta.resize(n_genes);
  for (size_t g = 0; g < n_genes; ++g) {
    double mu = -1.0, sd = 1.3;
    if (cls[g] == GeneClass::kRibosomal) mu = 2.5, sd = 0.4;
    if (cls[g] == GeneClass::kMitochondrial) mu = 2.0, sd = 0.5;
    if (cls[g] == GeneClass::kHousekeeping) mu = 1.5, sd = 0.7;
    m.base[g] = std::exp(mu + sd * rng.Normal());
    m.theta[g] = std::exp(rng.Uniform(std::log(2.0), std::log(20.0)));
  }
  m.type_factor.assign(m.cell_types.size(), std::vector<double>(n_genes, 1.0));
  for (size_t t = 0; t < m.cell_types.size(); ++t) {
    for (size_t g = 0; g < n_genes; ++g) {
      if (cls[g] == GeneClass::kOther) m.type_factor[t][g] = std::exp(0.5 * rng.Normal());
    }
    for (const auto& marker : m.cell_types[t]->genes) {
      m.type_factor[t][static_cast<size_t>(gene_index.at(marker))] *= 25.0;
    }
  }

  // Conditions: three controls, then every curated perturbation.
  const double control_share = 0.35;
  m.conditions = {{"PBS", "control", nullptr, 0.15},
                  {"DMSO", "control", nullptr, 0.10},
                  {"untreated", "control", nullptr, 0.10}};
  for (const auto& p : v.perturbations) {
    m.conditions.push_back(
        {p.name, p.type, &p, (1.0 - control_share) / static_cast<double>(v.perturbations.size())});
  }

  // Donors: stromal tissue alternates lung / colon; every third donor has Crohn disease (colon).
  const CuratedTerm* lung = nullptr;
  const CuratedTerm* colon = nullptr;
  const CuratedTerm* normal = nullptr;
  const CuratedTerm* crohn = nullptr;
  for (const auto& t : v.tissues) {
    if (t.name == "lung") lung = &t;
    if (t.name == "colon") colon = &t;
  }
  for (const auto& d : v.diseases) {
    if (d.name == "normal") normal = &d;
    if (d.id == "MONDO:0005011") crohn = &d;
  }
  if (!lung || !colon || !normal || !crohn) {
    return ConfigurationError("curated tissues/diseases lack lung, colon, normal or Crohn disease");
  }
  for (int d = 0; d < o.donors; ++d) {
    Donor donor;
    donor.id = fmt::format("D{:02d}", d + 1);
    donor.disease = d % 3 == 2 ? crohn : normal;
    donor.stromal_tissue = donor.disease == crohn || d % 2 == 1 ? colon : lung;
    donor.response = std::exp(0.15 * rng.Normal());
    m.donors.push_back(donor);
  }
  m.donor_factor.assign(m.donors.size(), std::vector<double>(n_genes, 1.0));
  for (auto& f : m.donor_factor) {
    for (double& x : f) x = std::exp(0.1 * rng.Normal());
  }

  // Perturbation effects (log2 fold changes).
  m.effects.assign(m.conditions.size(),
                   std::vector<std::vector<std::pair<int32_t, double>>>(m.cell_types.size()));
  for (size_t c = 0; c < m.conditions.size(); ++c) {
    const CuratedPerturbation* p = m.conditions[c].perturbation;
    if (p == nullptr) continue;
    std::vector<std::tuple<int32_t, double, std::string>> gene_effects;  // before cell-type scaling
    for (const auto& g : p->expected_up) {
      gene_effects.emplace_back(gene_index.at(g), rng.Uniform(1.5, 3.0), "expected_up");
    }
    for (const auto& g : p->expected_down) {
      gene_effects.emplace_back(gene_index.at(g), -rng.Uniform(1.0, 2.0), "expected_down");
    }
    if (p->type == "genetic") {
      for (const auto& g : p->targets)
        gene_effects.emplace_back(gene_index.at(g), -4.5, "knockout");
    }
    for (int k = 0; k < 15 && n_genes > curated.size(); ++k) {  // small off-target changes
      const int32_t g =
          static_cast<int32_t>(curated.size() + rng.Next() % (n_genes - curated.size()));
      gene_effects.emplace_back(g, 0.4 * rng.Normal(), "off_target");
    }
    for (size_t t = 0; t < m.cell_types.size(); ++t) {
      HAYSTACK_ASSIGN_OR_RETURN(const double strength,
                                ResponseStrength(v, p->name, *m.cell_types[t]));
      std::map<int32_t, std::pair<double, std::string>> merged;  // a gene listed twice: sum
      for (const auto& [g, lfc, source] : gene_effects) {
        // Knockouts remove the gene everywhere; other effects scale with the cell type's
        // responsiveness and a small per-type jitter.
        const double scaled =
            source == "knockout" ? lfc : lfc * strength * std::exp(0.15 * rng.Normal());
        auto& slot = merged[g];
        slot.first += scaled;
        if (slot.second.empty() || source == "knockout") slot.second = source;
      }
      for (const auto& [g, e] : merged) {
        m.effects[c][t].emplace_back(g, e.first);
        m.effect_table.push_back(
            {p->name, m.cell_types[t]->id, m.genes[static_cast<size_t>(g)], e.first, e.second});
      }
    }
  }
  return m;
}

// Splits `total` by `weights` into integers that sum to `total` (largest remainders).
std::vector<int64_t> Apportion(int64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<int64_t> out(weights.size());
  std::vector<std::pair<double, size_t>> remainders;
  int64_t used = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    out[i] = static_cast<int64_t>(std::floor(exact));
    used += out[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int64_t k = 0; k < total - used; ++k) ++out[remainders[static_cast<size_t>(k)].second];
  return out;
}

// Expected counts proportions of one (donor, condition, type) group, before library size.
std::vector<double> GroupProfile(const Model& m, const CuratedVocabulary& v, const Group& grp) {
  const size_t n = m.genes.size();
  std::vector<double> p(n);
  for (size_t g = 0; g < n; ++g) {
    p[g] = m.base[g] * m.type_factor[static_cast<size_t>(grp.type)][g] *
           m.donor_factor[static_cast<size_t>(grp.donor)][g];
  }
  auto boost = [&](const std::vector<std::string>& genes, double factor) {
    for (const auto& gene : genes) {
      auto it = std::find(m.genes.begin(), m.genes.end(), gene);
      if (it != m.genes.end()) p[static_cast<size_t>(it - m.genes.begin())] *= factor;
    }
  };
  const Donor& donor = m.donors[static_cast<size_t>(grp.donor)];
  const Compartment compartment = m.design[static_cast<size_t>(grp.type)].compartment;
  if (compartment != Compartment::kBlood) {
    // Tissue identity in epithelial cells, ambient traces in the rest of the sample.
    const bool epithelial = compartment == Compartment::kEpithelial;
    boost(donor.stromal_tissue->genes, epithelial ? 30.0 : 3.0);
    boost(donor.disease->genes, epithelial ? 8.0 : 2.0);
  } else {
    for (const auto& t : v.tissues) {
      if (t.name == "blood") boost(t.genes, 5.0);
    }
  }
  double sum = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& x : p) x /= sum;
  for (const auto& [g, lfc] :
       m.effects[static_cast<size_t>(grp.condition)][static_cast<size_t>(grp.type)]) {
    p[static_cast<size_t>(g)] *= std::exp2(lfc * donor.response);
  }
  return p;
}

struct Block {
  std::vector<int64_t> indptr{0};
  std::vector<int32_t> indices;
  std::vector<float> x;
  std::vector<float> counts;
  std::vector<double> total;
  std::vector<int32_t> n_genes;
};

}  // namespace

absl::StatusOr<AnnData> GenerateSyntheticAtlas(const CuratedVocabulary& vocabulary,
                                               const SyntheticAtlasOptions& o) {
  if (o.cells <= 0 || o.donors <= 0 || o.mean_library_size <= 0) {
    return ConfigurationError("synthetic atlas: cells, donors and library size must be positive");
  }
  Rng rng(o.seed);
  HAYSTACK_ASSIGN_OR_RETURN(Model m, BuildModel(vocabulary, o, rng));
  const size_t n_genes = m.genes.size();

  // Groups: donor × condition × cell type, cells apportioned by the weights.
  std::vector<Group> groups;
  std::vector<double> weights;
  for (int d = 0; d < static_cast<int>(m.donors.size()); ++d) {
    for (int c = 0; c < static_cast<int>(m.conditions.size()); ++c) {
      for (int t = 0; t < static_cast<int>(m.cell_types.size()); ++t) {
        groups.push_back({d, c, t, 0, 0});
        weights.push_back(m.conditions[static_cast<size_t>(c)].weight *
                          m.design[static_cast<size_t>(t)].weight);
      }
    }
  }
  const std::vector<int64_t> sizes = Apportion(o.cells, weights);
  int64_t at = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i].begin = at;
    groups[i].count = sizes[i];
    at += sizes[i];
  }
  std::vector<std::vector<double>> profiles(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].count > 0) profiles[i] = GroupProfile(m, vocabulary, groups[i]);
  }

  // Cells, in blocks generated in parallel; each cell's draws depend only on (seed, cell).
  constexpr int64_t kBlock = 2048;
  const int64_t n_blocks = (o.cells + kBlock - 1) / kBlock;
  std::vector<Block> blocks(static_cast<size_t>(n_blocks));
  std::vector<int32_t> cell_group(static_cast<size_t>(o.cells));
  for (size_t i = 0; i < groups.size(); ++i) {
    for (int64_t k = 0; k < groups[i].count; ++k) {
      cell_group[static_cast<size_t>(groups[i].begin + k)] = static_cast<int32_t>(i);
    }
  }
  auto generate = [&](int64_t b) {
    Block& blk = blocks[static_cast<size_t>(b)];
    std::vector<int64_t> counts(n_genes);
    for (int64_t cell = b * kBlock; cell < std::min(o.cells, (b + 1) * kBlock); ++cell) {
      Rng r(SplitMix(o.seed ^ 0xC3115EEDull) ^ SplitMix(static_cast<uint64_t>(cell)));
      const size_t gi = static_cast<size_t>(cell_group[static_cast<size_t>(cell)]);
      const auto& profile = profiles[gi];
      const double library = o.mean_library_size *
                             m.design[static_cast<size_t>(groups[gi].type)].library_size *
                             std::exp(0.35 * r.Normal() - 0.5 * 0.35 * 0.35);
      int64_t total = 0;
      for (size_t g = 0; g < n_genes; ++g) {
        counts[g] = r.NegativeBinomial(library * profile[g], m.theta[g]);
        total += counts[g];
      }
      int32_t detected = 0;
      const double scale = total > 0 ? 1e4 / static_cast<double>(total) : 0.0;
      for (size_t g = 0; g < n_genes; ++g) {
        if (counts[g] == 0) continue;
        ++detected;
        blk.indices.push_back(static_cast<int32_t>(g));
        blk.x.push_back(static_cast<float>(std::log1p(static_cast<double>(counts[g]) * scale)));
        if (o.counts_layer) blk.counts.push_back(static_cast<float>(counts[g]));
      }
      blk.indptr.push_back(static_cast<int64_t>(blk.indices.size()));
      blk.total.push_back(static_cast<double>(total));
      blk.n_genes.push_back(detected);
    }
  };
  ParallelFor(n_blocks, std::max(1, o.threads), [&](int64_t b, int) { generate(b); });

  // Assemble.
  AnnData a;
  CsrMatrix x, counts;
  x.rows = counts.rows = o.cells;
  x.cols = counts.cols = static_cast<int64_t>(n_genes);
  int64_t nnz = 0;
  for (const auto& b : blocks) nnz += static_cast<int64_t>(b.indices.size());
  x.indptr.reserve(static_cast<size_t>(o.cells) + 1);
  x.indptr.push_back(0);
  x.indices.reserve(static_cast<size_t>(nnz));
  x.data.reserve(static_cast<size_t>(nnz));
  std::vector<double> total;
  std::vector<int32_t> detected;
  for (auto& b : blocks) {
    const int64_t offset = x.indptr.back();
    for (size_t i = 1; i < b.indptr.size(); ++i) x.indptr.push_back(offset + b.indptr[i]);
    x.indices.insert(x.indices.end(), b.indices.begin(), b.indices.end());
    x.data.insert(x.data.end(), b.x.begin(), b.x.end());
    if (o.counts_layer) counts.data.insert(counts.data.end(), b.counts.begin(), b.counts.end());
    total.insert(total.end(), b.total.begin(), b.total.end());
    detected.insert(detected.end(), b.n_genes.begin(), b.n_genes.end());
    b = Block();  // release as we go
  }
  if (o.counts_layer) {
    counts.indptr = x.indptr;
    counts.indices = x.indices;
    a.layers["counts"] = std::move(counts);
  }
  a.x = std::move(x);

  // obs.
  const size_t n = static_cast<size_t>(o.cells);
  std::vector<std::string> index(n);
  Categorical cl, ct_name, tissue_id, tissue_name, disease_id, disease_name, donor, dataset,
      perturbation, perturbation_type, condition;
  auto init = [n](Categorical& c, std::vector<std::string> categories) {
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
    c.categories = std::move(categories);
    c.codes.assign(n, -1);
  };
  auto code_of = [](const Categorical& c, const std::string& v) {
    return static_cast<int32_t>(std::lower_bound(c.categories.begin(), c.categories.end(), v) -
                                c.categories.begin());
  };
  {
    std::vector<std::string> cls, names, tids, tnames, dids, dnames, donors, conds, ptypes;
    for (const auto* t : m.cell_types) cls.push_back(t->id), names.push_back(t->name);
    for (const auto& t : vocabulary.tissues) tids.push_back(t.id), tnames.push_back(t.name);
    for (const auto& d : m.donors) {
      donors.push_back(d.id);
      dids.push_back(d.disease->id);
      dnames.push_back(d.disease->name);
    }
    for (const auto& c : m.conditions) conds.push_back(c.name), ptypes.push_back(c.type);
    init(cl, cls);
    init(ct_name, names);
    init(tissue_id, tids);
    init(tissue_name, tnames);
    init(disease_id, dids);
    init(disease_name, dnames);
    init(donor, donors);
    init(dataset, {o.dataset});
    init(perturbation, conds);
    init(perturbation_type, ptypes);
    init(condition, conds);
  }
  const CuratedTerm* blood = nullptr;
  for (const auto& t : vocabulary.tissues) {
    if (t.name == "blood") blood = &t;
  }
  std::vector<bool> is_control(n);
  for (const Group& g : groups) {
    const CuratedTerm* type = m.cell_types[static_cast<size_t>(g.type)];
    const Donor& d = m.donors[static_cast<size_t>(g.donor)];
    const Condition& c = m.conditions[static_cast<size_t>(g.condition)];
    const bool in_blood = m.design[static_cast<size_t>(g.type)].compartment == Compartment::kBlood;
    const CuratedTerm* tissue = !in_blood || blood == nullptr ? d.stromal_tissue : blood;
    for (int64_t k = 0; k < g.count; ++k) {
      const size_t i = static_cast<size_t>(g.begin + k);
      index[i] = fmt::format("{}_{}_{}", d.id, c.name, i);
      cl.codes[i] = code_of(cl, type->id);
      ct_name.codes[i] = code_of(ct_name, type->name);
      tissue_id.codes[i] = code_of(tissue_id, tissue->id);
      tissue_name.codes[i] = code_of(tissue_name, tissue->name);
      disease_id.codes[i] = code_of(disease_id, d.disease->id);
      disease_name.codes[i] = code_of(disease_name, d.disease->name);
      donor.codes[i] = code_of(donor, d.id);
      dataset.codes[i] = 0;
      perturbation.codes[i] = code_of(perturbation, c.name);
      perturbation_type.codes[i] = code_of(perturbation_type, c.type);
      condition.codes[i] = code_of(condition, c.name);
      is_control[i] = c.perturbation == nullptr;
    }
  }
  // Drop categories no cell uses (small atlases), as pandas' remove_unused_categories would.
  auto prune = [](Categorical& c) {
    std::vector<int32_t> remap(c.categories.size(), -1);
    std::vector<std::string> kept;
    std::vector<bool> used(c.categories.size(), false);
    for (int32_t code : c.codes) {
      if (code >= 0) used[static_cast<size_t>(code)] = true;
    }
    for (size_t i = 0; i < c.categories.size(); ++i) {
      if (used[i]) {
        remap[i] = static_cast<int32_t>(kept.size());
        kept.push_back(c.categories[i]);
      }
    }
    for (int32_t& code : c.codes) {
      if (code >= 0) code = remap[static_cast<size_t>(code)];
    }
    c.categories = std::move(kept);
  };
  a.obs.index = std::move(index);
  for (auto [name, column] : std::initializer_list<std::pair<const char*, Categorical*>>{
           {"cell_type_ontology_term_id", &cl},
           {"cell_type", &ct_name},
           {"tissue_ontology_term_id", &tissue_id},
           {"tissue", &tissue_name},
           {"disease_ontology_term_id", &disease_id},
           {"disease", &disease_name},
           {"donor_id", &donor},
           {"dataset", &dataset},
           {"perturbation", &perturbation},
           {"perturbation_type", &perturbation_type},
           {"condition", &condition}}) {
    prune(*column);
    a.obs.columns.push_back({name, std::move(*column), std::nullopt});
  }
  a.obs.columns.push_back({"is_control", std::move(is_control), std::nullopt});
  a.obs.columns.push_back({"total_counts", std::move(total), std::nullopt});
  a.obs.columns.push_back({"n_genes_by_counts", std::move(detected), std::nullopt});

  // var: gene symbols.
  a.var.index = m.genes;
  a.var.columns.push_back({"feature_name", m.genes, std::nullopt});

  // uns: parameters and the drawn effects.
  DataFrame effects;
  std::vector<std::string> e_pert, e_type, e_gene, e_source;
  std::vector<double> e_lfc;
  for (size_t i = 0; i < m.effect_table.size(); ++i) {
    const Effect& e = m.effect_table[i];
    effects.index.push_back(std::to_string(i));
    e_pert.push_back(e.perturbation);
    e_type.push_back(e.cell_type);
    e_gene.push_back(e.gene);
    e_lfc.push_back(e.log2fc);
    e_source.push_back(e.source);
  }
  effects.columns = {{"perturbation", Categorical::FromStrings(e_pert), std::nullopt},
                     {"cell_type_ontology_term_id", Categorical::FromStrings(e_type), std::nullopt},
                     {"gene", std::move(e_gene), std::nullopt},
                     {"log2fc", std::move(e_lfc), std::nullopt},
                     {"source", Categorical::FromStrings(e_source), std::nullopt}};
  std::vector<double> donor_response;
  for (const auto& d : m.donors) donor_response.push_back(d.response);
  a.uns["haystack_synthetic"] = UnsValue::Dict{
      {"description",
       "SYNTHETIC atlas generated by haystack-atlas synth: negative-binomial counts from curated "
       "cell types, tissues, diseases and perturbation effects; not measured data."},
      {"seed", static_cast<int64_t>(o.seed)},
      {"cells", o.cells},
      {"donors", static_cast<int64_t>(o.donors)},
      {"mean_library_size", o.mean_library_size},
      {"normalization", "X = log1p(counts / total_counts * 1e4); layers['counts'] = counts"},
      {"control_conditions", std::vector<std::string>{"PBS", "DMSO", "untreated"}},
      {"donor_response", std::move(donor_response)},
      {"effects", std::move(effects)},
  };
  return a;
}

}  // namespace haystack::synth
