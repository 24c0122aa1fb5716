#include "internal/atlas_layout.h"

#include <cctype>
#include <cmath>
#include <unordered_set>
#include <variant>

#include "internal/cat.h"

namespace haystack::atlas_internal {
namespace {

constexpr std::string_view kSymbolColumns[] = {"feature_name", "gene_symbols", "gene_symbol",
                                               "gene_name", "symbol"};

// The text of row `i` of a string or categorical column, or nullopt (missing / other type).
std::optional<std::string> TextAt(const DataFrameColumn& column, size_t i) {
  if (column.mask && (*column.mask)[i]) return std::nullopt;
  if (const auto* s = std::get_if<std::vector<std::string>>(&column.values)) return (*s)[i];
  if (const auto* c = std::get_if<Categorical>(&column.values)) {
    auto v = c->ValueAt(i);
    if (v) return std::string(*v);
  }
  return std::nullopt;
}

bool IsUsableSymbol(const std::optional<std::string>& s) {
  return s && !s->empty() && *s != "nan" && *s != "NA";
}

}  // namespace

bool LooksLikeEnsemblGeneId(std::string_view id) {
  if (id.size() < 8 || id.substr(0, 3) != "ENS") return false;
  size_t i = 3;
  while (i < id.size() && std::isupper(static_cast<unsigned char>(id[i]))) ++i;
  if (i == 3 || id[i - 1] != 'G') return false;
  size_t digits = 0;
  while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i]))) ++i, ++digits;
  if (digits < 5) return false;
  if (i < id.size() && id[i] == '.') {  // version suffix
    ++i;
    while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i]))) ++i;
  }
  return i == id.size();
}

std::string UseGeneSymbols(DataFrame& var, const EnsemblToSymbol& fallback) {
  size_t ensembl = 0;
  for (const std::string& id : var.index) ensembl += LooksLikeEnsemblGeneId(id) ? 1 : 0;
  if (var.index.empty() || 2 * ensembl < var.index.size()) return "var index (symbols)";

  const DataFrameColumn* column = nullptr;
  for (std::string_view name : kSymbolColumns) {
    if ((column = var.Find(name)) != nullptr) break;
  }
  if (column == nullptr && !fallback) {
    return "var index (Ensembl ids: no symbol column among feature_name, gene_symbols, "
           "gene_symbol, gene_name, symbol, and no Ensembl map; gene sets will not match)";
  }
  std::vector<std::string> symbols(var.index.size());
  std::unordered_set<std::string> taken;
  size_t kept = 0;
  for (size_t i = 0; i < var.index.size(); ++i) {
    std::optional<std::string> symbol = column != nullptr ? TextAt(*column, i) : std::nullopt;
    if (!IsUsableSymbol(symbol) && fallback) {
      std::string_view id = var.index[i];
      id = id.substr(0, id.find('.'));
      symbol = fallback(id);
    }
    if (IsUsableSymbol(symbol) && taken.insert(*symbol).second) {
      symbols[i] = std::move(*symbol);
    } else {
      symbols[i] = var.index[i];
      ++kept;
    }
  }
  const std::string source = column != nullptr ? Cat("var.", column->name)
                                               : std::string("the knowledge base's Ensembl map");
  if (var.Find("ensembl_id") == nullptr) {
    DataFrameColumn ids{"ensembl_id", std::move(var.index), std::nullopt};
    var.index = std::move(symbols);
    var.columns.push_back(std::move(ids));
  } else {
    var.index = std::move(symbols);
  }
  return Cat(source, " (var index holds Ensembl ids",
             kept > 0 ? Cat("; ", kept, " without a unique symbol kept as ids") : std::string(),
             ")");
}

bool LooksLikeCounts(const ExpressionMatrix& sample) {
  bool above_one = false;
  auto check = [&](const std::vector<float>& values) {
    for (float v : values) {
      if (v < 0 || v != std::floor(v)) return false;
      above_one |= v > 1;
    }
    return true;
  };
  const bool integral = std::visit(
      [&](const auto& m) {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, CsrMatrix>) {
          return check(m.data);
        } else {
          return check(m.values);
        }
      },
      sample);
  return integral && above_one;
}

void NormalizeCountsInPlace(ExpressionMatrix& m) {
  auto scale_row = [](std::span<float> row) {
    double total = 0;
    for (float v : row) total += v;
    if (total <= 0) return;
    const double f = 1e4 / total;
    for (float& v : row) v = static_cast<float>(std::log1p(v * f));
  };
  if (auto* csr = std::get_if<CsrMatrix>(&m)) {
    for (int64_t r = 0; r < csr->rows; ++r) {
      const auto b = static_cast<size_t>(csr->indptr[static_cast<size_t>(r)]);
      const auto e = static_cast<size_t>(csr->indptr[static_cast<size_t>(r) + 1]);
      scale_row(std::span<float>(csr->data.data() + b, e - b));
    }
  } else {
    auto& dense = std::get<DenseMatrix>(m);
    for (int64_t r = 0; r < dense.rows; ++r) scale_row(dense.row(r));
  }
}

}  // namespace haystack::atlas_internal
