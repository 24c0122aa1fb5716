// The perturbation phase of the rule-based analysis (docs/agent.md, "Perturbations").
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "internal/nearest.h"
#include "internal/perturbation_names.h"
#include "internal/query_builder.h"
#include "internal/query_resolution.h"

namespace haystack::agent_internal {
namespace {

constexpr size_t kMaxCuePhraseTokens = 4;

std::optional<GeneticModality> GeneticCueModality(const std::vector<Token>& tokens, size_t i,
                                                  size_t* width) {
  const std::string& w = tokens[i].lower;
  *width = 1;
  if (w == "knock" && i + 1 < tokens.size()) {
    *width = 2;
    if (tokens[i + 1].lower == "out") return GeneticModality::kKnockout;
    if (tokens[i + 1].lower == "down") return GeneticModality::kKnockdown;
    return std::nullopt;
  }
  if (IsOneOf(w, {"knockout", "knock-out", "knockouts", "ko", "deletion", "null", "deficient",
                  "loss", "crispr", "crisprko"})) {
    return GeneticModality::kKnockout;
  }
  if (IsOneOf(w,
              {"knockdown", "knock-down", "kd", "crispri", "silencing", "silenced", "depletion"})) {
    return GeneticModality::kKnockdown;
  }
  return std::nullopt;
}

// A genetic perturbation written in the query: the gene (as the knowledge base or the atlas
// names it), the modality and the words that say it.
struct GeneticWording {
  std::string gene;
  GeneticModality modality;
  size_t first, last;
};

// Whether a word names a gene: a perturbation of it in the atlas, a knowledge-base gene, or
// the shape of a symbol.
absl::StatusOr<std::optional<std::string>> GeneNamed(const Analysis& a, const Token& token) {
  const std::string word(token.text);
  if (IsStopWord(token.lower) || IsPerturbationCue(token.lower)) return std::nullopt;
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<Gene> gene, a.query.knowledge.FindGene(word));
  if (gene) return gene->symbol;
  if (!a.query.vocabulary.PerturbationsOfGene(word).empty() || LooksLikeGeneSymbol(word)) {
    return word;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<GeneticWording>> FindGeneticWording(const Analysis& a) {
  const std::vector<Token>& tokens = a.query.tokens;
  for (size_t i = 0; i < tokens.size(); ++i) {
    // One word: "sgIRF1", "STAT1-/-", "IRF9-deficient", "JAK1_KD".
    if (auto g = ParseGenetic(tokens[i].text, false)) {
      Token t = tokens[i];
      t.text = g->gene;
      t.lower = absl::AsciiStrToLower(g->gene);
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> gene, GeneNamed(a, t));
      if (gene) return GeneticWording{*gene, g->modality, i, i + 1};
    }
    size_t width = 1;
    const std::optional<GeneticModality> modality = GeneticCueModality(tokens, i, &width);
    if (!modality) continue;
    // "knock out X", "loss of X", "CRISPRi X"; then "X knockout", "X KO".
    size_t after = i + width;
    while (after < tokens.size() &&
           IsOneOf(tokens[after].lower, {"of", "the", "a", "an", "gene"})) {
      ++after;
    }
    if (after < tokens.size() && !tokens[i + width - 1].ends_clause) {
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> gene, GeneNamed(a, tokens[after]));
      if (gene) return GeneticWording{*gene, *modality, i, after + 1};
    }
    if (i > 0 && !tokens[i - 1].ends_clause) {
      HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> gene, GeneNamed(a, tokens[i - 1]));
      if (gene) return GeneticWording{*gene, *modality, i - 1, i + width};
    }
  }
  return std::nullopt;
}

// Targets and pathways of the parts the knowledge base knows; the type when all agree.
void ApplyAtlasPerturbation(const AtlasPerturbation& p, std::string_view text, StructuredQuery& q) {
  q.perturbation_query = std::string(text);
  q.perturbation_resolved = p.value;
  q.perturbation_components = p.parts;
  q.perturbation_type = p.type.value_or(PerturbationType::kUnknown);
  std::set<std::string> seen_targets, seen_pathways;
  std::vector<std::string> unknown;
  for (size_t i = 0; i < p.parts.size(); ++i) {
    if (!p.knowledge[i]) {
      unknown.push_back(p.parts[i]);
      continue;
    }
    for (const std::string& t : p.knowledge[i]->targets) {
      if (seen_targets.insert(t).second) q.expected_targets.push_back(t);
    }
    for (const std::string& w : p.knowledge[i]->expected_pathways) {
      if (seen_pathways.insert(w).second) q.expected_pathways.push_back(w);
    }
  }
  if (q.expected_targets.empty() && !p.gene.empty()) q.expected_targets = {p.gene};
  if (!unknown.empty()) {
    q.notes.push_back(absl::StrCat(
        "the knowledge base does not know the perturbation ", absl::StrJoin(unknown, ", "),
        ": it is served from the atlas (", p.cells, " cells of ", Quoted(p.value),
        "); components that need its expected targets or pathways",
        p.gene.empty() ? "" : absl::StrCat(" beyond its gene ", p.gene), " are unavailable"));
  }
}

absl::Status Ambiguous(const AtlasVocabulary& vocab, std::string_view text,
                       const std::vector<size_t>& entries) {
  std::vector<std::string> values;
  for (size_t e : entries) values.push_back(vocab.perturbations()[e].value);
  return EntityResolutionError(
      absl::StrCat("the perturbation ", Quoted(text), " is ambiguous: the atlas holds ",
                   absl::StrJoin(values, ", "), "; name the one you mean"));
}

absl::Status ResolveGenetic(const Analysis& a, const GeneticWording& g, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  const std::string_view text = a.query.Span(g.first, g.last);
  std::vector<size_t> entries = vocab.PerturbationsOfGene(g.gene);
  if (entries.size() > 1) {
    std::vector<size_t> same;
    for (size_t e : entries) {
      if (vocab.perturbations()[e].modality == g.modality) same.push_back(e);
    }
    if (!same.empty()) entries = same;
  }
  if (entries.size() == 1) {
    ApplyAtlasPerturbation(vocab.perturbations()[entries[0]], text, q);
    return absl::OkStatus();
  }
  if (entries.empty()) {
    std::vector<std::string> genetic;
    for (const AtlasPerturbation& p : vocab.perturbations()) {
      if (!p.control && !p.gene.empty()) genetic.push_back(p.value);
    }
    return EntityResolutionError(absl::StrCat(
        "the atlas has no perturbation of the gene ", g.gene, " (", Quoted(text), ") in its ",
        vocab.ColumnOf(AtlasField::kPerturbation), " column; ",
        genetic.empty()
            ? absl::StrCat("it holds no genetic perturbations; its perturbations: ",
                           NearestPerturbations(vocab, text, {g.gene}, std::nullopt))
            : absl::StrCat("its genetic perturbations: ", absl::StrJoin(genetic, ", "))));
  }
  return Ambiguous(vocab, text, entries);
}

// The name of a part as the combination compares it: the knowledge base's name, else the
// atlas's part, else the words.
std::string PartName(const AtlasVocabulary& vocab, const Mention& m) {
  if (m.atlas.size() == 1 && vocab.perturbations()[m.atlas[0]].parts.size() == 1) {
    return vocab.perturbations()[m.atlas[0]].parts[0];
  }
  if (m.knowledge) return m.knowledge->id;
  return m.text;
}

absl::Status ResolveCombination(const Analysis& a, const std::vector<const Mention*>& mentions,
                                StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  std::vector<std::string> parts, written;
  for (const Mention* m : mentions) {
    const std::string part = PartName(vocab, *m);
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
    written.push_back(Quoted(m->text));
  }
  const std::string_view text = a.query.Span(mentions.front()->first, mentions.back()->last);
  if (auto entry = vocab.Combination(parts)) {
    ApplyAtlasPerturbation(vocab.perturbations()[*entry], text, q);
    return absl::OkStatus();
  }
  std::vector<std::string> combinations;
  for (const AtlasPerturbation& p : vocab.perturbations()) {
    if (!p.control && p.parts.size() > 1) combinations.push_back(p.value);
  }
  return EntityResolutionError(absl::StrCat(
      "the atlas holds no combination of ", absl::StrJoin(parts, " and "), " (",
      absl::StrJoin(written, ", "), "): ",
      combinations.empty() ? std::string("it holds no combinations")
                           : absl::StrCat("its combinations: ", absl::StrJoin(combinations, ", ")),
      "; its perturbations nearest to these: ",
      NearestPerturbations(vocab, text, parts, std::nullopt)));
}

absl::Status ResolveNamed(const Analysis& a, const Mention& m, StructuredQuery& q) {
  const AtlasVocabulary& vocab = a.query.vocabulary;
  std::vector<size_t> entries;
  for (size_t e : m.atlas) {
    if (!vocab.perturbations()[e].control) entries.push_back(e);
  }
  if (entries.size() == 1) {
    ApplyAtlasPerturbation(vocab.perturbations()[entries[0]], m.text, q);
    return absl::OkStatus();
  }
  if (entries.size() > 1) return Ambiguous(vocab, m.text, entries);
  if (!m.atlas.empty()) {
    return EntityResolutionError(
        absl::StrCat(Quoted(m.text), " is a control condition of the atlas (",
                     vocab.control_source(), "), not a perturbation; its perturbations: ",
                     NearestPerturbations(vocab, m.text, {}, std::nullopt)));
  }
  // The knowledge base knows it; the atlas does not hold it.
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<Perturbation> known,
                            a.query.knowledge.FindPerturbation(m.knowledge->id));
  return EntityResolutionError(absl::StrCat(
      "the atlas has no cells treated with ", m.knowledge->id,
      m.knowledge->id == m.text ? std::string() : absl::StrCat(" (", Quoted(m.text), ")"),
      " in its ", vocab.ColumnOf(AtlasField::kPerturbation),
      " column; its perturbations, nearest first: ",
      NearestPerturbations(vocab, m.text, {m.knowledge->id}, known)));
}

// The words a perturbation cue points at: "respond to <X>", "treated with <X>",
// "<X> treatment". Words inside a mention are never part of the phrase.
std::optional<std::pair<size_t, size_t>> CuePhrase(const std::vector<Token>& tokens,
                                                   const std::vector<bool>& used, size_t cue) {
  auto is_link = [](const std::string& w) {
    return IsOneOf(w, {"to", "with", "by", "of", "the", "a", "an"});
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
  size_t begin = cue;
  while (begin > 0 && cue - begin < kMaxCuePhraseTokens - 1 && !used[begin - 1] &&
         !IsStopWord(tokens[begin - 1].lower) && !tokens[begin - 1].ends_clause) {
    --begin;
  }
  if (begin < cue) return std::make_pair(begin, cue);
  return std::nullopt;
}

struct Typo {
  NameTypo name;
  std::string text;  // the words, as written
};

// The closest atlas perturbation name to a sub-span of the phrase, within the typo budget: at
// most `max_edits` and a quarter of the name's length.
std::optional<Typo> ClosestPerturbation(const Analysis& a, size_t first, size_t last) {
  std::optional<Typo> best;
  const auto& names = a.query.vocabulary.Names(VocabularyKind::kPerturbation);
  for (size_t i = first; i < last; ++i) {
    for (size_t j = i + 1; j <= last; ++j) {
      const std::string_view text = a.query.Span(i, j);
      auto typo = ClosestName(names, NormalizeEntityText(text), a.max_typo_edits, 4);
      if (typo && (!best || typo->distance < best->name.distance)) {
        best = Typo{std::move(*typo), std::string(text)};
      }
    }
  }
  return best;
}

absl::Status ResolveFromCue(const Analysis& a, size_t cue, StructuredQuery& q) {
  const std::vector<Token>& tokens = a.query.tokens;
  const auto phrase = CuePhrase(tokens, MentionMask(tokens.size(), a.mentions), cue);
  if (!phrase) {
    return QueryParsingError(absl::StrCat(
        "the query ", Quoted(a.query.raw), " mentions a response (\"",
        std::string(tokens[cue].text),
        "\") but names no perturbation; say what the cells respond to, e.g. \"respond to ",
        a.query.vocabulary.perturbations().empty()
            ? std::string("IFN-gamma")
            : NearestPerturbations(a.query.vocabulary, "", {}, std::nullopt, 1),
        "\""));
  }
  const std::string_view text = a.query.Span(phrase->first, phrase->second);
  if (auto typo = ClosestPerturbation(a, phrase->first, phrase->second)) {
    const AtlasPerturbation& p = a.query.vocabulary.perturbations()[typo->name.entry];
    if (!p.control) {
      ApplyAtlasPerturbation(p, typo->text, q);
      q.notes.push_back(absl::StrCat("read the perturbation ", Quoted(typo->text), " as ", p.value,
                                     " (\"", typo->name.name, "\", edit distance ",
                                     typo->name.distance, ")"));
      return absl::OkStatus();
    }
  }
  return EntityResolutionError(absl::StrCat(
      "could not resolve the perturbation ", Quoted(text),
      ": neither the atlas nor the knowledge base knows it; the atlas's perturbations (",
      a.query.vocabulary.ColumnOf(AtlasField::kPerturbation),
      " column), nearest first: ", NearestPerturbations(a.query.vocabulary, text, {}, std::nullopt),
      "; ", ExtensionHint("this perturbation")));
}

bool Overlaps(const GeneticWording& g, const Mention& m) {
  return g.first < m.last && m.first < g.last;
}

}  // namespace

absl::Status ResolvePerturbation(const Analysis& a, StructuredQuery& q) {
  std::vector<const Mention*> named = MentionsOf(a.mentions, VocabularyKind::kPerturbation);
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<GeneticWording> genetic, FindGeneticWording(a));
  if (genetic) {
    const bool covered = std::any_of(named.begin(), named.end(), [&](const Mention* m) {
      return !m->atlas.empty() && Overlaps(*genetic, *m);
    });
    if (!covered) {
      std::erase_if(named, [&](const Mention* m) { return Overlaps(*genetic, *m); });
      if (named.empty()) return ResolveGenetic(a, *genetic, q);
    }
  }
  if (named.size() > 1) return ResolveCombination(a, named, q);
  if (named.size() == 1) return ResolveNamed(a, *named.front(), q);
  for (size_t i = 0; i < a.query.tokens.size(); ++i) {
    if (IsPerturbationCue(a.query.tokens[i].lower)) return ResolveFromCue(a, i, q);
  }
  return absl::OkStatus();
}

}  // namespace haystack::agent_internal
