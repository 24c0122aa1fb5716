// Assembles the perturbational grounding score from its components (docs/scoring.md §3-§5).
#include "haystack/scoring/perturbational.h"

#include <algorithm>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/scoring/composite.h"

namespace haystack::scoring {
namespace {

// A component counts as low at 5 or below: the neutral literature score and anything under it.
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
    } else if (c.name == "literature_support" && *c.score < kLowScore) {
      out.push_back(fmt::format(
          "The prediction contradicts curated knowledge about {} ({}). Review the prompt "
          "cells' condition labels and prefer prompts from another dataset.",
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

}  // namespace

absl::StatusOr<GroundingScore> ScorePerturbational(const KnowledgeBase& kb,
                                                   const PerturbationalInputs& inputs,
                                                   const PerturbationalOptions& options) {
  if (inputs.de == nullptr) {
    return EvaluationError("grounding score: no differential-expression result was given");
  }
  const DeResult& de = *inputs.de;
  const Perturbation* perturbation = inputs.perturbation;
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
  const std::string unresolved = "the perturbation is not in the knowledge base";

  // Pathway coherence.
  ScoreComponent pathway;
  if (perturbation == nullptr) {
    pathway = {"pathway_coherence", std::nullopt, kPathwayWeight, "not scored: " + unresolved,
               unresolved};
  } else if (inputs.enrichment == nullptr) {
    pathway = {"pathway_coherence", std::nullopt, kPathwayWeight,
               "not scored: " + inputs.enrichment_unavailable_reason,
               inputs.enrichment_unavailable_reason};
  } else {
    pathway = PathwayCoherence(inputs.enrichment, perturbation->expected_pathways, options);
  }

  // Target activation.
  ScoreComponent target = perturbation != nullptr
                              ? TargetActivation(de, *perturbation)
                              : ScoreComponent{"target_activation", std::nullopt, kTargetWeight,
                                               "not scored: " + unresolved, unresolved};

  // Literature support.
  ScoreComponent literature{"literature_support", std::nullopt, kLiteratureWeight, "", ""};
  if (!inputs.enable_literature) {
    literature.unavailable_reason = "literature search is disabled for this run";
  } else if (perturbation == nullptr) {
    literature.unavailable_reason = unresolved;
  } else {
    std::vector<std::string> query = perturbation->targets;
    query.push_back(perturbation->name);
    std::vector<std::string> top;
    for (size_t i : RankedDeGenes(de)) {
      if (static_cast<int>(top.size()) >= options.literature_genes) break;
      top.push_back(de.genes[i]);
    }
    auto co = kb.CoCitations(query, top);
    if (co.ok()) {
      LiteratureAssessment a = LiteratureSupport(de, *perturbation, *co);
      literature = std::move(a.component);
      s.literature_evidence = std::move(a.evidence);
    } else {
      literature.unavailable_reason =
          fmt::format("the literature source failed: {}", std::string(co.status().message()));
    }
  }
  if (!literature.score.has_value())
    literature.rationale = "not scored: " + literature.unavailable_reason;

  // Network coherence.
  ScoreComponent network;
  auto net = kb.Network();
  if (net.ok() && *net != nullptr) {
    network = NetworkCoherence(de, **net, options);
  } else {
    const std::string reason = net.ok() ? "no interaction network is available"
                                        : fmt::format("the interaction network failed to load: {}",
                                                      std::string(net.status().message()));
    network = {"network_coherence", std::nullopt, kNetworkWeight, "not scored: " + reason, reason};
  }

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
  s.improvement_suggestions = Suggestions(s, perturbation);
  return s;
}

}  // namespace haystack::scoring
