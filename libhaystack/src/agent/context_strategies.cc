// Strategies that look beyond the query's own cells: related cell types in the Cell Ontology
// (ontology-guided), the target donor's other cells (donor context) and the target tissue's
// cells in other donors (tissue atlas).
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "internal/candidates.h"
#include "internal/strategies.h"

namespace haystack::agent_internal {
namespace {

// Ontology neighbours up to grandparents and siblings (docs/agent.md, "Prompt strategies").
constexpr int kMaxOntologyDistance = 2;
// Tissue-atlas relevance: same tissue; same tissue and disease state.
constexpr double kSameTissueRelevance = 0.8;
constexpr double kSameTissueAndDiseaseRelevance = 1.0;
// The perturbation in an unrelated cell type: weaker than any ontology neighbour (distance 2
// gives 1/3).
constexpr double kElsewhereRelevance = 0.2;

// The observational context a prompt should come from: the target donor, tissue, disease.
void AddContext(const StructuredQuery& q, const CellAtlas& atlas, CellFilter& filter) {
  if (q.target_donor_id) filter.Where(AtlasField::kDonor, *q.target_donor_id);
  if (q.target_tissue && atlas.HasField(AtlasField::kTissue)) {
    filter.Where(AtlasField::kTissue, *q.target_tissue);
  }
  if (q.target_disease_state && atlas.HasField(AtlasField::kDisease)) {
    filter.Where(AtlasField::kDisease, *q.target_disease_state);
  }
}

bool IsQueryCellTypeOf(const PromptCandidate& c, const StructuredQuery& q, bool same_donor_only) {
  const auto cell_type = c.selection.find(std::string(DefaultColumnName(AtlasField::kCellType)));
  const std::vector<std::string> ids = QueryCellTypeIds(q);
  if (cell_type == c.selection.end() ||
      std::find(ids.begin(), ids.end(), cell_type->second) == ids.end()) {
    return false;
  }
  if (!same_donor_only) return true;
  const auto donor = c.selection.find(std::string(DefaultColumnName(AtlasField::kDonor)));
  return q.target_donor_id && donor != c.selection.end() && donor->second == *q.target_donor_id;
}

class OntologyStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kOntology; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    std::vector<PromptCandidate> out;
    const StructuredQuery& q = in.query;
    const bool perturbational = IsPerturbational(q.task_type);
    if (!q.cell_type_cl_id) {
      return perturbational && q.perturbation_resolved ? ElsewhereInAtlas(in) : out;
    }
    if (perturbational &&
        (!q.perturbation_resolved || !in.atlas.HasField(AtlasField::kPerturbation))) {
      return out;
    }
    // A cell type the knowledge base does not know has no ontology neighbours to draw on.
    absl::StatusOr<std::vector<OntologyNeighbor>> neighbors =
        in.knowledge.Neighbors(*q.cell_type_cl_id, kMaxOntologyDistance);
    if (!neighbors.ok()) {
      if (neighbors.status().code() != absl::StatusCode::kNotFound) return neighbors.status();
      return perturbational ? ElsewhereInAtlas(in) : out;
    }
    const std::string query_label = q.cell_type_name.value_or(*q.cell_type_cl_id);
    const std::vector<std::string> selected = QueryCellTypeIds(q);
    for (const OntologyNeighbor& n : *neighbors) {
      if (std::find(selected.begin(), selected.end(), n.term.id) != selected.end()) continue;
      CellFilter filter;
      filter.Where(AtlasField::kCellType, n.term.id);
      std::string what;
      if (perturbational) {
        filter.Where(AtlasField::kPerturbation, *q.perturbation_resolved);
        PerturbedOnly(in.atlas, filter);
        what = absl::StrCat(*q.perturbation_resolved, " in ");
      } else {
        AddContext(q, in.atlas, filter);
        UnperturbedOnly(in.atlas, filter);
      }
      const double relevance = 1.0 / (n.distance + 1);
      const std::string rationale =
          absl::StrCat(what, n.term.name, " (", n.term.id, "), the ", n.relation, " of ",
                       query_label, " (ontology distance ", n.distance, ")");
      HAYSTACK_ASSIGN_OR_RETURN(
          std::vector<PromptCandidate> candidates,
          CandidatesFromGroups(in.atlas, filter, kind(), relevance, rationale));
      for (PromptCandidate& c : candidates) {
        c.ontology_distance = n.distance;
        out.push_back(std::move(c));
      }
    }
    if (out.empty() && perturbational) return ElsewhereInAtlas(in);
    return out;
  }

 private:
  // The perturbation measured in other cell types of the atlas, when no ontology neighbour of
  // the query's cell type holds it (or the knowledge base does not know the cell type): the
  // atlas's own evidence for its response, at a low relevance.
  absl::StatusOr<std::vector<PromptCandidate>> ElsewhereInAtlas(const StrategyInputs& in) const {
    const StructuredQuery& q = in.query;
    CellFilter filter;
    filter.Where(AtlasField::kPerturbation, *q.perturbation_resolved);
    PerturbedOnly(in.atlas, filter);
    AtQueryCondition(in.atlas, q, filter);
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<PromptCandidate> candidates,
        CandidatesFromGroups(
            in.atlas, filter, kind(), kElsewhereRelevance,
            absl::StrCat(*q.perturbation_resolved,
                         " measured in another cell type of the atlas (no "
                         "ontology neighbour of ",
                         q.cell_type_name.value_or("the cell type"), " holds it)")));
    std::vector<PromptCandidate> out;
    for (PromptCandidate& c : candidates) {
      if (!IsQueryCellTypeOf(c, q, /*same_donor_only=*/false)) out.push_back(std::move(c));
    }
    return out;
  }
};

class DonorContextStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kDonorContext; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    std::vector<PromptCandidate> out;
    const StructuredQuery& q = in.query;
    if (!q.target_donor_id) return out;
    CellFilter filter;
    filter.Where(AtlasField::kDonor, *q.target_donor_id);
    UnperturbedOnly(in.atlas, filter);
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<PromptCandidate> candidates,
        CandidatesFromGroups(in.atlas, filter, kind(), 1.0,
                             absl::StrCat("cells of donor ", *q.target_donor_id,
                                          " carry that donor's genotype and state")));
    for (PromptCandidate& c : candidates) {
      if (!IsQueryCellTypeOf(c, q, /*same_donor_only=*/false)) out.push_back(std::move(c));
    }
    return out;
  }
};

class TissueAtlasStrategy final : public PromptStrategy {
 public:
  PromptStrategyKind kind() const override { return PromptStrategyKind::kTissueAtlas; }
  absl::StatusOr<std::vector<PromptCandidate>> Generate(const StrategyInputs& in) const override {
    std::vector<PromptCandidate> out;
    const StructuredQuery& q = in.query;
    const bool tissue = q.target_tissue && in.atlas.HasField(AtlasField::kTissue);
    const bool disease = q.target_disease_state && in.atlas.HasField(AtlasField::kDisease);
    if (!tissue && !disease) return out;
    CellFilter filter;
    std::string where;
    if (tissue) {
      filter.Where(AtlasField::kTissue, *q.target_tissue);
      where = *q.target_tissue;
    }
    if (disease) {
      filter.Where(AtlasField::kDisease, *q.target_disease_state);
      where = where.empty() ? *q.target_disease_state
                            : absl::StrCat(where, " with ", *q.target_disease_state);
    }
    UnperturbedOnly(in.atlas, filter);
    const double relevance =
        tissue && disease ? kSameTissueAndDiseaseRelevance : kSameTissueRelevance;
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<PromptCandidate> candidates,
        CandidatesFromGroups(in.atlas, filter, kind(), relevance,
                             absl::StrCat("cells from ", where, " across donors")));
    for (PromptCandidate& c : candidates) {
      if (!IsQueryCellTypeOf(c, q, /*same_donor_only=*/true)) out.push_back(std::move(c));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<PromptStrategy> MakeOntologyStrategy() {
  return std::make_unique<OntologyStrategy>();
}
std::unique_ptr<PromptStrategy> MakeDonorContextStrategy() {
  return std::make_unique<DonorContextStrategy>();
}
std::unique_ptr<PromptStrategy> MakeTissueAtlasStrategy() {
  return std::make_unique<TissueAtlasStrategy>();
}

}  // namespace haystack::agent_internal
