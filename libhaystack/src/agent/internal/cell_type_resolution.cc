// The cell type phase of the rule-based analysis (docs/agent.md, "Cell types").
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/nearest.h"
#include "internal/query_builder.h"
#include "internal/query_resolution.h"

namespace haystack::agent_internal {
namespace {

// Task verbs and other words that are not entities, for finding the words that should have
// named a cell type.
bool IsQueryWord(std::string_view w) {
  return IsOneOf(w, {"simulate", "simulated", "generate", "generated", "impute",   "imputed",
                     "predict",  "predicted", "happens",  "happen",    "effect",   "effects",
                     "affect",   "affects",   "cell",     "cells",     "type",     "types",
                     "new",      "donor",     "donors",   "patient",   "patients", "sample",
                     "samples",  "dataset",   "atlas",    "tissue",    "hours",    "hour",
                     "days",     "day",       "missing",  "knock",     "out",      "down"});
}

// Words of the query outside every mention and the perturbation, that are not function or cue
// words: where an unrecognised cell type hides.
std::vector<size_t> FreeWords(const Analysis& a, const StructuredQuery& q) {
  const std::vector<Token>& tokens = a.query.tokens;
  const std::vector<bool> used = MentionMask(tokens.size(), a.mentions);
  std::vector<size_t> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& w = tokens[i].lower;
    if (used[i] || IsStopWord(w) || IsPerturbationCue(w) || IsQueryWord(w) || w.size() < 3 ||
        HasDigit(w)) {
      continue;
    }
    if (q.perturbation_query &&
        q.perturbation_query->find(std::string(tokens[i].text)) != std::string::npos) {
      continue;
    }
    out.push_back(i);
  }
  return out;
}

// A cell type written with a typo: one or two adjacent free words within the typo budget of a
// name (at most `max_typo_edits` and a fifth of the name's length); the entry and the words.
std::optional<std::pair<size_t, std::string>> CellTypeTypo(const Analysis& a,
                                                           const std::vector<size_t>& free) {
  const auto& names = a.query.vocabulary.Names(VocabularyKind::kCellType);
  std::optional<std::pair<size_t, std::string>> best;
  int best_distance = 0;
  for (size_t i = 0; i < free.size(); ++i) {
    for (size_t width : {size_t{2}, size_t{1}}) {
      if (i + width > free.size() || free[i + width - 1] != free[i] + width - 1) continue;
      const std::string_view text = a.query.Span(free[i], free[i] + width);
      auto typo = ClosestName(names, NormalizeEntityText(text), a.max_typo_edits, 5);
      if (typo && (!best || typo->distance < best_distance)) {
        best = std::make_pair(typo->entry, std::string(text));
        best_distance = typo->distance;
      }
    }
  }
  return best;
}

absl::Status RefuseUnnamed(const Analysis& a, const std::vector<size_t>& free) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  std::vector<std::string> words;
  for (size_t i : free) words.push_back(Quoted(a.query.tokens[i].text));
  const std::string text =
      free.empty() ? std::string() : std::string(a.query.tokens[free.front()].text);
  return EntityResolutionError(absl::StrCat(
      "no cell type of the atlas is named in the query ", Quoted(a.query.raw),
      words.empty()
          ? std::string()
          : absl::StrCat(": ", absl::StrJoin(words, ", "),
                         words.size() == 1 ? " matches" : " match",
                         " no cell type of the atlas (column ",
                         vocab.ColumnOf(AtlasField::kCellTypeName), ") nor of the knowledge base"),
      "; the atlas's cell types, nearest first: ",
      NearestCellTypes(vocab, a.query.knowledge, text, std::nullopt), "; ",
      ExtensionHint("this cell type")));
}

absl::Status Apply(const Analysis& a, std::string_view id, std::string_view label,
                   std::string_view text, std::vector<CellTypeSelection> selected,
                   StructuredQuery& q) {
  q.cell_type_query = std::string(text);
  if (id.starts_with("CL:")) q.cell_type_cl_id = std::string(id);
  q.cell_type_name = std::string(label);
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<OntologyTerm> term, a.query.knowledge.GetTerm(id));
  if (term) q.cell_type_synonyms = term->synonyms;
  if (selected.size() > 1 || (selected.size() == 1 && selected[0].id != id)) {
    std::vector<std::string> listed;
    for (const CellTypeSelection& s : selected) {
      listed.push_back(absl::StrCat(s.name, " (", s.id, ", ", s.relation,
                                    s.distance > 0 ? absl::StrCat(", distance ", s.distance) : "",
                                    ")"));
    }
    q.notes.push_back(absl::StrCat(Quoted(text), " selects ", selected.size(),
                                   " cell types of the atlas: ", absl::StrJoin(listed, "; ")));
  }
  q.cell_types_selected = std::move(selected);
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolveCellType(const Analysis& a, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  const std::vector<const Mention*> named = MentionsOf(a.mentions, VocabularyKind::kCellType);
  if (named.empty()) {
    const std::vector<size_t> free = FreeWords(a, q);
    if (auto typo = CellTypeTypo(a, free)) {
      const AtlasCellType& t = vocab.cell_types()[typo->first];
      HAYSTACK_RETURN_IF_ERROR(
          Apply(a, t.id, t.label, typo->second, vocab.Select(t.id, t.label), q));
      q.notes.push_back(absl::StrCat("read the cell type ", Quoted(typo->second), " as \"", t.label,
                                     "\" (", t.id, ")"));
      return absl::OkStatus();
    }
    return RefuseUnnamed(a, free);
  }
  if (named.size() > 1) {
    std::vector<std::string> texts;
    for (const Mention* m : named) texts.push_back(Quoted(m->text));
    return EntityResolutionError(absl::StrCat("the query names ", named.size(), " cell types (",
                                              absl::StrJoin(texts, ", "),
                                              "); ask about one cell type at a time"));
  }
  const Mention& m = *named.front();
  if (!m.atlas.empty()) {
    size_t entry = m.atlas.front();
    if (m.atlas.size() > 1) {
      std::vector<std::string> listed;
      for (size_t e : m.atlas) {
        if (m.knowledge && vocab.cell_types()[e].id == m.knowledge->id) entry = e;
        listed.push_back(
            absl::StrCat(vocab.cell_types()[e].label, " (", vocab.cell_types()[e].id, ")"));
      }
      if (!m.knowledge || vocab.cell_types()[entry].id != m.knowledge->id) {
        return EntityResolutionError(
            absl::StrCat("the cell type ", Quoted(m.text),
                         " is ambiguous in this atlas: ", absl::StrJoin(listed, ", ")));
      }
    }
    const AtlasCellType& t = vocab.cell_types()[entry];
    return Apply(a, t.id, t.label, m.text, vocab.Select(t.id, t.label), q);
  }
  // The knowledge base knows the term; the atlas may hold its descendants.
  std::vector<CellTypeSelection> selected = vocab.Select(m.knowledge->id, m.knowledge->name);
  if (selected.empty()) {
    return EntityResolutionError(absl::StrCat(
        "the atlas has no ", m.knowledge->name, " (", m.knowledge->id, ", ", Quoted(m.text),
        ") cells and none of its subtypes; its cell types, nearest first: ",
        NearestCellTypes(vocab, a.query.knowledge, m.text, m.knowledge->id)));
  }
  return Apply(a, m.knowledge->id, m.knowledge->name, m.text, std::move(selected), q);
}

}  // namespace haystack::agent_internal
