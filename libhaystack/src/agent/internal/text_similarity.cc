#include "internal/text_similarity.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace haystack::agent_internal {
namespace {

const std::set<std::string, std::less<>>& CommonWords() {
  static const auto* const words = new std::set<std::string, std::less<>>{
      "the", "and", "of",  "to", "in", "on",   "by",   "for", "with", "from",    "as",   "an",
      "is",  "are", "its", "it", "or", "that", "this", "via", "into", "through", "which"};
  return *words;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (current.size() >= 2 && !CommonWords().contains(current)) words.push_back(current);
    current.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      current += static_cast<char>(std::tolower(u));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

}  // namespace

void TfIdfIndex::Add(const std::string& id, std::string_view text) {
  std::map<std::string, int>& counts = term_counts_[id];
  counts.clear();
  for (const std::string& w : Words(text)) ++counts[w];
}

double TfIdfIndex::Idf(const std::string& term) const {
  int df = 0;
  for (const auto& [id, counts] : term_counts_) df += counts.contains(term) ? 1 : 0;
  // Smoothed, as scikit-learn's default: terms in every document still weigh a little.
  const double n = static_cast<double>(term_counts_.size());
  return std::log((1 + n) / (1 + df)) + 1;
}

std::map<std::string, double> TfIdfIndex::Vector(const std::string& id) const {
  std::map<std::string, double> v;
  auto it = term_counts_.find(id);
  if (it == term_counts_.end()) return v;
  for (const auto& [term, count] : it->second) v[term] = count * Idf(term);
  return v;
}

double TfIdfIndex::Cosine(const std::string& a, const std::string& b) const {
  const auto va = Vector(a);
  const auto vb = Vector(b);
  double dot = 0, na = 0, nb = 0;
  for (const auto& [term, w] : va) {
    na += w * w;
    if (auto it = vb.find(term); it != vb.end()) dot += w * it->second;
  }
  for (const auto& [term, w] : vb) nb += w * w;
  if (na == 0 || nb == 0) return 0;
  return std::clamp(dot / std::sqrt(na * nb), 0.0, 1.0);
}

std::vector<std::string> TfIdfIndex::SharedTerms(const std::string& a, const std::string& b,
                                                 size_t limit) const {
  const auto va = Vector(a);
  const auto vb = Vector(b);
  std::vector<std::pair<double, std::string>> shared;
  for (const auto& [term, w] : va) {
    if (vb.contains(term)) shared.emplace_back(-Idf(term), term);
  }
  std::sort(shared.begin(), shared.end());
  std::vector<std::string> out;
  for (const auto& [neg_idf, term] : shared) {
    if (out.size() == limit) break;
    out.push_back(term);
  }
  return out;
}

}  // namespace haystack::agent_internal
