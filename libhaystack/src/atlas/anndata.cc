#include "haystack/atlas/anndata.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "internal/cat.h"

namespace haystack {

using atlas_internal::Cat;
namespace {

absl::Status Invalid(std::string_view message) {
  return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument, message);
}

absl::Status ValidateKey(std::string_view what, std::string_view key) {
  if (key.empty()) return Invalid(Cat(what, ": empty key"));
  if (key.find('/') != std::string_view::npos) {
    return Invalid(Cat(what, ": key ", QuoteForMessage(key),
                       " contains '/', which HDF5 would read as a path"));
  }
  if (!IsValidUtf8(key)) return Invalid(Cat(what, ": key is not valid UTF-8"));
  return absl::OkStatus();
}

absl::Status ValidateUns(std::string_view path, const UnsValue& value) {
  if (const auto* dict = std::get_if<UnsValue::Dict>(&value.value)) {
    for (const auto& [key, child] : *dict) {
      HAYSTACK_RETURN_IF_ERROR(ValidateKey(path, key));
      HAYSTACK_RETURN_IF_ERROR(ValidateUns(Cat(path, "/", key), child));
    }
  } else if (const auto* list = std::get_if<UnsValue::List>(&value.value)) {
    for (size_t i = 0; i < list->size(); ++i) {
      HAYSTACK_RETURN_IF_ERROR(ValidateUns(Cat(path, "/", i), (*list)[i]));
    }
  } else if (const auto* df = std::get_if<DataFrame>(&value.value)) {
    HAYSTACK_RETURN_IF_ERROR(df->Validate(path));
  } else if (const auto* array = std::get_if<NumericArray>(&value.value)) {
    const size_t n = std::visit([](const auto& v) { return v.size(); }, array->data);
    if (static_cast<int64_t>(n) != array->size()) {
      return Invalid(Cat(path, ": array has ", n, " values for shape of ", array->size()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRows(std::string_view what, int64_t rows, int64_t expected, std::string_view of) {
  if (rows != expected) {
    return Invalid(Cat(what, ": ", rows, " rows, expected ", expected, " (", of, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string_view> Categorical::ValueAt(size_t i) const {
  const int32_t code = codes[i];
  if (code < 0 || static_cast<size_t>(code) >= categories.size()) return std::nullopt;
  return categories[static_cast<size_t>(code)];
}

Categorical Categorical::FromStrings(const std::vector<std::string>& values) {
  Categorical out;
  std::set<std::string_view> unique(values.begin(), values.end());
  out.categories.assign(unique.begin(), unique.end());
  absl::flat_hash_map<std::string_view, int32_t> code_of;
  for (size_t i = 0; i < out.categories.size(); ++i) {
    code_of[out.categories[i]] = static_cast<int32_t>(i);
  }
  out.codes.reserve(values.size());
  for (const auto& v : values) out.codes.push_back(code_of.at(v));
  return out;
}

size_t DataFrameColumn::size() const {
  return std::visit(
      [](const auto& v) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Categorical>) {
          return v.codes.size();
        } else {
          return v.size();
        }
      },
      values);
}

const DataFrameColumn* DataFrame::Find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

DataFrameColumn* DataFrame::Find(std::string_view name) {
  for (auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status DataFrame::AddColumn(DataFrameColumn column) {
  HAYSTACK_RETURN_IF_ERROR(ValidateKey("column name", column.name));
  if (column.name == "_index" || column.name == index_name) {
    return Invalid(Cat("column name '", column.name, "' is reserved for the index"));
  }
  if (Find(column.name) != nullptr) {
    return Invalid(Cat("column '", column.name, "' already exists"));
  }
  if (static_cast<int64_t>(column.size()) != rows()) {
    return Invalid(Cat("column '", column.name, "' has ", column.size(),
                       " values, the dataframe has ", rows(), " rows"));
  }
  columns.push_back(std::move(column));
  return absl::OkStatus();
}

absl::Status DataFrame::Validate(std::string_view what) const {
  HAYSTACK_RETURN_IF_ERROR(ValidateKey(Cat(what, " index name"), index_name));
  std::set<std::string_view> names;
  for (const auto& c : columns) {
    const std::string where = Cat(what, "['", c.name, "']");
    HAYSTACK_RETURN_IF_ERROR(ValidateKey(where, c.name));
    if (c.name == "_index" || c.name == index_name) {
      return Invalid(Cat(where, ": the name is reserved for the index"));
    }
    if (!names.insert(c.name).second) return Invalid(Cat(where, ": duplicate column"));
    if (static_cast<int64_t>(c.size()) != rows()) {
      return Invalid(Cat(where, ": ", c.size(), " values, expected ", rows()));
    }
    if (c.mask) {
      if (c.mask->size() != c.size()) return Invalid(Cat(where, ": mask length differs"));
      const bool nullable_type = std::holds_alternative<std::vector<int64_t>>(c.values) ||
                                 std::holds_alternative<std::vector<int32_t>>(c.values) ||
                                 std::holds_alternative<std::vector<bool>>(c.values) ||
                                 std::holds_alternative<std::vector<std::string>>(c.values);
      if (!nullable_type) {
        return Invalid(Cat(where, ": only integer, boolean and string columns take a mask"));
      }
    }
    if (const auto* cat = std::get_if<Categorical>(&c.values)) {
      std::set<std::string_view> unique;
      for (const auto& s : cat->categories) {
        if (!unique.insert(s).second) {
          return Invalid(Cat(where, ": duplicate category ", QuoteForMessage(s)));
        }
      }
      for (size_t i = 0; i < cat->codes.size(); ++i) {
        if (cat->codes[i] < -1 || cat->codes[i] >= static_cast<int32_t>(cat->categories.size())) {
          return Invalid(Cat(where, ": code ", cat->codes[i], " at row ", i,
                             " is out of range for ", cat->categories.size(), " categories"));
        }
      }
    }
  }
  return absl::OkStatus();
}

DataFrameColumn DataFrameColumn::TakeRows(const std::vector<int64_t>& rows) const {
  DataFrameColumn out;
  out.name = name;
  out.values = std::visit(
      [&](const auto& v) -> ColumnValues {
        using V = std::decay_t<decltype(v)>;
        V taken;
        if constexpr (std::is_same_v<V, Categorical>) {
          taken.categories = v.categories;
          taken.ordered = v.ordered;
          taken.codes.reserve(rows.size());
          for (int64_t r : rows) taken.codes.push_back(v.codes[static_cast<size_t>(r)]);
        } else {
          taken.reserve(rows.size());
          for (int64_t r : rows) taken.push_back(v[static_cast<size_t>(r)]);
        }
        return taken;
      },
      values);
  if (mask) {
    std::vector<bool> taken;
    taken.reserve(rows.size());
    for (int64_t r : rows) taken.push_back((*mask)[static_cast<size_t>(r)]);
    out.mask = std::move(taken);
  }
  return out;
}

DataFrame DataFrame::TakeRows(const std::vector<int64_t>& rows) const {
  DataFrame out;
  out.index_name = index_name;
  if (!index.empty()) {
    out.index.reserve(rows.size());
    for (int64_t r : rows) out.index.push_back(index[static_cast<size_t>(r)]);
  }
  for (const auto& c : columns) out.columns.push_back(c.TakeRows(rows));
  return out;
}

int64_t NumericArray::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const UnsValue* UnsValue::Find(std::string_view key) const {
  const auto* dict = std::get_if<Dict>(&value);
  if (dict == nullptr) return nullptr;
  auto it = dict->find(key);
  return it == dict->end() ? nullptr : &it->second;
}

absl::Status AnnData::Validate() const {
  HAYSTACK_RETURN_IF_ERROR(obs.Validate("obs"));
  HAYSTACK_RETURN_IF_ERROR(var.Validate("var"));
  auto check_matrix = [&](std::string_view what, const ExpressionMatrix& m) -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(Annotate(haystack::Validate(m), what));
    HAYSTACK_RETURN_IF_ERROR(CheckRows(what, Rows(m), n_obs(), "n_obs"));
    if (Cols(m) != n_vars()) {
      return Invalid(Cat(what, ": ", Cols(m), " columns, expected ", n_vars(), " (n_vars)"));
    }
    return absl::OkStatus();
  };
  if (x) HAYSTACK_RETURN_IF_ERROR(check_matrix("X", *x));
  for (const auto& [name, m] : layers) {
    HAYSTACK_RETURN_IF_ERROR(ValidateKey("layers", name));
    HAYSTACK_RETURN_IF_ERROR(check_matrix(Cat("layers['", name, "']"), m));
  }
  auto check_array = [&](std::string_view map, const auto& arrays, int64_t rows,
                         std::string_view of) -> absl::Status {
    for (const auto& [name, a] : arrays) {
      const std::string what = Cat(map, "['", name, "']");
      HAYSTACK_RETURN_IF_ERROR(ValidateKey(map, name));
      HAYSTACK_RETURN_IF_ERROR(ValidateUns(what, UnsValue(a)));
      if (a.shape.empty()) return Invalid(Cat(what, ": a scalar, expected an array"));
      HAYSTACK_RETURN_IF_ERROR(CheckRows(what, a.shape[0], rows, of));
    }
    return absl::OkStatus();
  };
  HAYSTACK_RETURN_IF_ERROR(check_array("obsm", obsm, n_obs(), "n_obs"));
  HAYSTACK_RETURN_IF_ERROR(check_array("varm", varm, n_vars(), "n_vars"));
  return ValidateUns("uns", UnsValue(uns));
}

}  // namespace haystack
