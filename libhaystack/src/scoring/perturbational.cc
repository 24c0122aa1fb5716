// Assembles the perturbational grounding score from its components (docs/scoring.md §3-§5).
#include "haystack/scoring/perturbational.h"

#include <algorithm>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/scoring/composite.h"

namespace haystack::scoring {
namespace {

// A component counts as low at 5 or below.
constexpr int kLowScore = 5;

bool Low(const ScoreComponent& c) { return c.score.has_value() && *c.score <= kLowScore; }

std::vector<std::string> Suggestions(const GroundingScore& s, const Perturbation* perturbation) {
  std::vector<std::string> out;
  const std::string name = perturbation ? perturbation->name : std::string("the perturbation");
  if (s.de_genes_up.empty() && s.de_genes_down.empty()) {
    out.push_back(
        "The prediction has no differentially expressed genes: it is indistinguishable from the "
        "control. Use prompt cells with a strong, direct response to " +
        name + " (direct strategy) or more prompt cells.");
  }
  for (const ScoreComponent& c : s.components) {
    if (!Low(c)) continue;
    if (c.name == "pathway_coherence") {
      out.push_back(fmt::format(
          "Expected pathways of {} are weak or absent among the enriched sets ({}). Try "
          "mechanistic prompts (cells perturbed through the same targets or pathways) or "
          "ontology prompts from closely related cell types.",
          name, c.rationale));
    } else if (c.name == "target_activation") {
      out.push_back(fmt::format(
          "Known targets and downstream genes of {} do not move as expected ({}). Prefer "
          "direct prompts with the exact perturbation, or mechanistic prompts that share its "
          "targets.",
          name, c.rationale));
    } else if (c.name == "network_coherence") {
      out.push_back(fmt::format(
          "The DE genes do not form connected modules ({}); the response looks diffuse. Use "
          "fewer, more homogeneous prompt cells (direct or donor_context strategies).",
          c.rationale));
    } else if (c.name == "literature_support") {
      out.push_back(fmt::format(
          "Few of the top DE genes are known in the literature alongside {} ({}). Prefer "
          "prompts with the exact perturbation (direct) or its mechanism (mechanistic).",
          name, c.rationale));
    }
  }
  for (const ScoreComponent& c : s.components) {
    if (!c.score.has_value()) {
      out.push_back(
          fmt::format("{} could not be scored ({}); the composite uses the other "
                      "components with renormalised weights.",
                      c.name, c.unavailable_reason));
    }
  }
  if (s.control_strategy == ControlStrategy::kQueryAsControl) {
    out.push_back(
        "DE used the query cells as control (query_as_control, −0.5 confidence penalty); "
        "matched control cells for the prompts would allow synthetic_control.");
  }
  return out;
}

const char kUnresolved[] = "the perturbation is not in the knowledge base";

ScoreComponent Unavailable(std::string name, double weight, std::string reason) {
  ScoreComponent c{std::move(name), std::nullopt, weight, "", std::move(reason)};
  c.rationale = "not scored: " + c.unavailable_reason;
  return c;
}

ScoreComponent PathwayComponent(const PerturbationalInputs& in,
                                const PerturbationalOptions& options) {
  if (in.perturbation == nullptr) {
    return Unavailable("pathway_coherence", kPathwayWeight, kUnresolved);
  }
  if (in.enrichment == nullptr) {
    return Unavailable("pathway_coherence", kPathwayWeight, in.enrichment_unavailable_reason);
  }
  return PathwayCoherence(in.enrichment, in.perturbation->expected_pathways, options);
}

ScoreComponent LiteratureComponent(const KnowledgeBase& kb, const PerturbationalInputs& in,
                                   const PerturbationalOptions& options,
                                   std::vector<LiteratureEvidence>& evidence) {
  constexpr const char* kName = "literature_support";
  if (!in.enable_literature) {
    return Unavailable(kName, kLiteratureWeight, "literature search is disabled for this run");
  }
  if (in.perturbation == nullptr) return Unavailable(kName, kLiteratureWeight, kUnresolved);
  std::vector<std::string> query = in.perturbation->targets;
  query.push_back(in.perturbation->name);
  std::vector<std::string> top;
  for (size_t i : RankedDeGenes(*in.de)) {
    if (static_cast<int>(top.size()) >= options.literature_genes) break;
    top.push_back(in.de->genes[i]);
  }
  auto co = kb.CoCitations(query, top);
  if (!co.ok()) {
    return Unavailable(
        kName, kLiteratureWeight,
        fmt::format("the literature source failed: {}", std::string(co.status().message())));
  }
  LiteratureAssessment a = LiteratureSupport(*in.perturbation, *co);
  evidence = std::move(a.evidence);
  return std::move(a.component);
}

ScoreComponent NetworkComponent(const KnowledgeBase& kb, const DeResult& de,
                                const PerturbationalOptions& options) {
  auto net = kb.Network();
  if (net.ok() && *net != nullptr) return NetworkCoherence(de, **net, options);
  return Unavailable("network_coherence", kNetworkWeight,
                     net.ok() ? "no interaction network is available"
                              : fmt::format("the interaction network failed to load: {}",
                                            std::string(net.status().message())));
}

}  // namespace

absl::StatusOr<GroundingScore> ScorePerturbational(const KnowledgeBase& kb,
                                                   const PerturbationalInputs& inputs,
                                                   const PerturbationalOptions& options) {
  if (inputs.de == nullptr) {
    return EvaluationError("grounding score: no differential-expression result was given");
  }
  const DeResult& de = *inputs.de;
  GroundingScore s;
  s.control_strategy = inputs.control_strategy;
  s.de_summary = de.summary;
  s.de_genes_up = de.up;
  s.de_genes_down = de.down;
  if (inputs.enrichment != nullptr) {
    for (const EnrichedPathway& p : inputs.enrichment->pathways) {
      if (p.adjusted_p_value <= options.pathway_alpha) s.enriched_pathways.push_back(p);
    }
  }
  ScoreComponent pathway = PathwayComponent(inputs, options);
  ScoreComponent target = inputs.perturbation != nullptr
                              ? TargetActivation(de, *inputs.perturbation)
                              : Unavailable("target_activation", kTargetWeight, kUnresolved);
  ScoreComponent literature = LiteratureComponent(kb, inputs, options, s.literature_evidence);
  ScoreComponent network = NetworkComponent(kb, de, options);

  s.pathway_coherence = pathway.score;
  s.target_activation = target.score;
  s.literature_support = literature.score;
  s.network_coherence = network.score;
  s.components = {std::move(pathway), std::move(target), std::move(literature), std::move(network)};
  const double penalty =
      inputs.control_strategy == ControlStrategy::kQueryAsControl ? kQueryAsControlPenalty : 0;
  const Composite composite = ComputeComposite(s.components, penalty);
  s.composite_score = composite.score;
  s.composite_raw = composite.raw;
  s.confidence_penalty = composite.penalty;
  s.improvement_suggestions = Suggestions(s, inputs.perturbation);
  return s;
}

}  // namespace haystack::scoring
