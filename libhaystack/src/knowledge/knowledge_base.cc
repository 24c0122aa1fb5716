#include "haystack/knowledge/knowledge_base.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <unordered_set>

namespace haystack {
namespace {

// Greek letters as written in gene and cytokine names, spelled out.
constexpr std::pair<std::string_view, std::string_view> kGreek[] = {
    {"α", "alpha"},  {"β", "beta"},  {"γ", "gamma"}, {"δ", "delta"}, {"κ", "kappa"},
    {"λ", "lambda"}, {"ω", "omega"}, {"Α", "alpha"}, {"Β", "beta"},  {"Γ", "gamma"},
};

std::string Singular(const std::string& word) {
  // "monocytes" → "monocyte", "cells" → "cell"; leave "class", "mass", "CD4s"-like short words.
  if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's' &&
      std::isalpha(static_cast<unsigned char>(word[word.size() - 2]))) {
    return word.substr(0, word.size() - 1);
  }
  return word;
}

}  // namespace

std::function<std::optional<std::string>(std::string_view)> EnsemblSymbolLookup(
    const KnowledgeBase& kb) {
  return [&kb](std::string_view id) -> std::optional<std::string> {
    absl::StatusOr<std::optional<std::string>> symbol = kb.SymbolOfEnsemblId(id);
    return symbol.ok() ? *symbol : std::nullopt;
  };
}

std::string_view WithoutEnsemblVersion(std::string_view ensembl_id) {
  return ensembl_id.substr(0, ensembl_id.find('.'));
}

std::string NormalizeEntityText(std::string_view text) {
  std::string spaced;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [letter, name] : kGreek) {
      if (text.substr(i, letter.size()) == letter) {
        spaced += ' ';
        spaced += name;
        spaced += ' ';
        i += letter.size();
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c) || c == '+' || c >= 0x80) {
      spaced += static_cast<char>(std::tolower(c));
    } else {
      spaced += ' ';
    }
    ++i;
  }
  std::string out;
  size_t start = 0;
  while (start < spaced.size()) {
    const size_t end = spaced.find(' ', start);
    const std::string word = spaced.substr(start, end == std::string::npos ? end : end - start);
    if (!word.empty()) {
      if (!out.empty()) out += ' ';
      out += Singular(word);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string_view MatchMethodName(MatchMethod method) {
  switch (method) {
    case MatchMethod::kExact:
      return "exact";
    case MatchMethod::kSynonym:
      return "synonym";
    case MatchMethod::kNormalized:
      return "normalized";
    case MatchMethod::kFuzzy:
      return "fuzzy";
  }
  return "?";
}

absl::StatusOr<std::vector<GeneSet>> KnowledgeBase::GeneSetsWithin(
    std::string_view collection, std::span<const std::string> genes) const {
  auto sets = GeneSets(collection, 1, std::numeric_limits<int>::max());
  if (!sets.ok()) return sets.status();
  const std::unordered_set<std::string_view> wanted(genes.begin(), genes.end());
  std::vector<GeneSet> within;
  for (GeneSet& set : *sets) {
    std::erase_if(set.genes, [&](const std::string& g) { return !wanted.contains(g); });
    if (!set.genes.empty()) within.push_back(std::move(set));
  }
  return within;
}

}  // namespace haystack
