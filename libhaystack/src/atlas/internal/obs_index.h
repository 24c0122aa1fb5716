// The atlas's metadata fields as categorical codes, and the queries prompt retrieval runs on
// them (select, count per group). Independent of HDF5: built from the atlas's ObsColumns.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_

#include <array>
#include <memory>
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
  absl::StatusOr<std::vector<int64_t>> Select(const CellFilter& filter) const;
  absl::StatusOr<std::vector<GroupCount>> CountBy(std::span<const AtlasField> group_by,
                                                  const CellFilter& filter) const;

 private:
  static size_t Slot(AtlasField field) { return static_cast<size_t>(field); }
  absl::StatusOr<const CompactCategorical*> Field(AtlasField field) const;
  // Per-row match flags for `filter` (all true for an empty filter).
  absl::StatusOr<std::vector<char>> Match(const CellFilter& filter) const;

  int64_t rows_ = 0;
  std::string what_;
  AtlasColumnMapping mapping_;
  std::vector<std::string> notes_;
  std::array<const CompactCategorical*, std::size(kAllAtlasFields)> fields_{};  // nullptr: absent
  std::vector<std::unique_ptr<CompactCategorical>> converted_;  // columns not stored categorical
};

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_OBS_INDEX_H_
