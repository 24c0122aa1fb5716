#include "internal/obs_index.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "haystack/core/error.h"
#include "internal/cat.h"

namespace haystack::atlas_internal {
namespace {

// Any column type as a categorical of its text values; masked rows get code -1.
Categorical AsCategorical(const DataFrameColumn& column) {
  Categorical out = std::visit(
      [](const auto& v) -> Categorical {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, Categorical>) {
          return v;
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          return Categorical::FromStrings(v);
        } else if constexpr (std::is_same_v<V, std::vector<bool>>) {
          Categorical c;
          c.categories = {"false", "true"};
          c.codes.reserve(v.size());
          for (bool b : v) c.codes.push_back(b ? 1 : 0);
          return c;
        } else {
          std::vector<std::string> text;
          text.reserve(v.size());
          for (const auto& x : v) text.push_back(fmt::format("{}", x));
          return Categorical::FromStrings(text);
        }
      },
      column.values);
  if (column.mask) {
    for (size_t i = 0; i < out.codes.size(); ++i) {
      if ((*column.mask)[i]) out.codes[i] = -1;
    }
  }
  return out;
}

// "True", "1", "yes", "t" → "true"; "False", "0", "no", "f" → "false"; other values kept.
Categorical AsFlag(Categorical c) {
  for (std::string& category : c.categories) {
    const std::string lower = absl::AsciiStrToLower(category);
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "t" || lower == "1.0") {
      category = "true";
    } else if (lower == "false" || lower == "0" || lower == "no" || lower == "f" ||
               lower == "0.0") {
      category = "false";
    }
  }
  // Two spellings of one flag ("True" and "1") now share a name: merge their codes.
  Categorical merged;
  std::vector<int32_t> remap(c.categories.size());
  for (size_t i = 0; i < c.categories.size(); ++i) {
    auto it = std::find(merged.categories.begin(), merged.categories.end(), c.categories[i]);
    if (it == merged.categories.end()) {
      merged.categories.push_back(c.categories[i]);
      it = merged.categories.end() - 1;
    }
    remap[i] = static_cast<int32_t>(it - merged.categories.begin());
  }
  merged.codes.reserve(c.codes.size());
  for (int32_t code : c.codes)
    merged.codes.push_back(code < 0 ? code : remap[static_cast<size_t>(code)]);
  return merged;
}

// The obs column holding `field`: the mapping's, else the first candidate obs has. A detected
// condition column never doubles as the perturbation column.
std::optional<std::string> ChooseColumn(const ObsColumns& obs, const AtlasColumnMapping& mapping,
                                        AtlasField field, const std::string& perturbation_column,
                                        std::vector<std::string>& notes) {
  if (auto it = mapping.columns.find(field); it != mapping.columns.end()) {
    if (obs.Find(it->second) == nullptr) return std::nullopt;
    notes.push_back(Cat(DefaultColumnName(field), ": column '", it->second, "' (mapping)"));
    return it->second;
  }
  for (std::string_view candidate : ColumnCandidates(field)) {
    if (obs.Find(candidate) == nullptr) continue;
    if (field == AtlasField::kCondition && candidate == perturbation_column) continue;
    if (candidate != DefaultColumnName(field)) {
      notes.push_back(Cat(DefaultColumnName(field), ": column '", candidate, "' (detected)"));
    }
    return std::string(candidate);
  }
  return std::nullopt;
}

std::string Tried(const AtlasColumnMapping& mapping, AtlasField field) {
  if (auto it = mapping.columns.find(field); it != mapping.columns.end()) {
    return Cat("'", it->second, "' (from the column mapping)");
  }
  std::string out;
  for (std::string_view c : ColumnCandidates(field)) out += Cat(out.empty() ? "'" : ", '", c, "'");
  return out;
}

}  // namespace

absl::StatusOr<ObsIndex> ObsIndex::Build(const ObsColumns& obs, const AtlasColumnMapping& mapping,
                                         std::string_view what) {
  const int64_t rows = obs.rows();
  ObsIndex index;
  index.rows_ = rows;
  index.what_ = std::string(what);
  std::string perturbation_column;
  for (AtlasField field : kAllAtlasFields) {
    const std::optional<std::string> column =
        ChooseColumn(obs, mapping, field, perturbation_column, index.notes_);
    if (!column) {
      index.mapping_.columns[field] = mapping.ColumnFor(field);
      if (!IsRequiredField(field)) continue;
      std::string have;
      for (const auto& col : obs.columns()) have += (have.empty() ? "" : ", ") + col.name;
      return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument,
                       Cat(what, ": obs has no column for the ", DefaultColumnName(field),
                           " field (looked for ", Tried(mapping, field),
                           "; map the atlas's column in a column mapping file); obs columns: ",
                           have.empty() ? "none" : have));
    }
    index.mapping_.columns[field] = *column;
    if (field == AtlasField::kPerturbation) perturbation_column = *column;
    const ObsColumn* c = obs.Find(*column);
    if (static_cast<int64_t>(c->size()) != rows) {
      return MakeError(
          ErrorKind::kStorage, absl::StatusCode::kInvalidArgument,
          Cat(what, ": obs column '", *column, "' has ", c->size(), " rows, expected ", rows));
    }
    const auto* categorical = std::get_if<CompactCategorical>(&c->values);
    const auto* plain = std::get_if<DataFrameColumn>(&c->values);
    const bool is_bool =
        plain != nullptr && std::holds_alternative<std::vector<bool>>(plain->values);
    if (field == AtlasField::kIsControl && !is_bool) {
      // A flag stored as text or numbers ("True", "1", "yes") reads "true"/"false" like a bool.
      Categorical flag = AsFlag(categorical ? categorical->ToCategorical() : AsCategorical(*plain));
      index.converted_.push_back(
          std::make_unique<CompactCategorical>(CompactCategorical::FromCategorical(flag)));
      index.fields_[Slot(field)] = index.converted_.back().get();
    } else if (categorical != nullptr) {
      index.fields_[Slot(field)] = categorical;  // used in place: a code per cell is not copied
    } else {
      index.converted_.push_back(std::make_unique<CompactCategorical>(
          CompactCategorical::FromCategorical(AsCategorical(*plain))));
      index.fields_[Slot(field)] = index.converted_.back().get();
    }
  }
  return index;
}

absl::StatusOr<const CompactCategorical*> ObsIndex::Field(AtlasField field) const {
  const CompactCategorical* f = fields_[Slot(field)];
  if (f == nullptr) {
    return RetrievalError(Cat(what_, ": the atlas has no '", mapping_.ColumnFor(field),
                              "' column (field ", DefaultColumnName(field), ")"));
  }
  return f;
}

absl::StatusOr<std::vector<GroupCount>> ObsIndex::Values(AtlasField field) const {
  HAYSTACK_ASSIGN_OR_RETURN(const CompactCategorical* c, Field(field));
  std::vector<int64_t> counts(c->categories.size(), 0);
  c->VisitCodes([&](const auto& codes) {
    for (const auto code : codes) {
      if (code >= 0) ++counts[static_cast<size_t>(code)];
    }
  });
  std::vector<GroupCount> out;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) out.push_back({{c->categories[i]}, counts[i]});
  }
  std::sort(out.begin(), out.end(),
            [](const GroupCount& a, const GroupCount& b) { return a.values < b.values; });
  return out;
}

absl::StatusOr<std::string> ObsIndex::ValueOf(AtlasField field, int64_t cell) const {
  HAYSTACK_ASSIGN_OR_RETURN(const CompactCategorical* c, Field(field));
  if (cell < 0 || cell >= rows_) {
    return RetrievalError(Cat(what_, ": cell index ", cell, " is out of range [0, ", rows_, ")"));
  }
  const int32_t code = c->CodeAt(static_cast<size_t>(cell));
  return code < 0 ? std::string() : c->categories[static_cast<size_t>(code)];
}

const ObsIndex::RowsByCode* ObsIndex::RowsOf(AtlasField field,
                                             const CompactCategorical& column) const {
  const size_t slot = Slot(field);
  if (lazy_rows_->queries[slot].fetch_add(1) == 0) return nullptr;
  std::call_once(lazy_rows_->built[slot], [&] {
    // A counting sort of the rows by code: two passes over the codes.
    RowsByCode& index = lazy_rows_->by_field[slot];
    index.begin.assign(column.categories.size() + 1, 0);
    column.VisitCodes([&](const auto& codes) {
      for (const auto code : codes) {
        if (code >= 0) ++index.begin[static_cast<size_t>(code) + 1];
      }
      for (size_t c = 1; c < index.begin.size(); ++c) index.begin[c] += index.begin[c - 1];
      index.rows.resize(static_cast<size_t>(index.begin.back()));
      std::vector<int64_t> next(index.begin.begin(), index.begin.end() - 1);
      for (size_t r = 0; r < codes.size(); ++r) {
        if (codes[r] >= 0) {
          index.rows[static_cast<size_t>(next[static_cast<size_t>(codes[r])]++)] =
              static_cast<int32_t>(r);
        }
      }
    });
  });
  return &lazy_rows_->by_field[slot];
}

absl::StatusOr<std::vector<int64_t>> ObsIndex::Select(const CellFilter& filter) const {
  if (filter.any_of.empty()) {
    std::vector<int64_t> all(static_cast<size_t>(rows_));
    for (int64_t r = 0; r < rows_; ++r) all[static_cast<size_t>(r)] = r;
    return all;
  }
  // Per field: which codes it accepts (slot 0 = missing, never accepted) and, once the field has
  // its row lists, how many rows that is. The rows of the most selective listed field are the
  // candidates and the other fields filter them; with no lists yet, one scan of every cell.
  struct Condition {
    const CompactCategorical* column;
    std::vector<char> accepts;  // by code + 1
    std::vector<int32_t> codes;
    const RowsByCode* by_code;  // nullptr: not built yet
    int64_t rows = 0;
  };
  std::vector<Condition> conditions;
  for (const auto& [field, accepted] : filter.any_of) {
    HAYSTACK_ASSIGN_OR_RETURN(const CompactCategorical* c, Field(field));
    Condition condition{.column = c,
                        .accepts = std::vector<char>(c->categories.size() + 1, 0),
                        .codes = {},
                        .by_code = RowsOf(field, *c),
                        .rows = 0};
    for (const auto& value : accepted) {
      auto it = std::find(c->categories.begin(), c->categories.end(), value);
      if (it == c->categories.end()) continue;
      const auto code = static_cast<size_t>(it - c->categories.begin());
      if (condition.accepts[code + 1]) continue;
      condition.accepts[code + 1] = 1;
      condition.codes.push_back(static_cast<int32_t>(code));
      if (condition.by_code != nullptr) {
        condition.rows += condition.by_code->begin[code + 1] - condition.by_code->begin[code];
      }
    }
    conditions.push_back(std::move(condition));
  }
  const Condition* narrowest = nullptr;
  for (const Condition& condition : conditions) {
    if (condition.by_code != nullptr && (narrowest == nullptr || condition.rows < narrowest->rows))
      narrowest = &condition;
  }
  std::vector<int64_t> out;
  if (narrowest != nullptr) {
    out.reserve(static_cast<size_t>(narrowest->rows));
    for (const int32_t code : narrowest->codes) {
      const RowsByCode& by_code = *narrowest->by_code;
      for (int64_t k = by_code.begin[static_cast<size_t>(code)];
           k < by_code.begin[static_cast<size_t>(code) + 1]; ++k) {
        out.push_back(by_code.rows[static_cast<size_t>(k)]);
      }
    }
    if (narrowest->codes.size() > 1) std::sort(out.begin(), out.end());
  } else {
    std::vector<char> match(static_cast<size_t>(rows_), 1);
    for (const Condition& condition : conditions) {
      condition.column->VisitCodes([&](const auto& codes) {
        for (size_t r = 0; r < match.size(); ++r) {
          match[r] &= condition.accepts[static_cast<size_t>(codes[r] + 1)];
        }
      });
    }
    for (size_t r = 0; r < match.size(); ++r) {
      if (match[r]) out.push_back(static_cast<int64_t>(r));
    }
    return out;
  }
  for (const Condition& condition : conditions) {
    if (&condition == narrowest) continue;
    condition.column->VisitCodes([&](const auto& codes) {
      std::erase_if(out, [&](int64_t r) {
        return !condition.accepts[static_cast<size_t>(codes[static_cast<size_t>(r)] + 1)];
      });
    });
  }
  return out;
}

absl::StatusOr<std::vector<GroupCount>> ObsIndex::CountBy(std::span<const AtlasField> group_by,
                                                          const CellFilter& filter) const {
  std::vector<const CompactCategorical*> fields;
  // Groups are keyed by a mixed-radix number of the codes (+1 for missing values).
  std::vector<uint64_t> radix;
  uint64_t span = 1;
  for (AtlasField f : group_by) {
    HAYSTACK_ASSIGN_OR_RETURN(const CompactCategorical* c, Field(f));
    fields.push_back(c);
    const uint64_t base = c->categories.size() + 1;
    radix.push_back(span);
    if (span > std::numeric_limits<uint64_t>::max() / base) {
      return RetrievalError(Cat(what_, ": too many groups to count"));
    }
    span *= base;
  }
  HAYSTACK_ASSIGN_OR_RETURN(const std::vector<int64_t> matched, Select(filter));
  // Each field adds its digit to every matched row's key: one pass per field over its codes.
  std::vector<uint64_t> keys(matched.size(), 0);
  for (size_t f = 0; f < fields.size(); ++f) {
    fields[f]->VisitCodes([&](const auto& codes) {
      for (size_t j = 0; j < matched.size(); ++j) {
        keys[j] += static_cast<uint64_t>(codes[static_cast<size_t>(matched[j])] + 1) * radix[f];
      }
    });
  }
  absl::flat_hash_map<uint64_t, int64_t> counts;
  for (const uint64_t key : keys) ++counts[key];
  std::vector<GroupCount> out;
  out.reserve(counts.size());
  for (const auto& [key, n] : counts) {
    GroupCount g;
    g.cells = n;
    for (size_t f = 0; f < fields.size(); ++f) {
      const uint64_t base = fields[f]->categories.size() + 1;
      const uint64_t code = (key / radix[f]) % base;
      g.values.push_back(code == 0 ? "" : fields[f]->categories[code - 1]);
    }
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(),
            [](const GroupCount& a, const GroupCount& b) { return a.values < b.values; });
  return out;
}

}  // namespace haystack::atlas_internal
