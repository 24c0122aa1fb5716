// The atlas's metadata fields as categorical codes, and the queries prompt retrieval runs on
// them (select, count per group). Independent of HDF5: built from the atlas's ObsColumns.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/cell_atlas.h"
#include "internal/obs_columns.h"

namespace haystack::atlas_internal {

class ObsIndex {
 public:
  // Indexes the mapped columns of `obs` as categoricals; a field the mapping does not name
  // takes the first of its ColumnCandidates that obs has: categorical columns are used in place
  // (their codes at the stored width), so `obs` must outlive the index; others are converted. A
  // missing required column is an error naming it, the field and the columns obs has; `what`
  // names the source (file) in messages.
  static absl::StatusOr<ObsIndex> Build(const ObsColumns& obs, const AtlasColumnMapping& mapping,
                                        std::string_view what);

  int64_t rows() const { return rows_; }
  // The column of every field (present or not) and how each present one was found.
  const AtlasColumnMapping& mapping() const { return mapping_; }
  const std::vector<std::string>& notes() const { return notes_; }
  bool Has(AtlasField field) const { return fields_[Slot(field)] != nullptr; }

  absl::StatusOr<std::vector<GroupCount>> Values(AtlasField field) const;
  absl::StatusOr<std::string> ValueOf(AtlasField field, int64_t cell) const;
  // The rows matching `filter`, ascending (every row for an empty filter).
  absl::StatusOr<std::vector<int64_t>> Select(const CellFilter& filter) const;
  absl::StatusOr<std::vector<GroupCount>> CountBy(std::span<const AtlasField> group_by,
                                                  const CellFilter& filter) const;

 private:
  static size_t Slot(AtlasField field) { return static_cast<size_t>(field); }
  absl::StatusOr<const CompactCategorical*> Field(AtlasField field) const;

  // The rows of each code of a field (a code's rows ascending; code -1 is not listed), so that a
  // query costs what it selects, not a pass over every cell: prompt generation and control
  // pairing select many times per iteration. Built when a field is queried the second time (a
  // counting sort, two passes: one query alone is cheaper as a scan); nullptr before that.
  struct RowsByCode {
    std::vector<int64_t> begin;  // code c's rows are rows[begin[c], begin[c + 1])
    std::vector<int32_t> rows;
  };
  const RowsByCode* RowsOf(AtlasField field, const CompactCategorical& column) const;
  struct LazyRows {
    std::array<std::atomic<int>, std::size(kAllAtlasFields)> queries{};
    std::array<std::once_flag, std::size(kAllAtlasFields)> built;
    std::array<RowsByCode, std::size(kAllAtlasFields)> by_field;
  };

  int64_t rows_ = 0;
  std::string what_;
  AtlasColumnMapping mapping_;
  std::vector<std::string> notes_;
  std::array<const CompactCategorical*, std::size(kAllAtlasFields)> fields_{};  // nullptr: absent
  std::vector<std::unique_ptr<CompactCategorical>> converted_;  // columns not stored categorical
  std::unique_ptr<LazyRows> lazy_rows_ = std::make_unique<LazyRows>();
};

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_
