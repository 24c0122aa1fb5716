#include "internal/obs_columns.h"

#include "haystack/core/error.h"
#include "internal/cat.h"
#include "internal/h5ad_elements.h"
#include "internal/hdf5.h"

namespace haystack::atlas_internal {

size_t CompactCategorical::size() const {
  return VisitCodes([](const auto& stored) { return stored.size(); });
}

int32_t CompactCategorical::CodeAt(size_t row) const {
  return VisitCodes([row](const auto& stored) { return static_cast<int32_t>(stored[row]); });
}

Categorical CompactCategorical::TakeRows(const std::vector<int64_t>& rows) const {
  Categorical out;
  out.categories = categories;
  out.ordered = ordered;
  out.codes.reserve(rows.size());
  VisitCodes([&](const auto& stored) {
    for (int64_t r : rows) out.codes.push_back(stored[static_cast<size_t>(r)]);
  });
  return out;
}

CompactCategorical CompactCategorical::FromCategorical(Categorical c) {
  CompactCategorical out;
  out.categories = std::move(c.categories);
  out.codes = std::move(c.codes);
  out.ordered = c.ordered;
  return out;
}

const ObsColumn* ObsColumns::Find(std::string_view name) const {
  for (const ObsColumn& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

DataFrame ObsColumns::TakeRows(const std::vector<int64_t>& rows) const {
  DataFrame out;
  for (const ObsColumn& c : columns_) {
    if (const auto* cat = std::get_if<CompactCategorical>(&c.values)) {
      out.columns.push_back({.name = c.name, .values = cat->TakeRows(rows), .mask = std::nullopt});
    } else {
      out.columns.push_back(std::get<DataFrameColumn>(c.values).TakeRows(rows));
    }
  }
  return out;
}

absl::StatusOr<ObsColumns> ReadObsColumns(hid_t file) {
  const std::string path = "/obs";
  HAYSTACK_ASSIGN_OR_RETURN(h5::Handle g, h5::OpenGroup(file, "obs", path));
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(g.get(), path));
  if (et != "dataframe") {
    return h5::FormatError(Cat(path, ": encoding-type is '", et, "', expected 'dataframe'"));
  }
  HAYSTACK_ASSIGN_OR_RETURN(const int64_t rows, h5ad_internal::DataFrameRows(g.get(), path));
  std::vector<std::string> order;
  if (h5::HasAttr(g.get(), "column-order")) {
    HAYSTACK_ASSIGN_OR_RETURN(order, h5::ReadStringArrayAttr(g.get(), "column-order", path));
  }
  std::vector<ObsColumn> columns;
  columns.reserve(order.size());
  for (const std::string& name : order) {
    const std::string cpath = Cat(path, "/", name);
    if (!h5::HasChild(g.get(), name)) return h5::FormatError(Cat(cpath, ": column is missing"));
    HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g.get(), name, cpath));
    ObsColumn column{.name = name, .values = {}};
    size_t size = 0;
    bool categorical = false;
    h5::Handle cg;
    if (kind == h5::ObjectKind::kGroup) {
      HAYSTACK_ASSIGN_OR_RETURN(cg, h5::OpenGroup(g.get(), name, cpath));
      HAYSTACK_ASSIGN_OR_RETURN(std::string column_et, h5::EncodingType(cg.get(), cpath));
      categorical = column_et == "categorical";
    }
    if (categorical) {
      HAYSTACK_ASSIGN_OR_RETURN(CompactCategorical c,
                                h5ad_internal::ReadCompactCategorical(cg.get(), cpath));
      size = c.size();
      column.values = std::move(c);
    } else {
      HAYSTACK_ASSIGN_OR_RETURN(DataFrameColumn c, h5ad_internal::ReadColumn(g.get(), name, cpath));
      size = c.size();
      column.values = std::move(c);
    }
    if (static_cast<int64_t>(size) != rows) {
      return h5::FormatError(Cat(cpath, ": ", size, " values but the index has ", rows));
    }
    columns.push_back(std::move(column));
  }
  return ObsColumns(std::move(columns), rows);
}

}  // namespace haystack::atlas_internal
