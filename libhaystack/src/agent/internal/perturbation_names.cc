#include "internal/perturbation_names.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace haystack::agent_internal {
namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(std::string(s)); }

bool HasLetter(std::string_view s) {
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s, std::string_view junk = " _-:") {
  while (!s.empty() && junk.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && junk.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

struct Affix {
  std::string_view text;  // lower case
  GeneticModality modality;
};

// Words after the gene ("STAT1 KO"), joined by '_', '-', ' ' or nothing ("STAT2-/-").
constexpr Affix kSuffixes[] = {
    {"knockout", GeneticModality::kKnockout},    {"knock-out", GeneticModality::kKnockout},
    {"ko", GeneticModality::kKnockout},          {"-/-", GeneticModality::kKnockout},
    {"deletion", GeneticModality::kKnockout},    {"del", GeneticModality::kKnockout},
    {"null", GeneticModality::kKnockout},        {"deficient", GeneticModality::kKnockout},
    {"sgrna", GeneticModality::kKnockout},       {"knockdown", GeneticModality::kKnockdown},
    {"knock-down", GeneticModality::kKnockdown}, {"kd", GeneticModality::kKnockdown},
    {"shrna", GeneticModality::kKnockdown},      {"sirna", GeneticModality::kKnockdown},
};
// Words before the gene ("CRISPRi TYK2", "sgIRF1").
constexpr Affix kPrefixes[] = {
    {"crispri", GeneticModality::kKnockdown}, {"crispr-i", GeneticModality::kKnockdown},
    {"crisprko", GeneticModality::kKnockout}, {"crispr-ko", GeneticModality::kKnockout},
    {"crispr", GeneticModality::kKnockout},   {"sg", GeneticModality::kKnockout},
    {"si", GeneticModality::kKnockdown},      {"sh", GeneticModality::kKnockdown},
};

// "IRF1", "IRF1_2" (a guide number), "IRF1#1" → "IRF1" if it looks like a symbol.
std::optional<std::string> GenePart(std::string_view s) {
  s = Trim(s);
  const size_t cut = s.find_first_of("_#");
  if (cut != std::string_view::npos) s = s.substr(0, cut);
  if (!LooksLikeGeneSymbol(s)) return std::nullopt;
  return std::string(s);
}

}  // namespace

bool LooksLikeGeneSymbol(std::string_view s) {
  if (s.size() < 2 || s.size() > 15 || !std::isupper(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isupper(u) && !std::isdigit(u) && c != '-' && c != '.') return false;
  }
  return s.back() != '-';
}

std::optional<GeneticName> ParseGenetic(std::string_view value, bool whole_value_is_gene) {
  value = Trim(value, " ");
  const std::string lower = Lower(value);
  for (const Affix& a : kSuffixes) {
    if (lower.size() <= a.text.size() || !lower.ends_with(a.text)) continue;
    const std::string_view head = value.substr(0, value.size() - a.text.size());
    const bool glued =
        a.text == "-/-" ||
        (!head.empty() && std::string_view(" _-").find(head.back()) != std::string_view::npos);
    if (!glued) continue;
    if (auto gene = GenePart(head)) return GeneticName{*gene, a.modality};
  }
  for (const Affix& a : kPrefixes) {
    if (lower.size() <= a.text.size() || !lower.starts_with(a.text)) continue;
    const std::string_view rest = value.substr(a.text.size());
    // "sg"/"si"/"sh" are glued to the gene ("sgIRF1"); "CRISPRi" is separated from it.
    const bool short_prefix = a.text.size() == 2;
    if (short_prefix && !std::isupper(static_cast<unsigned char>(rest.front()))) continue;
    if (!short_prefix && std::string_view(" _-:").find(rest.front()) == std::string_view::npos) {
      continue;
    }
    if (auto gene = GenePart(rest)) return GeneticName{*gene, a.modality};
  }
  if (whole_value_is_gene) {
    if (auto gene = GenePart(value)) return GeneticName{*gene, GeneticModality::kKnockout};
  }
  return std::nullopt;
}

std::vector<std::string> SplitCombination(std::string_view value) {
  std::vector<std::string> parts;
  const std::string whole(value);
  for (absl::string_view piece : absl::StrSplit(whole, absl::ByAnyChar("+&;"))) {
    const std::string owned(piece);
    const std::string_view part = Trim(owned, " ");
    if (!HasLetter(part)) return {whole};
    parts.emplace_back(part);
  }
  return parts;
}

std::string StripDose(std::string_view value) {
  static constexpr std::string_view kUnits[] = {
      "ng/ml", "ug/ml", "µg/ml", "mg/ml", "pg/ml", "u/ml", "iu/ml", "ng", "ug",
      "µg",    "mg",    "pg",    "nm",    "um",    "µm",   "mm",    "m",  "%",
      "h",     "hr",    "hrs",   "hours", "d",     "days", "min",   "x"};
  auto is_dose = [&](std::string_view token) {
    std::string t = Lower(Trim(token, "()[] ,"));
    size_t i = 0;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    if (i == 0) {  // a unit alone, after a number ("50 ng/ml")
      for (std::string_view u : kUnits) {
        if (t == u) return true;
      }
      return false;
    }
    const std::string unit = t.substr(i);
    if (unit.empty()) return true;
    for (std::string_view u : kUnits) {
      if (unit == u) return true;
    }
    return false;
  };
  std::vector<std::string> kept;
  bool after_number = false;
  const std::string whole(value);
  for (absl::string_view piece : absl::StrSplit(whole, absl::ByAnyChar(" _"), absl::SkipEmpty())) {
    const std::string token(piece);
    const std::string_view digits = Trim(token, "(");
    const bool number = !digits.empty() && std::isdigit(static_cast<unsigned char>(digits[0]));
    const bool dose = is_dose(token) && (number || after_number);
    after_number = dose;
    if (!dose) kept.push_back(token);
  }
  const std::string joined = absl::StrJoin(kept, " ");
  std::string out(Trim(joined, " _-([,"));
  return out.empty() ? std::string(value) : out;
}

}  // namespace haystack::agent_internal
