#include "internal/obs_columns.h"

#include <algorithm>

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

size_t ObsColumn::size() const {
  return std::visit([](const auto& v) { return v.size(); }, values);
}

Categorical CompactCategorical::ToCategorical() const {
  Categorical out;
  out.categories = categories;
  out.ordered = ordered;
  out.codes.resize(size());
  VisitCodes(
      [&](const auto& stored) { std::copy(stored.begin(), stored.end(), out.codes.begin()); });
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
  HAYSTACK_ASSIGN_OR_RETURN(const h5ad_internal::DataFrameGroup obs,
                            h5ad_internal::OpenDataFrame(file, "obs", "/obs"));
  const hid_t g = obs.group.get();
  std::vector<ObsColumn> columns;
  columns.reserve(obs.columns.size());
  HAYSTACK_RETURN_IF_ERROR(h5ad_internal::ForEachColumn(
      obs, [&](const std::string& name, const std::string& cpath) -> absl::StatusOr<size_t> {
        HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g, name, cpath));
        if (kind == h5::ObjectKind::kGroup) {
          HAYSTACK_ASSIGN_OR_RETURN(h5::Handle cg, h5::OpenGroup(g, name, cpath));
          HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(cg.get(), cpath));
          if (et == "categorical") {
            HAYSTACK_ASSIGN_OR_RETURN(CompactCategorical c,
                                      h5ad_internal::ReadCompactCategorical(cg.get(), cpath));
            columns.push_back({.name = name, .values = std::move(c)});
            return columns.back().size();
          }
        }
        HAYSTACK_ASSIGN_OR_RETURN(DataFrameColumn c, h5ad_internal::ReadColumn(g, name, cpath));
        columns.push_back({.name = name, .values = std::move(c)});
        return columns.back().size();
      }));
  return ObsColumns(std::move(columns), obs.rows);
}

}  // namespace haystack::atlas_internal
