#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/agent/query_analyzer.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "internal/query_builder.h"
#include "internal/query_text.h"

namespace haystack {
namespace {

using agent_internal::ApplyCellType;
using agent_internal::ApplyPerturbation;
using agent_internal::BoundedEditDistance;
using agent_internal::HasDigit;
using agent_internal::IsGeneticCue;
using agent_internal::IsPerturbationCue;
using agent_internal::IsStopWord;
using agent_internal::Quoted;
using agent_internal::Token;
using agent_internal::Tokenize;
using agent_internal::ValidateQueryText;

constexpr size_t kMaxSpanTokens = 6;
constexpr size_t kMaxCuePhraseTokens = 4;
// Kinds looked for in every span, in the order that breaks ties between equally long matches.
constexpr EntityKind kMentionKinds[] = {EntityKind::kPerturbation, EntityKind::kCellType,
                                        EntityKind::kTissue, EntityKind::kDisease};

// A span of the query that names an entity.
struct Mention {
  EntityMatch match;
  size_t first = 0;  // token range [first, last)
  size_t last = 0;
  std::string text;  // as written
};

int KindRank(EntityKind kind) {
  return static_cast<int>(std::find(std::begin(kMentionKinds), std::end(kMentionKinds), kind) -
                          std::begin(kMentionKinds));
}

std::string_view SpanText(std::string_view query, const std::vector<Token>& tokens, size_t first,
                          size_t last) {
  return query.substr(tokens[first].begin, tokens[last - 1].end - tokens[first].begin);
}

// "cells" alone would resolve to the Cell Ontology root; it names nothing in a question.
bool IsGenericSpan(const std::vector<Token>& tokens, size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) {
    const std::string& w = tokens[i].lower;
    if (!IsStopWord(w) && w != "cell" && w != "cells" && w != "type" && w != "types") return false;
  }
  return true;
}

// Dictionary hits only: exact names and synonyms, in whatever normal form the knowledge base
// uses. Fuzzy hits are considered separately, where a typo is plausible.
bool IsConfident(const EntityMatch& match) { return match.method != "fuzzy"; }

// All non-overlapping dictionary mentions, longest first.
absl::StatusOr<std::vector<Mention>> FindMentions(const KnowledgeBase& knowledge,
                                                  std::string_view query,
                                                  const std::vector<Token>& tokens) {
  std::vector<Mention> candidates;
  for (size_t first = 0; first < tokens.size(); ++first) {
    if (IsStopWord(tokens[first].lower)) continue;
    const size_t end = std::min(tokens.size(), first + kMaxSpanTokens);
    for (size_t last = first + 1; last <= end; ++last) {
      if (last - 1 > first && tokens[last - 2].ends_clause) break;  // mentions stop at a comma
      if (IsStopWord(tokens[last - 1].lower) || IsGenericSpan(tokens, first, last)) continue;
      const std::string_view text = SpanText(query, tokens, first, last);
      for (EntityKind kind : kMentionKinds) {
        HAYSTACK_ASSIGN_OR_RETURN(std::vector<EntityMatch> matches,
                                  knowledge.Resolve(kind, text, 1));
        if (matches.empty() || !IsConfident(matches.front())) continue;
        candidates.push_back({std::move(matches.front()), first, last, std::string(text)});
      }
    }
  }
  // Longer spans first, then better matches, then the kind order, then earlier spans.
  auto key = [](const Mention& m) {
    return std::make_tuple(-static_cast<int64_t>(m.last - m.first), -m.match.score,
                           KindRank(m.match.kind), m.first);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Mention& a, const Mention& b) { return key(a) < key(b); });
  std::vector<bool> used(tokens.size(), false);
  std::vector<Mention> chosen;
  for (Mention& candidate : candidates) {
    if (std::any_of(used.begin() + static_cast<std::ptrdiff_t>(candidate.first),
                    used.begin() + static_cast<std::ptrdiff_t>(candidate.last),
                    [](bool u) { return u; })) {
      continue;
    }
    std::fill(used.begin() + static_cast<std::ptrdiff_t>(candidate.first),
              used.begin() + static_cast<std::ptrdiff_t>(candidate.last), true);
    chosen.push_back(std::move(candidate));
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const Mention& a, const Mention& b) { return a.first < b.first; });
  return chosen;
}

const Mention* FirstOf(const std::vector<Mention>& mentions, EntityKind kind) {
  for (const Mention& m : mentions) {
    if (m.match.kind == kind) return &m;
  }
  return nullptr;
}

std::vector<std::string> OthersOf(const std::vector<Mention>& mentions, EntityKind kind) {
  std::vector<std::string> out;
  bool first = true;
  for (const Mention& m : mentions) {
    if (m.match.kind != kind) continue;
    if (!first) out.push_back(absl::StrCat("\"", m.text, "\" (", m.match.id, ")"));
    first = false;
  }
  return out;
}

// The words a perturbation cue points at: "respond to <X>", "treated with <X>",
// "<X> treatment". Returns a token range, or nullopt.
// Words inside a mention (`used`) are never part of the phrase.
std::optional<std::pair<size_t, size_t>> CuePhrase(const std::vector<Token>& tokens,
                                                   const std::vector<bool>& used, size_t cue) {
  auto is_link = [](const std::string& w) {
    return w == "to" || w == "with" || w == "by" || w == "of" || w == "the" || w == "a" ||
           w == "an";
  };
  size_t first = cue + 1;
  if (!tokens[cue].ends_clause) {
    while (first < tokens.size() && is_link(tokens[first].lower)) ++first;
    size_t last = first;
    while (last < tokens.size() && last - first < kMaxCuePhraseTokens && !used[last] &&
           !IsStopWord(tokens[last].lower) && !IsPerturbationCue(tokens[last].lower)) {
      ++last;
      if (tokens[last - 1].ends_clause) break;
    }
    if (last > first) return std::make_pair(first, last);
  }
  // "<X> treatment": the words before the cue, back to a function word.
  size_t begin = cue;
  while (begin > 0 && cue - begin < kMaxCuePhraseTokens - 1 && !used[begin - 1] &&
         !IsStopWord(tokens[begin - 1].lower) && !tokens[begin - 1].ends_clause) {
    --begin;
  }
  if (begin < cue) return std::make_pair(begin, cue);
  return std::nullopt;
}

// Every label a perturbation is known by, normalised, with its canonical name.
struct PerturbationLabel {
  std::string normalized;
  std::string label;
  std::string name;
};

std::vector<PerturbationLabel> PerturbationLabels(const std::vector<Perturbation>& all) {
  std::vector<PerturbationLabel> labels;
  for (const Perturbation& p : all) {
    labels.push_back({NormalizeEntityText(p.name), p.name, p.name});
    for (const std::string& s : p.synonyms) {
      labels.push_back({NormalizeEntityText(s), s, p.name});
    }
  }
  return labels;
}

struct TypoMatch {
  std::string name;
  std::string label;
  std::string text;
  int distance = 0;
};

// The closest perturbation label to any sub-span of the phrase, if within the typo budget:
// at most `max_edits` and at most a quarter of the label's length (so short names need an exact
// hit: "IL4" must not become "IL6").
std::optional<TypoMatch> ClosestPerturbation(const std::vector<PerturbationLabel>& labels,
                                             std::string_view query,
                                             const std::vector<Token>& tokens, size_t first,
                                             size_t last, int max_edits) {
  std::optional<TypoMatch> best;
  for (size_t a = first; a < last; ++a) {
    for (size_t b = a + 1; b <= last; ++b) {
      const std::string_view text = SpanText(query, tokens, a, b);
      const std::string normalized = NormalizeEntityText(text);
      for (const PerturbationLabel& label : labels) {
        const int budget = std::min(max_edits, static_cast<int>(label.normalized.size()) / 4);
        if (budget < 1) continue;
        const int d = BoundedEditDistance(normalized, label.normalized, budget);
        if (d <= budget && (!best || d < best->distance)) {
          best = TypoMatch{label.name, label.label, std::string(text), d};
        }
      }
    }
  }
  return best;
}

// The nearest known labels to `text`, for error messages.
std::string ClosestLabels(const std::vector<PerturbationLabel>& labels, std::string_view text) {
  const std::string normalized = NormalizeEntityText(text);
  std::vector<std::pair<int, const PerturbationLabel*>> ranked;
  for (const PerturbationLabel& label : labels) {
    ranked.emplace_back(BoundedEditDistance(normalized, label.normalized, 64), &label);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  std::vector<std::string> entries;
  for (const auto& [distance, label] : ranked) {
    if (std::find(names.begin(), names.end(), label->name) != names.end()) continue;
    names.push_back(label->name);
    entries.push_back(label->label == label->name
                          ? label->name
                          : absl::StrCat(label->name, " (\"", label->label, "\")"));
    if (names.size() == 3) break;
  }
  return absl::StrJoin(entries, ", ");
}

// Which tokens lie inside a mention.
std::vector<bool> MentionMask(size_t n_tokens, const std::vector<Mention>& mentions) {
  std::vector<bool> used(n_tokens, false);
  for (const Mention& m : mentions) {
    for (size_t i = m.first; i < m.last; ++i) used[i] = true;
  }
  return used;
}

// Words of the query not inside a mention and not function words: where an unrecognised
// entity may hide.
std::vector<size_t> FreeContentTokens(const std::vector<Token>& tokens,
                                      const std::vector<Mention>& mentions) {
  const std::vector<bool> used = MentionMask(tokens.size(), mentions);
  std::vector<size_t> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!used[i] && !IsStopWord(tokens[i].lower) && !IsPerturbationCue(tokens[i].lower) &&
        tokens[i].lower.size() >= 3) {
      out.push_back(i);
    }
  }
  return out;
}

// An identifier after a keyword: "donor D03", "patient #12", "sample: S1-4".
struct ContextId {
  std::string value;
  std::string preceding;  // the word before the keyword, lowercased ("from", "for", ...)
};

std::vector<ContextId> IdsAfter(const std::vector<Token>& tokens,
                                std::initializer_list<std::string_view> keywords,
                                bool require_digit) {
  std::vector<ContextId> out;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (std::find(keywords.begin(), keywords.end(), tokens[i].lower) == keywords.end()) continue;
    if (tokens[i].ends_clause) continue;
    size_t j = i + 1;
    if (j < tokens.size() && (tokens[j].lower == "id" || tokens[j].lower == "#")) ++j;
    if (j >= tokens.size()) continue;
    std::string_view value = tokens[j].text;
    if (!value.empty() && value.front() == '#') value.remove_prefix(1);
    if (value.empty() || IsStopWord(tokens[j].lower)) continue;
    if (require_digit && !HasDigit(value)) continue;
    out.push_back({std::string(value), i > 0 ? tokens[i - 1].lower : ""});
  }
  return out;
}

// "using donor D1", "based on donor D1", "like donor D1": the donor whose cells serve as the
// template, not the one predicted for ("in/for/from donor D2").
bool IsReferenceWord(std::string_view w) {
  return w == "using" || w == "reference" || w == "like" || w == "on";
}

bool ContainsAny(const std::vector<Token>& tokens, std::initializer_list<std::string_view> words) {
  return std::any_of(tokens.begin(), tokens.end(), [&](const Token& t) {
    return std::find(words.begin(), words.end(), t.lower) != words.end();
  });
}

bool ContainsPrefix(const std::vector<Token>& tokens, std::string_view prefix) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const Token& t) { return t.lower.rfind(prefix, 0) == 0; });
}

// The dataset named next to the word "dataset": "the parse_pbmc dataset", "dataset OP3".
std::vector<ContextId> DatasetNames(const std::vector<Token>& tokens) {
  std::vector<ContextId> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].lower != "dataset" && tokens[i].lower != "atlas") continue;
    if (i > 0 && !IsStopWord(tokens[i - 1].lower) && !tokens[i - 1].ends_clause) {
      out.push_back({std::string(tokens[i - 1].text), i > 1 ? tokens[i - 2].lower : ""});
    } else if (i + 1 < tokens.size() && !tokens[i].ends_clause &&
               !IsStopWord(tokens[i + 1].lower)) {
      out.push_back({std::string(tokens[i + 1].text), i > 0 ? tokens[i - 1].lower : ""});
    }
  }
  return out;
}

}  // namespace

RuleBasedQueryAnalyzer::RuleBasedQueryAnalyzer(const KnowledgeBase& knowledge,
                                               RuleBasedQueryAnalyzerOptions options)
    : knowledge_(knowledge), options_(options) {}

absl::StatusOr<StructuredQuery> RuleBasedQueryAnalyzer::Analyze(std::string_view raw_query) const {
  HAYSTACK_RETURN_IF_ERROR(ValidateQueryText(raw_query, options_.max_query_bytes));
  const std::vector<Token> tokens = Tokenize(raw_query);
  size_t letters = 0;
  for (const Token& t : tokens) letters += t.text.size();
  if (letters < options_.min_query_chars) {
    return QueryParsingError(absl::StrCat("the query ", Quoted(raw_query),
                                          " is too short: describe a cell type and a "
                                          "perturbation or context in at least ",
                                          options_.min_query_chars, " characters"));
  }

  StructuredQuery query;
  query.raw_query = std::string(raw_query);
  query.analyzer = "rules";
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<Mention> mentions,
                            FindMentions(knowledge_, raw_query, tokens));
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<Perturbation> all_perturbations,
                            knowledge_.Perturbations());
  const std::vector<PerturbationLabel> labels = PerturbationLabels(all_perturbations);

  // ---- perturbation: a dictionary mention, else a typo of one, else a gene knockout.
  std::optional<Perturbation> perturbation;
  std::string perturbation_text;
  const Mention* perturbation_mention = FirstOf(mentions, EntityKind::kPerturbation);
  if (perturbation_mention != nullptr) {
    HAYSTACK_ASSIGN_OR_RETURN(perturbation,
                              knowledge_.FindPerturbation(perturbation_mention->match.id));
    perturbation_text = perturbation_mention->text;
    for (const std::string& other : OthersOf(mentions, EntityKind::kPerturbation)) {
      query.notes.push_back(absl::StrCat("also mentioned perturbation ", other,
                                         "; the first one named is predicted"));
    }
  }
  std::optional<size_t> cue;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (IsPerturbationCue(tokens[i].lower)) {
      cue = i;
      break;
    }
  }
  if (!perturbation && cue) {
    // A gene next to a genetic cue: "STAT1 knockout", "knockout of IRF1".
    for (size_t i = 0; i < tokens.size() && !perturbation; ++i) {
      if (!IsGeneticCue(tokens[i].lower)) continue;
      for (size_t j : {i + 1, i + 2, i - 1}) {
        if (j >= tokens.size() || j == i) continue;
        HAYSTACK_ASSIGN_OR_RETURN(std::vector<EntityMatch> genes,
                                  knowledge_.Resolve(EntityKind::kGene, tokens[j].text, 1));
        if (genes.empty() || !IsConfident(genes.front())) continue;
        const std::string& symbol = genes.front().id;
        const bool knockdown = tokens[i].lower.find("down") != std::string::npos ||
                               tokens[i].lower == "kd" || tokens[i].lower.rfind("silenc", 0) == 0 ||
                               tokens[i].lower == "crispri";
        Perturbation p;
        p.name = absl::StrCat(symbol, knockdown ? "_KD" : "_KO");
        p.type = PerturbationType::kGenetic;
        p.targets = {symbol};
        p.description = absl::StrCat("loss of function of ", symbol);
        perturbation_text = SpanText(raw_query, tokens, std::min(i, j), std::max(i, j) + 1);
        query.notes.push_back(absl::StrCat(
            "genetic perturbation of ", symbol,
            " is not in the knowledge base's perturbation table; its only known target is the "
            "gene itself"));
        perturbation = std::move(p);
        break;
      }
    }
    if (!perturbation) {
      const auto phrase = CuePhrase(tokens, MentionMask(tokens.size(), mentions), *cue);
      if (!phrase) {
        return QueryParsingError(
            absl::StrCat("the query ", Quoted(raw_query), " mentions a response (\"",
                         std::string(tokens[*cue].text),
                         "\") but names no perturbation; say what the cells respond to, "
                         "e.g. \"respond to IFN-gamma\""));
      }
      const auto typo = ClosestPerturbation(labels, raw_query, tokens, phrase->first,
                                            phrase->second, options_.max_typo_edits);
      const std::string_view phrase_text =
          SpanText(raw_query, tokens, phrase->first, phrase->second);
      if (!typo) {
        return EntityResolutionError(absl::StrCat(
            "could not resolve the perturbation ", Quoted(phrase_text),
            ": no known perturbation, synonym or gene knockout matches it; closest known: ",
            ClosestLabels(labels, phrase_text)));
      }
      HAYSTACK_ASSIGN_OR_RETURN(perturbation, knowledge_.FindPerturbation(typo->name));
      perturbation_text = typo->text;
      query.notes.push_back(absl::StrCat("read the perturbation ", Quoted(typo->text), " as ",
                                         typo->name, " (\"", typo->label, "\", edit distance ",
                                         typo->distance, ")"));
    }
  }
  if (perturbation) ApplyPerturbation(*perturbation, perturbation_text, query);

  // ---- cell type: a dictionary mention, else a confident fuzzy hit on the free words.
  const Mention* cell_mention = FirstOf(mentions, EntityKind::kCellType);
  std::optional<EntityMatch> cell_match;
  std::string cell_text;
  if (cell_mention != nullptr) {
    cell_match = cell_mention->match;
    cell_text = cell_mention->text;
    for (const std::string& other : OthersOf(mentions, EntityKind::kCellType)) {
      query.notes.push_back(
          absl::StrCat("also mentioned cell type ", other, "; the first one named is predicted"));
    }
  } else {
    const std::vector<size_t> free = FreeContentTokens(tokens, mentions);
    std::vector<std::string> suggestions;
    for (size_t i = 0; i < free.size() && !cell_match; ++i) {
      // Two-word spans first: "clasical monocytes" before "monocytes".
      for (size_t width : {size_t{2}, size_t{1}}) {
        if (i + width > free.size() || free[i + width - 1] != free[i] + width - 1) continue;
        const std::string_view text = SpanText(raw_query, tokens, free[i], free[i] + width);
        HAYSTACK_ASSIGN_OR_RETURN(std::vector<EntityMatch> matches,
                                  knowledge_.Resolve(EntityKind::kCellType, text, 3));
        for (const EntityMatch& m : matches) {
          suggestions.push_back(absl::StrCat("\"", m.name, "\" (", m.id, ")"));
        }
        if (!matches.empty() && matches.front().score >= 0.85) {
          cell_match = matches.front();
          cell_text = std::string(text);
          query.notes.push_back(absl::StrCat("read the cell type ", Quoted(text), " as \"",
                                             cell_match->name, "\" (", cell_match->id, ", ",
                                             cell_match->method, " match)"));
          break;
        }
      }
    }
    if (!cell_match) {
      std::sort(suggestions.begin(), suggestions.end());
      suggestions.erase(std::unique(suggestions.begin(), suggestions.end()), suggestions.end());
      if (suggestions.size() > 3) suggestions.resize(3);
      return EntityResolutionError(absl::StrCat(
          "no cell type recognised in the query ", Quoted(raw_query),
          "; name one by its Cell Ontology label or a synonym (e.g. \"CD14+ monocytes\", "
          "\"T cells\")",
          suggestions.empty()
              ? ""
              : absl::StrCat("; closest known: ", absl::StrJoin(suggestions, ", "))));
    }
  }
  HAYSTACK_RETURN_IF_ERROR(ApplyCellType(knowledge_, *cell_match, cell_text, query));

  // ---- context: tissue, disease, donors, datasets.
  if (const Mention* tissue = FirstOf(mentions, EntityKind::kTissue)) {
    query.target_tissue = tissue->match.id;
  }
  if (const Mention* disease = FirstOf(mentions, EntityKind::kDisease)) {
    query.target_disease_state = disease->match.id;
  }
  for (const ContextId& donor :
       IdsAfter(tokens, {"donor", "donors", "patient", "individual", "subject", "sample"}, true)) {
    if (IsReferenceWord(donor.preceding)) {
      if (!query.reference_donor_id) query.reference_donor_id = donor.value;
    } else if (!query.target_donor_id) {
      query.target_donor_id = donor.value;
    }
  }
  for (const ContextId& dataset : DatasetNames(tokens)) {
    if (!query.reference_dataset && (IsReferenceWord(dataset.preceding) || !perturbation)) {
      query.reference_dataset = dataset.value;
    } else if (!query.target_condition) {
      query.target_condition = dataset.value;
    }
  }

  // ---- task type (spec-digest/orchestrator.md §2.1-2.2).
  const bool mentions_samples =
      query.target_donor_id.has_value() ||
      ContainsAny(tokens, {"donor", "donors", "patient", "patients", "individual", "individuals",
                           "sample", "samples", "subjects"});
  if (perturbation) {
    query.task_type = mentions_samples ? TaskType::kPerturbationNovelSamples
                                       : TaskType::kPerturbationNovelCellTypes;
  } else if (ContainsPrefix(tokens, "imput") || ContainsPrefix(tokens, "missing")) {
    query.task_type = TaskType::kCellTypeImputation;
  } else if (query.reference_dataset || ContainsAny(tokens, {"cross-dataset", "datasets"})) {
    query.task_type = TaskType::kCrossDatasetGeneration;
  } else if (query.target_donor_id || query.reference_donor_id || mentions_samples) {
    query.task_type = TaskType::kDonorExpressionPrediction;
  } else if (query.target_tissue || query.target_disease_state) {
    query.task_type = TaskType::kCellTypeImputation;
  } else {
    return QueryParsingError(absl::StrCat(
        "could not tell what to predict from the query ", Quoted(raw_query),
        ": name a perturbation (e.g. \"respond to IFN-gamma\") or a context for the cell type "
        "(a donor, tissue, disease or dataset)"));
  }
  return query;
}

}  // namespace haystack
