// TF-IDF cosine similarity between short descriptions: the semantic strategy's measure. No
// embedding service: word overlap weighted by rarity is explainable and deterministic.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_TEXT_SIMILARITY_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_TEXT_SIMILARITY_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace haystack::agent_internal {

class TfIdfIndex {
 public:
  // Adds (or replaces) a document. Words are lowercased alphanumeric runs of length >= 2,
  // minus common English words.
  void Add(const std::string& id, std::string_view text);
  // Cosine of the TF-IDF vectors of two added documents, in [0, 1]; 0 if either is unknown.
  double Cosine(const std::string& a, const std::string& b) const;
  // The words the two documents share, rarest first (for rationales).
  std::vector<std::string> SharedTerms(const std::string& a, const std::string& b,
                                       size_t limit) const;

 private:
  std::map<std::string, double> Vector(const std::string& id) const;
  double Idf(const std::string& term) const;

  std::map<std::string, std::map<std::string, int>> term_counts_;  // document → term → count
};

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_TEXT_SIMILARITY_H_
