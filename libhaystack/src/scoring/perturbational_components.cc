// The four perturbational components; formulas in docs/scoring.md §3.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <span>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/random.h"
#include "haystack/scoring/composite.h"
#include "haystack/scoring/perturbational.h"
#include "internal/distributions.h"

namespace haystack::scoring {
namespace {

ScoreComponent Unavailable(std::string name, double weight, std::string reason) {
  ScoreComponent c;
  c.name = std::move(name);
  c.weight = weight;
  c.unavailable_reason = std::move(reason);
  c.rationale = "not scored: " + c.unavailable_reason;
  return c;
}

bool Significant(const DeResult& de, size_t i) {
  return de.adjusted_p_value[i] <= de.summary.pval_threshold;
}

// min(1, |lfc| / (2·threshold)): full credit at twice the DE fold-change threshold.
double Magnitude(const DeResult& de, size_t i) {
  const double scale = std::max(1e-9, 2 * de.summary.lfc_threshold);
  return std::min(1.0, std::fabs(de.log2_fold_change[i]) / scale);
}

}  // namespace

ScoreComponent PathwayCoherence(const EnrichmentResult* enrichment,
                                const std::vector<std::string>& expected_pathways,
                                const PerturbationalOptions& options) {
  constexpr const char* kName = "pathway_coherence";
  if (enrichment == nullptr)
    return Unavailable(kName, kPathwayWeight, "pathway enrichment unavailable");
  if (expected_pathways.empty()) {
    return Unavailable(kName, kPathwayWeight,
                       "no expected pathways are known for the perturbation");
  }
  std::vector<std::string> tested;
  for (const std::string& id : expected_pathways) {
    if (std::binary_search(enrichment->tested_set_ids.begin(), enrichment->tested_set_ids.end(),
                           id)) {
      tested.push_back(id);
    }
  }
  if (tested.empty()) {
    return Unavailable(kName, kPathwayWeight,
                       fmt::format("none of the expected pathways ({}) passed the gene-set size "
                                   "bounds of the tested collections",
                                   fmt::join(expected_pathways, ", ")));
  }
  // Rank of each set among the distinct sets of the coherence collections, best entry (either
  // direction) first; an alias (a set identical to the one tested) shares its set's entry.
  const auto& wanted = options.pathway_collections;
  std::map<std::string, std::pair<int, double>> rank_and_q;
  int rank = 0;
  for (const EnrichedPathway& p : enrichment->pathways) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), p.collection) == wanted.end()) {
      continue;
    }
    if (rank_and_q.count(p.set_id) > 0) continue;
    rank_and_q[p.set_id] = {++rank, p.adjusted_p_value};
    for (const std::string& alias : p.aliases) rank_and_q.emplace(alias, rank_and_q[p.set_id]);
  }
  double best = 0;
  double sum = 0;
  std::vector<std::string> hits;
  for (const std::string& id : tested) {
    auto it = rank_and_q.find(id);
    if (it == rank_and_q.end()) continue;
    const auto [set_rank, q] = it->second;
    if (!(q <= options.pathway_alpha)) continue;
    const double significance = std::clamp(-std::log10(std::max(q, 1e-300)) / 4, 0.0, 1.0);
    const double rank_credit = 1 / (1 + std::log2(static_cast<double>(set_rank)));
    const double s = significance * (0.5 + 0.5 * rank_credit);
    best = std::max(best, s);
    sum += s;
    hits.push_back(fmt::format("{} (rank {}, adjusted p {:.2g})", id, set_rank, q));
  }
  const double strength = 0.6 * best + 0.4 * sum / static_cast<double>(tested.size());
  ScoreComponent c;
  c.name = kName;
  c.weight = kPathwayWeight;
  c.score = ScoreFromStrength(strength);
  c.rationale = fmt::format(
      "{} of {} testable expected pathways enriched at adjusted p <= {} in {}{}{}; strength {:.3f}",
      hits.size(), tested.size(), options.pathway_alpha,
      wanted.empty() ? std::string("every collection") : fmt::format("{}", fmt::join(wanted, ", ")),
      hits.empty() ? "" : ": ", fmt::join(hits, ", "), strength);
  return c;
}

ScoreComponent TargetActivation(const DeResult& de, const Perturbation& perturbation) {
  constexpr const char* kName = "target_activation";
  // gene → expected direction (+1, −1, or 0 for a target of unknown direction)
  std::map<std::string, int> expected;
  for (const auto& g : perturbation.targets) expected[g] = 0;
  for (const auto& g : perturbation.expected_up) expected[g] = 1;
  for (const auto& g : perturbation.expected_down) expected[g] = -1;
  double weighted = 0;
  double weights = 0;
  std::vector<std::string> matched, opposed, missing;
  for (const auto& [gene, direction] : expected) {
    const int64_t i = de.IndexOf(gene);
    if (i < 0) {
      missing.push_back(gene);
      continue;
    }
    const auto g = static_cast<size_t>(i);
    const double weight = direction == 0 ? 0.5 : 1.0;
    double credit = 0;
    if (Significant(de, g)) {
      const double lfc = de.log2_fold_change[g];
      if (direction == 0) {
        credit = Magnitude(de, g);
      } else {
        credit = (lfc * direction > 0 ? 1 : -1) * Magnitude(de, g);
      }
      if (credit > 0) matched.push_back(fmt::format("{} ({:+.2f})", gene, lfc));
      if (credit < 0) opposed.push_back(fmt::format("{} ({:+.2f})", gene, lfc));
    }
    weighted += weight * credit;
    weights += weight;
  }
  if (weights == 0) {
    return Unavailable(kName, kTargetWeight,
                       expected.empty()
                           ? "no targets or expected downstream genes are known"
                           : fmt::format("none of the expected genes ({}) is among the tested "
                                         "genes",
                                         fmt::join(missing, ", ")));
  }
  const double strength = weighted / weights;
  ScoreComponent c;
  c.name = kName;
  c.weight = kTargetWeight;
  c.score = ScoreFromStrength(strength);
  c.rationale = fmt::format(
      "{} expected genes tested; moving as expected: {}; opposite: {}; not tested: {}; "
      "strength {:.3f}",
      static_cast<int>(expected.size() - missing.size()),
      matched.empty() ? "none" : fmt::format("{}", fmt::join(matched, ", ")),
      opposed.empty() ? "none" : fmt::format("{}", fmt::join(opposed, ", ")),
      missing.empty() ? "none" : fmt::format("{}", fmt::join(missing, ", ")), strength);
  return c;
}

ScoreComponent NetworkCoherence(const DeResult& de, const InteractionNetwork& network,
                                const PerturbationalOptions& options) {
  constexpr const char* kName = "network_coherence";
  const auto n_nodes = static_cast<int32_t>(network.genes.size());
  if (n_nodes == 0) return Unavailable(kName, kNetworkWeight, "the interaction network is empty");
  std::vector<int32_t> nodes;
  for (size_t i : RankedDeGenes(de)) {
    if (static_cast<int>(nodes.size()) >= options.network_max_genes) break;
    const int32_t node = network.IndexOf(de.genes[i]);
    if (node >= 0) nodes.push_back(node);
  }
  ScoreComponent c;
  c.name = kName;
  c.weight = kNetworkWeight;
  if (nodes.size() < 3) {
    c.score = 1;
    c.rationale = fmt::format("only {} DE genes are in the network ({}); no module can form",
                              nodes.size(), network.source);
    return c;
  }
  std::vector<uint8_t> in_set(static_cast<size_t>(n_nodes), 0);
  auto count_edges = [&](const std::vector<int32_t>& set) {
    for (int32_t v : set) in_set[static_cast<size_t>(v)] = 1;
    int64_t edges = 0;
    for (int32_t v : set) {
      for (int32_t w : network.adjacency[static_cast<size_t>(v)]) {
        if (w > v && in_set[static_cast<size_t>(w)]) ++edges;
      }
    }
    for (int32_t v : set) in_set[static_cast<size_t>(v)] = 0;
    return edges;
  };
  const int64_t observed = count_edges(nodes);

  // Degree-matched null: nodes binned by floor(log2(degree + 1)); each random set draws as many
  // nodes from each bin as the DE set has, without replacement.
  auto bin_of = [&](int32_t v) {
    return static_cast<int>(std::floor(
        std::log2(static_cast<double>(network.adjacency[static_cast<size_t>(v)].size()) + 1)));
  };
  std::map<int, std::vector<int32_t>> bins;
  for (int32_t v = 0; v < n_nodes; ++v) bins[bin_of(v)].push_back(v);
  std::map<int, int> need;
  for (int32_t v : nodes) ++need[bin_of(v)];
  SeededRandom random(options.network_seed);
  int at_least = 0;
  double sum = 0, sum_sq = 0;
  std::vector<int32_t> sample;
  for (int r = 0; r < options.network_random_sets; ++r) {
    sample.clear();
    for (const auto& [bin, count] : need) {
      std::vector<int32_t>& pool = bins[bin];
      PartialShuffle(std::span<int32_t>(pool), static_cast<size_t>(count), random);
      sample.insert(sample.end(), pool.begin(), pool.begin() + count);
    }
    const auto e = static_cast<double>(count_edges(sample));
    at_least += e >= static_cast<double>(observed);
    sum += e;
    sum_sq += e * e;
  }
  const double n = options.network_random_sets;
  const double p = (1 + at_least) / (n + 1);
  const double mean = sum / n;
  const double sd = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
  const double strength = std::log10(1 / p) / std::log10(n + 1);
  c.score = ScoreFromStrength(strength);
  c.rationale = fmt::format(
      "{} DE genes in the network ({}) share {} edges; degree-matched random sets: mean {:.1f} "
      "(sd {:.1f}), empirical p {:.3g} over {} sets",
      nodes.size(), network.source, observed, mean, sd, p, options.network_random_sets);
  return c;
}

int LiteratureScore(int supported, int checked) {
  if (checked <= 0) return 1;
  return ScoreFromStrength(static_cast<double>(supported) /
                           static_cast<double>(std::max(checked, kLiteratureMinDenominator)));
}

double CoCitationPValue(const CoCitation& cc) {
  return scoring_internal::HypergeometricUpperTail(cc.shared_publications, cc.corpus_publications,
                                                   cc.query_publications, cc.gene_publications);
}

LiteratureAssessment LiteratureSupport(const Perturbation& perturbation,
                                       const std::vector<CoCitation>& co_citations) {
  LiteratureAssessment out;
  int supported = 0;
  std::vector<std::string> names;
  for (const CoCitation& cc : co_citations) {
    const double p = CoCitationPValue(cc);
    if (cc.shared_publications >= 2 && p <= kCoCitationAlpha) {
      ++supported;
      names.push_back(cc.gene);
      out.evidence.push_back(
          {cc.gene, "supports_prediction", cc.shared_publications, cc.expected_shared,
           cc.example_publication_ids,
           fmt::format("co-cited with {} or its targets in {} papers ({:.2f} expected, "
                       "hypergeometric p {:.2g})",
                       perturbation.name, cc.shared_publications, cc.expected_shared, p)});
    } else if (cc.shared_publications >= 1) {
      out.evidence.push_back({cc.gene, "provides_context", cc.shared_publications,
                              cc.expected_shared, cc.example_publication_ids,
                              fmt::format("co-cited, not above chance (p {:.2g})", p)});
    }
  }
  const int checked = static_cast<int>(co_citations.size());
  ScoreComponent& c = out.component;
  c.name = "literature_support";
  c.weight = kLiteratureWeight;
  c.score = LiteratureScore(supported, checked);
  c.rationale =
      checked == 0
          ? std::string(
                "no DE genes to look up: nothing the prediction changes has literature "
                "support")
          : fmt::format(
                "{} of the {} most significant DE genes are co-cited with {} or its targets "
                "beyond chance (>= 2 papers, hypergeometric p <= {}; papers naming more than {} "
                "genes left out){}{}",
                supported, checked, perturbation.name, kCoCitationAlpha, kMaxGenesPerPublication,
                names.empty() ? "" : ": ", fmt::join(names, ", "));
  return out;
}

}  // namespace haystack::scoring
