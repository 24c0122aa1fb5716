#include "haystack/agent/atlas_vocabulary.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/perturbation_names.h"

namespace haystack {
namespace {

using agent_internal::ParseGenetic;
using agent_internal::SplitCombination;
using agent_internal::StripDose;

bool IsTrue(std::string_view v) {
  const std::string l = absl::AsciiStrToLower(std::string(v));
  return l == "true" || l == "1" || l == "yes" || l == "t";
}

// For each value of `field`, the value of `other` that most of its cells hold.
absl::StatusOr<std::map<std::string, std::pair<std::string, int64_t>>> Majority(
    const CellAtlas& atlas, AtlasField field, AtlasField other) {
  const AtlasField group[] = {field, other};
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> counts, atlas.CountBy(group, CellFilter()));
  std::map<std::string, std::pair<std::string, int64_t>> out;
  for (const GroupCount& g : counts) {
    auto& best = out[g.values[0]];
    if (g.cells > best.second) best = {g.values[1], g.cells};
  }
  return out;
}

// A cell type label without Cell Ontology's species qualifier (", human"), normalised.
std::string NormalizedLabel(std::string_view label) {
  std::string n = NormalizeEntityText(label);
  for (std::string_view suffix : {" human", " mouse"}) {
    if (n.size() > suffix.size() && n.ends_with(suffix)) n.resize(n.size() - suffix.size());
  }
  return n;
}

// "alveolar macrophage" names a kind of "macrophage"; "fibroblast of lung" a kind of
// "fibroblast". The parent's label needs two words or one specific one ("cell" alone is no
// parent worth selecting by name).
bool IsSubtypeByName(const std::string& label, const std::string& parent) {
  if (parent.empty() || parent == "cell" || label == parent) return false;
  return label.ends_with(" " + parent) || label.starts_with(parent + " of ");
}

std::string RelationAt(int distance) {
  return distance == 1 ? "child" : distance == 2 ? "grandchild" : "descendant";
}

// "D02" → ("d", 2); "2" → ("", 2); "P-12" → ("p", 12); no trailing number → nullopt.
std::optional<std::pair<std::string, long>> PrefixAndNumber(std::string_view id) {
  size_t end = id.size();
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(id[begin - 1]))) --begin;
  if (begin == end || end - begin > 9) return std::nullopt;
  std::string prefix;
  for (char c : id.substr(0, begin)) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (c != '-' && c != '_' && c != '#' && c != ' ') {
      return std::nullopt;
    }
  }
  return std::make_pair(prefix, std::strtol(std::string(id.substr(begin)).c_str(), nullptr, 10));
}

std::string CombinationKey(std::vector<std::string> parts) {
  for (std::string& p : parts) p = NormalizeEntityText(p);
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, "+");
}

}  // namespace

std::optional<double> ParseDurationHours(std::string_view text) {
  const std::string t = absl::AsciiStrToLower(std::string(text));
  for (size_t i = 0; i < t.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t[i])) ||
        (i > 0 && (std::isdigit(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '.'))) {
      continue;
    }
    size_t j = i;
    while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
    const double number = std::strtod(t.substr(i, j - i).c_str(), nullptr);
    size_t k = j;
    while (k < t.size() && (t[k] == ' ' || t[k] == '_' || t[k] == '-')) ++k;
    size_t e = k;
    while (e < t.size() && std::isalpha(static_cast<unsigned char>(t[e]))) ++e;
    const std::string unit = t.substr(k, e - k);
    static const std::pair<std::string_view, double> kUnits[] = {
        {"h", 1},         {"hr", 1},         {"hrs", 1},          {"hour", 1},
        {"hours", 1},     {"d", 24},         {"day", 24},         {"days", 24},
        {"min", 1 / 60.}, {"mins", 1 / 60.}, {"minute", 1 / 60.}, {"minutes", 1 / 60.},
        {"w", 168},       {"week", 168},     {"weeks", 168}};
    for (const auto& [name, factor] : kUnits) {
      if (unit == name) return number * factor;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::string>> AtlasControlValues(const CellAtlas& atlas,
                                                            const std::vector<std::string>& names,
                                                            std::string* source) {
  std::optional<AtlasField> field;
  if (atlas.HasField(AtlasField::kPerturbation)) {
    field = AtlasField::kPerturbation;
  } else if (atlas.HasField(AtlasField::kCondition)) {
    field = AtlasField::kCondition;
  }
  std::vector<std::string> out;
  if (!field) return out;
  auto flagged_by = [&](AtlasField flag, auto is_control) -> absl::Status {
    const AtlasField group[] = {*field, flag};
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> counts, atlas.CountBy(group, CellFilter()));
    std::map<std::string, std::pair<int64_t, int64_t>> tally;  // value → (flagged, all)
    for (const GroupCount& g : counts) {
      auto& t = tally[g.values[0]];
      if (is_control(g.values[1])) t.first += g.cells;
      t.second += g.cells;
    }
    for (const auto& [value, t] : tally) {
      if (!value.empty() && 2 * t.first > t.second) out.push_back(value);
    }
    return absl::OkStatus();
  };
  if (atlas.HasField(AtlasField::kIsControl)) {
    HAYSTACK_RETURN_IF_ERROR(flagged_by(AtlasField::kIsControl, IsTrue));
    if (!out.empty()) {
      if (source != nullptr) *source = "is_control";
      return out;
    }
  }
  if (atlas.HasField(AtlasField::kPerturbationType)) {
    HAYSTACK_RETURN_IF_ERROR(flagged_by(AtlasField::kPerturbationType, [](std::string_view v) {
      const std::string l = absl::AsciiStrToLower(std::string(v));
      return l == "control" || l == "ctrl" || l == "negative control";
    }));
    if (!out.empty()) {
      if (source != nullptr) *source = "perturbation_type";
      return out;
    }
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> values, atlas.Values(*field));
  for (const GroupCount& g : values) {
    for (const std::string& name : names) {
      if (absl::AsciiStrToLower(name) == absl::AsciiStrToLower(g.values[0])) {
        out.push_back(g.values[0]);
        break;
      }
    }
  }
  if (source != nullptr) *source = "control_condition_names";
  return out;
}

void AtlasVocabulary::Index(VocabularyKind kind, std::string_view name, size_t entry) {
  const std::string key = NormalizeEntityText(name);
  if (key.empty()) return;
  std::vector<size_t>& entries = index_[static_cast<size_t>(kind)][key];
  if (std::find(entries.begin(), entries.end(), entry) == entries.end()) entries.push_back(entry);
}

const std::vector<size_t>& AtlasVocabulary::Named(VocabularyKind kind,
                                                  const std::string& normalized) const {
  static const std::vector<size_t> kNone;
  const auto& index = index_[static_cast<size_t>(kind)];
  auto it = index.find(normalized);
  return it == index.end() ? kNone : it->second;
}

std::string AtlasVocabulary::ColumnOf(AtlasField field) const {
  auto it = columns_.find(field);
  return it != columns_.end() ? it->second : std::string(DefaultColumnName(field));
}

std::vector<size_t> AtlasVocabulary::PerturbationsOfGene(std::string_view symbol) const {
  auto it = by_gene_.find(absl::AsciiStrToLower(std::string(symbol)));
  return it == by_gene_.end() ? std::vector<size_t>{} : it->second;
}

std::optional<size_t> AtlasVocabulary::Combination(const std::vector<std::string>& parts) const {
  const std::string key = CombinationKey(parts);
  for (size_t i = 0; i < perturbations_.size(); ++i) {
    const AtlasPerturbation& p = perturbations_[i];
    if (!p.control && p.parts.size() == parts.size() && CombinationKey(p.parts) == key) return i;
  }
  return std::nullopt;
}

std::vector<CellTypeSelection> AtlasVocabulary::Select(std::string_view term_id,
                                                       std::string_view term_label) const {
  const std::string parent = NormalizedLabel(term_label);
  std::vector<CellTypeSelection> out;
  for (const AtlasCellType& t : cell_types_) {
    if (t.id == term_id) {
      out.push_back({t.id, t.label, 0, "self"});
    } else if (auto a = t.ancestors.find(std::string(term_id)); a != t.ancestors.end()) {
      out.push_back({t.id, t.label, a->second, RelationAt(a->second)});
    } else if (IsSubtypeByName(NormalizedLabel(t.label), parent)) {
      out.push_back({t.id, t.label, 1, "subtype by name"});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  return out;
}

std::vector<size_t> AtlasVocabulary::DonorsMatching(std::string_view written) const {
  std::vector<size_t> exact, loose;
  const auto wanted = PrefixAndNumber(written);
  for (size_t i = 0; i < donors_.size(); ++i) {
    if (absl::AsciiStrToLower(donors_[i].id) == absl::AsciiStrToLower(std::string(written)))
      exact.push_back(i);
    if (!wanted) continue;
    const auto have = PrefixAndNumber(donors_[i].id);
    if (have && have->second == wanted->second &&
        (wanted->first.empty() || have->first.empty() || wanted->first == have->first)) {
      loose.push_back(i);
    }
  }
  return exact.empty() ? loose : exact;
}

absl::StatusOr<AtlasVocabulary> AtlasVocabulary::Build(const CellAtlas& atlas,
                                                       const KnowledgeBase& knowledge,
                                                       const AtlasVocabularyOptions& options) {
  AtlasVocabulary v;
  v.columns_ = atlas.layout().columns;
  HAYSTACK_RETURN_IF_ERROR(v.AddCellTypes(atlas, knowledge, options));
  HAYSTACK_RETURN_IF_ERROR(v.AddPerturbations(atlas, knowledge, options));
  HAYSTACK_RETURN_IF_ERROR(v.AddOntologyTerms(atlas, knowledge));
  HAYSTACK_RETURN_IF_ERROR(v.AddValues(atlas));
  return v;
}

absl::Status AtlasVocabulary::AddCellTypes(const CellAtlas& atlas, const KnowledgeBase& knowledge,
                                           const AtlasVocabularyOptions& options) {
  std::map<std::string, std::pair<std::string, int64_t>> labels;
  if (atlas.HasField(AtlasField::kCellTypeName)) {
    HAYSTACK_ASSIGN_OR_RETURN(labels,
                              Majority(atlas, AtlasField::kCellType, AtlasField::kCellTypeName));
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> ids, atlas.Values(AtlasField::kCellType));
  for (const GroupCount& g : ids) {
    AtlasCellType t;
    t.id = g.values[0];
    t.cells = g.cells;
    if (auto it = labels.find(t.id); it != labels.end() && !it->second.first.empty()) {
      t.label = it->second.first;
    }
    HAYSTACK_ASSIGN_OR_RETURN(std::optional<OntologyTerm> term, knowledge.GetTerm(t.id));
    if (term) {
      t.synonyms = term->synonyms;
      if (t.label.empty()) t.label = term->name;
      HAYSTACK_ASSIGN_OR_RETURN(std::vector<OntologyNeighbor> up,
                                knowledge.Ancestors(t.id, options.max_ancestor_distance));
      for (const OntologyNeighbor& a : up) t.ancestors[a.term.id] = a.distance;
      Index(VocabularyKind::kCellType, term->name, cell_types_.size());
    }
    if (t.label.empty()) t.label = t.id;
    Index(VocabularyKind::kCellType, t.id, cell_types_.size());
    Index(VocabularyKind::kCellType, t.label, cell_types_.size());
    Index(VocabularyKind::kCellType, NormalizedLabel(t.label), cell_types_.size());
    for (const std::string& s : t.synonyms) Index(VocabularyKind::kCellType, s, cell_types_.size());
    cell_types_.push_back(std::move(t));
  }
  return absl::OkStatus();
}

absl::Status AtlasVocabulary::AddPerturbations(const CellAtlas& atlas,
                                               const KnowledgeBase& knowledge,
                                               const AtlasVocabularyOptions& options) {
  if (!atlas.HasField(AtlasField::kPerturbation)) return absl::OkStatus();
  HAYSTACK_ASSIGN_OR_RETURN(
      std::vector<std::string> controls,
      AtlasControlValues(atlas, options.control_condition_names, &control_source_));
  std::map<std::string, std::pair<std::string, int64_t>> types;
  if (atlas.HasField(AtlasField::kPerturbationType)) {
    HAYSTACK_ASSIGN_OR_RETURN(
        types, Majority(atlas, AtlasField::kPerturbation, AtlasField::kPerturbationType));
  }
  // A column named for genes holds gene symbols: each value is that gene's perturbation.
  const std::string column = absl::AsciiStrToLower(ColumnOf(AtlasField::kPerturbation));
  const bool gene_column = column == "gene" || column == "target_gene" || column == "guide_target";
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> values,
                            atlas.Values(AtlasField::kPerturbation));
  for (const GroupCount& g : values) {
    AtlasPerturbation p;
    p.value = g.values[0];
    p.cells = g.cells;
    p.control = std::find(controls.begin(), controls.end(), p.value) != controls.end();
    if (auto it = types.find(p.value); it != types.end()) {
      auto parsed = ParseEnum<PerturbationType>(absl::AsciiStrToLower(it->second.first));
      if (parsed.ok()) p.type = *parsed;
    }
    HAYSTACK_RETURN_IF_ERROR(DescribePerturbation(knowledge, gene_column, p));
    const size_t i = perturbations_.size();
    Index(VocabularyKind::kPerturbation, p.value, i);
    Index(VocabularyKind::kPerturbation, StripDose(p.value), i);
    if (p.parts.size() == 1) {
      Index(VocabularyKind::kPerturbation, p.parts[0], i);
      if (p.knowledge[0]) {
        for (const std::string& s : p.knowledge[0]->synonyms) {
          Index(VocabularyKind::kPerturbation, s, i);
        }
      }
    }
    if (!p.gene.empty() && !p.control) by_gene_[absl::AsciiStrToLower(p.gene)].push_back(i);
    perturbations_.push_back(std::move(p));
  }
  return absl::OkStatus();
}

absl::Status AtlasVocabulary::DescribePerturbation(const KnowledgeBase& knowledge, bool gene_column,
                                                   AtlasPerturbation& p) {
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<Perturbation> whole,
                            knowledge.FindPerturbation(StripDose(p.value)));
  const std::vector<std::string> written =
      whole ? std::vector<std::string>{p.value} : SplitCombination(p.value);
  for (const std::string& part : written) {
    HAYSTACK_ASSIGN_OR_RETURN(std::optional<Perturbation> known,
                              knowledge.FindPerturbation(StripDose(part)));
    p.parts.push_back(known ? known->name : StripDose(part));
    p.knowledge.push_back(std::move(known));
  }
  if (p.parts.size() == 1) {
    auto genetic = ParseGenetic(p.value, gene_column);
    if (genetic) {
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<Gene> gene, knowledge.FindGene(genetic->gene));
      p.gene = gene ? gene->symbol : genetic->gene;
      p.modality = genetic->modality;
    } else if (p.knowledge[0] && p.knowledge[0]->type == PerturbationType::kGenetic &&
               p.knowledge[0]->targets.size() == 1) {
      p.gene = p.knowledge[0]->targets[0];
      p.modality = GeneticModality::kKnockout;
    }
  }
  if (!p.type) {
    if (p.knowledge.size() == 1 && p.knowledge[0]) {
      p.type = p.knowledge[0]->type;
    } else if (!p.gene.empty()) {
      p.type = PerturbationType::kGenetic;
    } else {
      p.type = PerturbationType::kUnknown;
    }
  }
  return absl::OkStatus();
}

absl::Status AtlasVocabulary::AddOntologyTerms(const CellAtlas& atlas,
                                               const KnowledgeBase& knowledge) {
  struct TermField {
    AtlasField id, label;
    VocabularyKind kind;
    std::vector<AtlasTerm>* out;
  };
  for (const TermField& f :
       {TermField{AtlasField::kTissue, AtlasField::kTissueName, VocabularyKind::kTissue, &tissues_},
        TermField{AtlasField::kDisease, AtlasField::kDiseaseName, VocabularyKind::kDisease,
                  &diseases_}}) {
    if (!atlas.HasField(f.id)) continue;
    std::map<std::string, std::pair<std::string, int64_t>> labels;
    if (atlas.HasField(f.label)) {
      HAYSTACK_ASSIGN_OR_RETURN(labels, Majority(atlas, f.id, f.label));
    }
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> ids, atlas.Values(f.id));
    for (const GroupCount& g : ids) {
      AtlasTerm t{g.values[0], "", g.cells, {}, std::nullopt};
      if (auto it = labels.find(t.id); it != labels.end()) t.label = it->second.first;
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<OntologyTerm> term, knowledge.GetTerm(t.id));
      if (term) {
        t.synonyms = term->synonyms;
        if (t.label.empty()) t.label = term->name;
        Index(f.kind, term->name, f.out->size());
      }
      if (t.label.empty()) t.label = t.id;
      Index(f.kind, t.id, f.out->size());
      Index(f.kind, t.label, f.out->size());
      for (const std::string& s : t.synonyms) Index(f.kind, s, f.out->size());
      f.out->push_back(std::move(t));
    }
  }
  return absl::OkStatus();
}

absl::Status AtlasVocabulary::AddValues(const CellAtlas& atlas) {
  // `kind`: the index the values go in (donors have none: they are matched loosely, by number).
  auto add = [&](AtlasField field, std::optional<VocabularyKind> kind,
                 std::vector<AtlasTerm>& out) -> absl::Status {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<GroupCount> values, atlas.Values(field));
    for (const GroupCount& g : values) {
      const bool condition = kind == VocabularyKind::kCondition;
      // A condition that repeats a perturbation's name (the demo's) is that perturbation.
      if (condition &&
          !Named(VocabularyKind::kPerturbation, NormalizeEntityText(g.values[0])).empty()) {
        continue;
      }
      AtlasTerm t{g.values[0], g.values[0], g.cells, {}, std::nullopt};
      if (condition) t.hours = ParseDurationHours(t.id);
      if (kind) Index(*kind, t.id, out.size());
      out.push_back(std::move(t));
    }
    return absl::OkStatus();
  };
  HAYSTACK_RETURN_IF_ERROR(add(AtlasField::kDonor, std::nullopt, donors_));
  if (atlas.HasField(AtlasField::kDataset)) {
    HAYSTACK_RETURN_IF_ERROR(add(AtlasField::kDataset, VocabularyKind::kDataset, datasets_));
  }
  // A condition column that is not the perturbation column: time points or states.
  if (atlas.HasField(AtlasField::kCondition) &&
      (!atlas.HasField(AtlasField::kPerturbation) ||
       ColumnOf(AtlasField::kCondition) != ColumnOf(AtlasField::kPerturbation))) {
    HAYSTACK_RETURN_IF_ERROR(add(AtlasField::kCondition, VocabularyKind::kCondition, conditions_));
  }
  return absl::OkStatus();
}

}  // namespace haystack
