#include "internal/observational_references.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/candidates.h"
#include "internal/matrix_rows.h"

namespace haystack::agent_internal {
namespace {

using scoring::ComputeProfile;
using scoring::ObservationalReferences;
using scoring::Profile;
using scoring::Signature;

// Enough cells for a stable mean, few enough to stay cheap on wide atlases.
constexpr size_t kCellsPerProfile = 200;
constexpr int kMinCells = 10;
constexpr size_t kMaxOtherCellTypes = 12;
constexpr size_t kMaxStrata = 6;

// Evenly spaced members of `cells`: deterministic and spread over donors and datasets (the
// atlas orders cells by group).
std::vector<int64_t> Spread(const std::vector<int64_t>& cells, size_t n) {
  if (cells.size() <= n) return cells;
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(cells[i * cells.size() / n]);
  return out;
}

std::vector<int64_t> Without(std::vector<int64_t> cells, const std::vector<int64_t>& sorted_out) {
  std::vector<int64_t> rest;
  std::set_difference(cells.begin(), cells.end(), sorted_out.begin(), sorted_out.end(),
                      std::back_inserter(rest));
  return rest;
}

class Reader {
 public:
  Reader(const CellAtlas& atlas, const std::vector<std::string>& genes)
      : atlas_(atlas), genes_(genes) {}

  // Unperturbed cells matching `filter`.
  absl::StatusOr<std::vector<int64_t>> Cells(CellFilter filter) const {
    UnperturbedOnly(atlas_, filter);
    return atlas_.Select(filter);
  }
  absl::StatusOr<Profile> ProfileOf(const std::vector<int64_t>& cells, std::string label) const {
    HAYSTACK_ASSIGN_OR_RETURN(ExpressionMatrix m,
                              GatherOver(atlas_, Spread(cells, kCellsPerProfile), genes_));
    Profile p = ComputeProfile(m, std::move(label));
    p.cells = static_cast<int64_t>(std::min(cells.size(), kCellsPerProfile));
    return p;
  }
  // "natural killer cell" for CL:0000623 when the atlas has labels.
  std::string TypeLabel(const std::string& id, int64_t any_cell) const {
    if (!atlas_.HasField(AtlasField::kCellTypeName)) return id;
    auto name = atlas_.ValueOf(AtlasField::kCellTypeName, any_cell);
    return name.ok() && !name->empty() ? *name : id;
  }
  // Distinct values of `field` among unperturbed cells matching `filter`, most cells first.
  absl::StatusOr<std::vector<GroupCount>> Groups(AtlasField field, CellFilter filter) const {
    UnperturbedOnly(atlas_, filter);
    const AtlasField by[] = {field};
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> groups, atlas_.CountBy(by, filter));
    std::stable_sort(groups.begin(), groups.end(),
                     [](const GroupCount& a, const GroupCount& b) { return a.cells > b.cells; });
    return groups;
  }
  const CellAtlas& atlas() const { return atlas_; }

 private:
  const CellAtlas& atlas_;
  const std::vector<std::string>& genes_;
};

// The fraction of the query cells whose `field` is `value`.
absl::StatusOr<double> ShareOf(const CellAtlas& atlas, AtlasField field, const std::string& value,
                               const std::vector<int64_t>& query_cells) {
  if (query_cells.empty()) return 0.0;
  int64_t hits = 0;
  for (int64_t cell : query_cells) {
    HAYSTACK_ASSIGN_OR_RETURN(std::string v, atlas.ValueOf(field, cell));
    hits += v == value;
  }
  return static_cast<double>(hits) / static_cast<double>(query_cells.size());
}

absl::Status ReadCellTypes(const Reader& r, const StructuredQuery& query,
                           ObservationalReferences& out) {
  const std::string type = query.cell_type_cl_id.value_or("");
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> own,
                            r.Cells(CellFilter().Where(AtlasField::kCellType, type)));
  if (static_cast<int>(own.size()) < kMinCells) {
    out.markers_unavailable_reason = absl::StrCat(
        "the atlas has ", own.size(), " unperturbed cells of ", type, " (need ", kMinCells, ")");
    return absl::OkStatus();
  }
  HAYSTACK_ASSIGN_OR_RETURN(out.cell_type, r.ProfileOf(own, r.TypeLabel(type, own.front())));
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> types,
                            r.Groups(AtlasField::kCellType, CellFilter()));
  for (const GroupCount& g : types) {
    if (out.other_cell_types.size() == kMaxOtherCellTypes) break;
    if (g.values.front() == type || g.cells < kMinCells) continue;
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> cells,
                              r.Cells(CellFilter().Where(AtlasField::kCellType, g.values.front())));
    HAYSTACK_ASSIGN_OR_RETURN(Profile p,
                              r.ProfileOf(cells, r.TypeLabel(g.values.front(), cells.front())));
    out.other_cell_types.push_back(std::move(p));
  }
  return absl::OkStatus();
}

// For each cell type with enough unperturbed cells in the target (`field` = `value`) and
// elsewhere, the two profiles.
struct Strata {
  std::vector<std::pair<Profile, Profile>> pairs;
  std::vector<std::string> types;  // labels, for the description

  std::string Types() const { return absl::StrJoin(types, ", "); }
};

absl::StatusOr<Strata> ReadStrata(const Reader& r, AtlasField field, const std::string& value,
                                  const std::string& skip_type) {
  Strata strata;
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> types,
                            r.Groups(AtlasField::kCellType, CellFilter().Where(field, value)));
  for (const GroupCount& g : types) {
    if (strata.pairs.size() == kMaxStrata) break;
    const std::string& type = g.values.front();
    if (type == skip_type || g.cells < kMinCells) continue;
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> all,
                              r.Cells(CellFilter().Where(AtlasField::kCellType, type)));
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<int64_t> target,
        r.Cells(CellFilter().Where(AtlasField::kCellType, type).Where(field, value)));
    const std::vector<int64_t> other = Without(all, target);
    if (static_cast<int>(other.size()) < kMinCells) continue;
    const std::string label = r.TypeLabel(type, target.front());
    HAYSTACK_ASSIGN_OR_RETURN(Profile in_target, r.ProfileOf(target, label + " in " + value));
    HAYSTACK_ASSIGN_OR_RETURN(Profile elsewhere, r.ProfileOf(other, label + " elsewhere"));
    strata.pairs.emplace_back(std::move(in_target), std::move(elsewhere));
    strata.types.push_back(label);
  }
  return strata;
}

// A tissue's or a donor's signature: its cells of each type against the same types elsewhere.
struct SignatureTarget {
  AtlasField field;
  std::string value;
  std::string name;       // "lung", "donor D03"
  std::string elsewhere;  // "in other tissues", "of other donors"
  std::string skip_type;  // a cell type left out of the strata (the donor's own query type)
};

// Fills `signature`, or `unavailable_reason` when the atlas cannot supply it.
absl::Status ReadSignature(const Reader& r, const SignatureTarget& target,
                           const std::vector<int64_t>& query_cells,
                           std::optional<Signature>& signature, std::string& unavailable_reason) {
  HAYSTACK_ASSIGN_OR_RETURN(const Strata strata,
                            ReadStrata(r, target.field, target.value, target.skip_type));
  if (strata.pairs.empty()) {
    unavailable_reason =
        absl::StrCat("no cell type", target.skip_type.empty() ? "" : " other than the query's",
                     " has ", kMinCells, "+ unperturbed cells both in ", target.name,
                     " and elsewhere, so its own signature cannot be told from cell types");
    return absl::OkStatus();
  }
  signature = scoring::ContrastSignature(
      strata.pairs,
      absl::StrCat("the signature of ", target.name, " (its ", strata.Types(),
                   " cells against the same types ", target.elsewhere, ")"),
      scoring::kSignatureGenes);
  if (!signature) {
    unavailable_reason = absl::StrCat("fewer than 3 genes differ in ", target.name);
    return absl::OkStatus();
  }
  HAYSTACK_ASSIGN_OR_RETURN(signature->query_share,
                            ShareOf(r.atlas(), target.field, target.value, query_cells));
  return absl::OkStatus();
}

absl::Status ReadTissue(const Reader& r, const StructuredQuery& query,
                        const std::vector<int64_t>& query_cells, ObservationalReferences& out) {
  if (!query.target_tissue) {
    out.tissue_unavailable_reason = "the query names no tissue";
    return absl::OkStatus();
  }
  if (!r.atlas().HasField(AtlasField::kTissue)) {
    out.tissue_unavailable_reason = "the atlas has no tissue column";
    return absl::OkStatus();
  }
  return ReadSignature(
      r, {AtlasField::kTissue, *query.target_tissue, *query.target_tissue, "in other tissues", ""},
      query_cells, out.tissue, out.tissue_unavailable_reason);
}

// The donor's other cell types only: its cells of the query's type are what is predicted.
absl::Status ReadDonor(const Reader& r, const StructuredQuery& query,
                       const std::vector<int64_t>& query_cells, ObservationalReferences& out) {
  if (!query.target_donor_id) {
    out.donor_unavailable_reason = "the query names no target donor";
    return absl::OkStatus();
  }
  return ReadSignature(
      r,
      {AtlasField::kDonor, *query.target_donor_id, absl::StrCat("donor ", *query.target_donor_id),
       "of other donors", query.cell_type_cl_id.value_or("")},
      query_cells, out.donor, out.donor_unavailable_reason);
}

// Real cells of the type that the prediction was not made from, in the target context (donor,
// tissue) if it has enough, else anywhere. False when too few exist.
absl::StatusOr<bool> ReadHeldOutCells(const Reader& r, const StructuredQuery& query,
                                      const std::vector<int64_t>& sorted_query_cells,
                                      ObservationalReferences& out) {
  const std::string type = query.cell_type_cl_id.value_or("");
  CellFilter in_target = CellFilter().Where(AtlasField::kCellType, type);
  std::vector<std::string> context;
  if (query.target_donor_id) {
    in_target.Where(AtlasField::kDonor, *query.target_donor_id);
    context.push_back("donor " + *query.target_donor_id);
  }
  if (query.target_tissue && r.atlas().HasField(AtlasField::kTissue)) {
    in_target.Where(AtlasField::kTissue, *query.target_tissue);
    context.push_back(*query.target_tissue);
  }
  for (const bool targeted : {true, false}) {
    if (targeted && context.empty()) continue;
    HAYSTACK_ASSIGN_OR_RETURN(
        std::vector<int64_t> cells,
        r.Cells(targeted ? in_target : CellFilter().Where(AtlasField::kCellType, type)));
    cells = Without(std::move(cells), sorted_query_cells);
    if (static_cast<int>(cells.size()) < kMinCells) continue;
    const std::string where = targeted ? absl::StrJoin(context, ", ") : "other samples";
    HAYSTACK_ASSIGN_OR_RETURN(
        out.coherence_reference,
        r.ProfileOf(cells, absl::StrCat("held-out real cells of ", r.TypeLabel(type, cells.front()),
                                        " (", where, ")")));
    return true;
  }
  return false;
}

// The first ontology parent or child of the type with enough cells in the atlas; it is then the
// reference, no longer a competitor. False when none has (or the ontology cannot be read: the
// neighbour is only a fallback).
absl::StatusOr<bool> ReadOntologyNeighbour(const Reader& r, const KnowledgeBase& knowledge,
                                           const std::string& type, ObservationalReferences& out) {
  auto neighbours = knowledge.Neighbors(type, 1);
  if (!neighbours.ok()) return false;
  for (const OntologyNeighbor& n : *neighbours) {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> cells,
                              r.Cells(CellFilter().Where(AtlasField::kCellType, n.term.id)));
    if (static_cast<int>(cells.size()) < kMinCells) continue;
    HAYSTACK_ASSIGN_OR_RETURN(out.coherence_reference,
                              r.ProfileOf(cells, absl::StrCat("the nearest ontology neighbour ",
                                                              n.term.name, " (", n.relation, ")")));
    const std::string label = r.TypeLabel(n.term.id, cells.front());
    std::erase_if(out.other_cell_types, [&](const Profile& p) { return p.label == label; });
    return true;
  }
  return false;
}

// Held-out cells of the type; else its nearest ontology neighbour; else, said so, the query
// cells themselves (the prediction keeps its identity; not a measure of accuracy).
absl::Status ReadCoherence(const Reader& r, const KnowledgeBase& knowledge,
                           const StructuredQuery& query, std::vector<int64_t> query_cells,
                           ObservationalReferences& out) {
  const std::string type = query.cell_type_cl_id.value_or("");
  std::sort(query_cells.begin(), query_cells.end());
  HAYSTACK_ASSIGN_OR_RETURN(const bool held_out, ReadHeldOutCells(r, query, query_cells, out));
  if (held_out) return absl::OkStatus();
  HAYSTACK_ASSIGN_OR_RETURN(const bool neighbour, ReadOntologyNeighbour(r, knowledge, type, out));
  if (neighbour) return absl::OkStatus();
  if (static_cast<int>(query_cells.size()) < kMinCells) {
    out.coherence_unavailable_reason = absl::StrCat(
        "the atlas has no unperturbed cells of ", type,
        " besides the query cells, no ontology parent or child of it has cells, and the query "
        "cells are too few (",
        query_cells.size(), ")");
    return absl::OkStatus();
  }
  HAYSTACK_ASSIGN_OR_RETURN(
      out.coherence_reference,
      r.ProfileOf(query_cells,
                  absl::StrCat("the query cells of ", r.TypeLabel(type, query_cells.front()),
                               " themselves (no held-out cells: identity, not accuracy)")));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ObservationalReferences> ReadObservationalReferences(
    const CellAtlas& atlas, const KnowledgeBase& knowledge, const StructuredQuery& query,
    const std::vector<int64_t>& query_cells, const std::vector<std::string>& genes) {
  ObservationalReferences out;
  const Reader reader(atlas, genes);
  HAYSTACK_RETURN_IF_ERROR(ReadCellTypes(reader, query, out));
  HAYSTACK_RETURN_IF_ERROR(ReadTissue(reader, query, query_cells, out));
  HAYSTACK_RETURN_IF_ERROR(ReadDonor(reader, query, query_cells, out));
  HAYSTACK_RETURN_IF_ERROR(ReadCoherence(reader, knowledge, query, query_cells, out));
  return out;
}

}  // namespace haystack::agent_internal
