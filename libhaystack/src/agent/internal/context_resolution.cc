// The context and task-type phases of the rule-based analysis (docs/agent.md, "Context").
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/nearest.h"
#include "internal/query_builder.h"
#include "internal/query_resolution.h"

namespace haystack::agent_internal {
namespace {

// An identifier after a keyword: "donor D03", "patient #12", "sample: S1-4".
struct ContextId {
  std::string value;
  std::string preceding;  // the word before the keyword, lowercased ("from", "using", ...)
  std::string text;       // "donor D03", as written
};

std::vector<ContextId> IdsAfter(const QueryContext& q,
                                std::initializer_list<std::string_view> keywords) {
  const std::vector<Token>& tokens = q.tokens;
  std::vector<ContextId> out;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (!IsOneOf(tokens[i].lower, keywords) || tokens[i].ends_clause) continue;
    size_t j = i + 1;
    if (j < tokens.size() && (tokens[j].lower == "id" || tokens[j].lower == "#")) ++j;
    if (j >= tokens.size()) continue;
    std::string_view value = tokens[j].text;
    if (!value.empty() && value.front() == '#') value.remove_prefix(1);
    if (value.empty() || IsStopWord(tokens[j].lower) || !HasDigit(value)) continue;
    out.push_back(
        {std::string(value), i > 0 ? tokens[i - 1].lower : "", std::string(q.Span(i, j + 1))});
  }
  return out;
}

// "using donor D1", "like donor D1": the donor whose cells serve as the template.
bool IsReferenceWord(std::string_view w) {
  return w == "using" || w == "reference" || w == "like" || w == "on";
}

// The dataset named next to the word "dataset": "the parse_pbmc dataset", "dataset OP3".
std::vector<ContextId> DatasetNames(const QueryContext& q) {
  const std::vector<Token>& tokens = q.tokens;
  std::vector<ContextId> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].lower != "dataset" && tokens[i].lower != "atlas") continue;
    if (i > 0 && !IsStopWord(tokens[i - 1].lower) && !tokens[i - 1].ends_clause) {
      out.push_back({std::string(tokens[i - 1].text), i > 1 ? tokens[i - 2].lower : "",
                     std::string(tokens[i - 1].text)});
    } else if (i + 1 < tokens.size() && !tokens[i].ends_clause &&
               !IsStopWord(tokens[i + 1].lower)) {
      out.push_back({std::string(tokens[i + 1].text), i > 0 ? tokens[i - 1].lower : "",
                     std::string(tokens[i + 1].text)});
    }
  }
  return out;
}

// Durations in the query: "72h", "72 h", "24 hours", "3 days".
struct Duration {
  double hours;
  std::string text;
};

std::vector<Duration> Durations(const QueryContext& q) {
  const std::vector<Token>& tokens = q.tokens;
  std::vector<Duration> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!HasDigit(tokens[i].lower) ||
        !std::isdigit(static_cast<unsigned char>(tokens[i].lower[0]))) {
      continue;
    }
    if (auto h = ParseDurationHours(tokens[i].text);
        h && !std::isdigit(static_cast<unsigned char>(tokens[i].lower.back()))) {
      out.push_back({*h, std::string(tokens[i].text)});
    } else if (i + 1 < tokens.size() && !tokens[i].ends_clause) {
      const std::string joined =
          absl::StrCat(std::string(tokens[i].text), " ", std::string(tokens[i + 1].text));
      if (auto h2 = ParseDurationHours(joined)) out.push_back({*h2, std::string(q.Span(i, i + 2))});
    }
  }
  return out;
}

absl::Status ResolveDonors(const Analysis& a, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  for (const ContextId& id :
       IdsAfter(a.query, {"donor", "donors", "patient", "individual", "subject", "sample"})) {
    const std::vector<size_t> found = vocab.DonorsMatching(id.value);
    if (found.empty()) {
      return EntityResolutionError(
          absl::StrCat("the atlas has no donor ", Quoted(id.value), " (", Quoted(id.text),
                       ", column ", vocab.ColumnOf(AtlasField::kDonor),
                       "); its donors, nearest first: ", NearestValues(vocab.donors(), id.value)));
    }
    if (found.size() > 1) {
      std::vector<std::string> values;
      for (size_t f : found) values.push_back(vocab.donors()[f].id);
      return EntityResolutionError(absl::StrCat("the donor ", Quoted(id.text),
                                                " is ambiguous: the atlas has donors ",
                                                absl::StrJoin(values, ", ")));
    }
    const std::string& donor = vocab.donors()[found[0]].id;
    auto& slot = IsReferenceWord(id.preceding) ? q.reference_donor_id : q.target_donor_id;
    if (slot && *slot != donor) {
      return EntityResolutionError(absl::StrCat("the query names two donors (", *slot, " and ",
                                                donor, "); name one target donor"));
    }
    slot = donor;
  }
  return absl::OkStatus();
}

absl::Status ResolveTimePoint(const Analysis& a, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  for (const Duration& d : Durations(a.query)) {
    std::vector<std::string> points;
    for (const AtlasTerm& c : vocab.conditions()) {
      if (!c.hours) continue;
      points.push_back(c.id);
      if (std::abs(*c.hours - d.hours) < 1e-9) {
        q.target_condition = c.id;
        break;
      }
    }
    if (q.target_condition) continue;
    return EntityResolutionError(absl::StrCat(
        "the atlas has no cells at the time point ", Quoted(d.text), "; ",
        points.empty()
            ? absl::StrCat("it records no time points (no condition or time_point column "
                           "holding durations; map one in the column mapping file)")
            : absl::StrCat("its time points (column ", vocab.ColumnOf(AtlasField::kCondition),
                           "): ", absl::StrJoin(points, ", "))));
  }
  return absl::OkStatus();
}

// A tissue, disease or condition mention: the atlas's value, or a refusal naming what the
// atlas has when only the knowledge base knows it.
absl::Status ResolveTerm(const Analysis& a, VocabularyKind kind,
                         const std::vector<AtlasTerm>& terms, const std::string& what,
                         AtlasField field, std::optional<std::string>& slot) {
  const std::vector<const Mention*> named = MentionsOf(a.mentions, kind);
  if (named.empty()) return absl::OkStatus();
  const Mention& m = *named.front();
  if (m.atlas.empty()) {
    std::vector<std::string> have;
    for (const AtlasTerm& t : terms) have.push_back(absl::StrCat(t.label, " (", t.id, ")"));
    return EntityResolutionError(absl::StrCat(
        "the atlas has no cells of the ", what, " ", m.knowledge->name, " (", m.knowledge->id, ", ",
        Quoted(m.text), "); its ", what, "s (column ", a.query.vocabulary.ColumnOf(field),
        "): ", have.empty() ? std::string("none") : absl::StrJoin(have, ", ")));
  }
  slot = terms[m.atlas.front()].id;
  for (size_t i = 1; i < named.size(); ++i) {
    if (named[i]->atlas.empty() || terms[named[i]->atlas.front()].id != *slot) {
      return EntityResolutionError(absl::StrCat("the query names more than one ", what, " (",
                                                Quoted(m.text), ", ", Quoted(named[i]->text),
                                                "); name one"));
    }
  }
  return absl::OkStatus();
}

absl::Status ResolveDataset(const Analysis& a, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  for (const ContextId& name : DatasetNames(a.query)) {
    const std::vector<size_t>& found =
        vocab.Named(VocabularyKind::kDataset, NormalizeEntityText(name.value));
    if (found.empty()) {
      return EntityResolutionError(absl::StrCat(
          "the atlas has no dataset ", Quoted(name.value), "; ",
          vocab.datasets().empty()
              ? std::string("it has no dataset column (dataset or dataset_id)")
              : absl::StrCat("its datasets (column ", vocab.ColumnOf(AtlasField::kDataset),
                             "): ", NearestValues(vocab.datasets(), name.value))));
    }
    q.reference_dataset = vocab.datasets()[found.front()].id;
  }
  return absl::OkStatus();
}

bool ContainsAny(const std::vector<Token>& tokens, std::initializer_list<std::string_view> words) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const Token& t) { return IsOneOf(t.lower, words); });
}

bool ContainsPrefix(const std::vector<Token>& tokens, std::string_view prefix) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const Token& t) { return t.lower.starts_with(prefix); });
}

}  // namespace

absl::Status ResolveContext(const Analysis& a, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  HAYSTACK_RETURN_IF_ERROR(ResolveDonors(a, q));
  HAYSTACK_RETURN_IF_ERROR(ResolveTerm(a, VocabularyKind::kTissue, vocab.tissues(), "tissue",
                                       AtlasField::kTissue, q.target_tissue));
  HAYSTACK_RETURN_IF_ERROR(ResolveTerm(a, VocabularyKind::kDisease, vocab.diseases(), "disease",
                                       AtlasField::kDisease, q.target_disease_state));
  HAYSTACK_RETURN_IF_ERROR(ResolveTerm(a, VocabularyKind::kCondition, vocab.conditions(),
                                       "condition", AtlasField::kCondition, q.target_condition));
  HAYSTACK_RETURN_IF_ERROR(ResolveTimePoint(a, q));
  HAYSTACK_RETURN_IF_ERROR(ResolveDataset(a, q));
  // Nothing is chosen silently: an atlas with time points, and a query naming none, uses them
  // all, and says so.
  if (!q.target_condition) {
    std::vector<std::string> points;
    for (const AtlasTerm& c : vocab.conditions()) {
      if (c.hours) points.push_back(c.id);
    }
    if (!points.empty()) {
      q.notes.push_back(
          absl::StrCat("no time point named: cells of every time point of the atlas (",
                       absl::StrJoin(points, ", "), ") are used; name one (e.g. \"at ",
                       points.back(), "\") to select it"));
    }
  }
  return absl::OkStatus();
}

absl::Status ChooseTaskType(const Analysis& a, StructuredQuery& q) {
  const std::vector<Token>& tokens = a.query.tokens;
  const bool mentions_samples =
      q.target_donor_id.has_value() ||
      ContainsAny(tokens, {"donor", "donors", "patient", "individual", "individuals", "sample",
                           "samples", "subjects"});
  if (q.perturbation_resolved) {
    q.task_type = mentions_samples ? TaskType::kPerturbationNovelSamples
                                   : TaskType::kPerturbationNovelCellTypes;
  } else if (ContainsPrefix(tokens, "imput") || ContainsPrefix(tokens, "missing")) {
    q.task_type = TaskType::kCellTypeImputation;
  } else if (q.reference_dataset || ContainsAny(tokens, {"cross-dataset", "datasets"})) {
    q.task_type = TaskType::kCrossDatasetGeneration;
  } else if (q.target_donor_id || q.reference_donor_id) {
    q.task_type = TaskType::kDonorExpressionPrediction;
  } else if (q.target_tissue || q.target_disease_state || q.target_condition) {
    q.task_type = TaskType::kCellTypeImputation;
  } else {
    return QueryParsingError(absl::StrCat(
        "could not tell what to predict from the query ", Quoted(a.query.raw),
        ": name a perturbation (e.g. \"respond to IFN-gamma\") or a context for the cell type "
        "(a donor, tissue, disease or dataset)"));
  }
  return absl::OkStatus();
}

bool NamesNothing(const Analysis& a) {
  if (!a.mentions.empty()) return false;
  for (const Token& t : a.query.tokens) {
    if (IsPerturbationCue(t.lower) || HasDigit(t.lower) ||
        IsOneOf(t.lower, {"cell", "cells", "predict", "simulate", "generate", "impute", "knock",
                          "effect", "donor", "patient", "tissue", "dataset"})) {
      return false;
    }
  }
  return true;
}

}  // namespace haystack::agent_internal
