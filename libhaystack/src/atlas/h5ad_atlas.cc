#include "haystack/atlas/h5ad_atlas.h"

#include <algorithm>
#include <mutex>

#include "haystack/core/error.h"
#include "internal/atlas_layout.h"
#include "internal/cat.h"
#include "internal/h5ad_elements.h"
#include "internal/hdf5.h"
#include "internal/obs_columns.h"
#include "internal/obs_index.h"
#include "internal/row_reader.h"

namespace haystack {
namespace {

using atlas_internal::Cat;

class H5adAtlas final : public CellAtlas {
 public:
  const std::string& name() const override { return path_; }
  int64_t num_cells() const override { return fields_.rows(); }
  const DataFrame& var() const override { return var_; }
  const AtlasLayout& layout() const override { return layout_; }
  bool HasField(AtlasField field) const override { return fields_.Has(field); }

  absl::StatusOr<std::vector<GroupCount>> Values(AtlasField field) const override {
    return fields_.Values(field);
  }
  absl::StatusOr<std::string> ValueOf(AtlasField field, int64_t cell) const override {
    return fields_.ValueOf(field, cell);
  }
  absl::StatusOr<std::vector<int64_t>> Select(const CellFilter& filter) const override {
    return fields_.Select(filter);
  }
  absl::StatusOr<std::vector<GroupCount>> CountBy(std::span<const AtlasField> group_by,
                                                  const CellFilter& filter) const override {
    return fields_.CountBy(group_by, filter);
  }

  absl::StatusOr<ExpressionMatrix> GatherRows(std::span<const int64_t> cells) const override {
    HAYSTACK_RETURN_IF_ERROR(CheckCells(cells));
    absl::StatusOr<ExpressionMatrix> m = rows_->Gather(cells);
    if (!m.ok()) return Annotate(m.status(), path_);
    if (layout_.x_is_counts) atlas_internal::NormalizeCountsInPlace(*m);
    return m;
  }

  absl::StatusOr<AnnData> Gather(std::span<const int64_t> cells,
                                 const GatherOptions& options) const override {
    HAYSTACK_ASSIGN_OR_RETURN(ExpressionMatrix x, GatherRows(cells));
    AnnData out;
    const std::vector<int64_t> rows(cells.begin(), cells.end());
    out.obs = obs_.TakeRows(rows);
    {
      std::lock_guard<std::mutex> lock(hdf5_mutex_);
      h5::Handle g(H5Gopen2(file_.get(), "obs", H5P_DEFAULT));
      absl::StatusOr<std::vector<std::string>> names =
          h5ad_internal::ReadIndexRows(g.get(), "/obs", rows);
      if (!names.ok()) return Annotate(names.status(), path_);
      out.obs.index = std::move(*names);
    }
    out.var = var_;
    out.x = std::move(x);
    out.uns = options.uns;
    out.uns["haystack_source"] =
        UnsValue::Dict{{"atlas", path_}, {"cell_indices", std::vector<int64_t>(rows)}};
    return out;
  }

  absl::Status WriteSubset(std::span<const int64_t> cells, const std::string& path,
                           const GatherOptions& options,
                           const H5adWriteOptions& write_options) const override {
    HAYSTACK_ASSIGN_OR_RETURN(AnnData subset, Gather(cells, options));
    return WriteH5ad(subset, path, write_options);
  }

  static absl::StatusOr<std::unique_ptr<CellAtlas>> Open(const std::string& path,
                                                         const H5adAtlasOptions& options) {
    std::unique_ptr<H5adAtlas> atlas(new H5adAtlas());
    atlas->path_ = path;
    HAYSTACK_ASSIGN_OR_RETURN(atlas->file_, h5ad_internal::OpenH5ad(path));
    const hid_t file = atlas->file_.get();
    HAYSTACK_RETURN_IF_ERROR(h5ad_internal::CheckRootEncoding(file));
    // obs names are read for gathered cells only; categorical codes stay at their stored width.
    HAYSTACK_ASSIGN_OR_RETURN(atlas->obs_, atlas_internal::ReadObsColumns(file));
    const int64_t n_cells = atlas->obs_.rows();
    HAYSTACK_ASSIGN_OR_RETURN(atlas->fields_,
                              atlas_internal::ObsIndex::Build(atlas->obs_, options.mapping, path));
    HAYSTACK_ASSIGN_OR_RETURN(atlas->var_, h5ad_internal::ReadDataFrame(file, "var", "/var"));
    HAYSTACK_ASSIGN_OR_RETURN(
        atlas->rows_,
        atlas_internal::RowReader::Open(file, path, n_cells, atlas->var_.rows(),
                                        atlas_internal::ReadBatchOptions{options.io_threads},
                                        options.chunk_cache_bytes, &atlas->hdf5_mutex_));
    HAYSTACK_RETURN_IF_ERROR(atlas->DescribeLayout(options));
    return std::unique_ptr<CellAtlas>(std::move(atlas));
  }

 private:
  H5adAtlas() = default;

  absl::Status CheckCells(std::span<const int64_t> cells) const {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i] < 0 || cells[i] >= num_cells()) {
        return RetrievalError(Cat(path_, ": cell index ", cells[i], " (position ", i,
                                  ") is out of range [0, ", num_cells(), ")"));
      }
    }
    return absl::OkStatus();
  }

  // Columns, gene symbols and what X holds (AtlasLayout). X is sampled at 64 evenly spaced
  // rows: counts are integers, normalised data are not.
  absl::Status DescribeLayout(const H5adAtlasOptions& options) {
    for (AtlasField field : kAllAtlasFields) {
      if (fields_.Has(field)) layout_.columns[field] = fields_.mapping().ColumnFor(field);
    }
    layout_.notes = fields_.notes();
    layout_.gene_symbols = atlas_internal::UseGeneSymbols(var_, options.ensembl_to_symbol);
    std::vector<int64_t> sample;
    const int64_t n = num_cells();
    for (int64_t i = 0; i < std::min<int64_t>(n, 64); ++i)
      sample.push_back(i * n / std::min<int64_t>(n, 64));
    layout_.has_raw = H5Lexists(file_.get(), "raw", H5P_DEFAULT) > 0 &&
                      H5Lexists(file_.get(), "raw/X", H5P_DEFAULT) > 0;
    const std::string raw = layout_.has_raw ? "; raw/X is present and not used" : "";
    // A damaged row in the sample is reported by the gather that reads it, not at opening.
    absl::StatusOr<ExpressionMatrix> rows = rows_->Gather(sample);
    if (!rows.ok()) {
      layout_.expression = Cat("X used as stored (its sample could not be read: ",
                               std::string(rows.status().message()), ")", raw);
      return absl::OkStatus();
    }
    layout_.x_is_counts = options.normalize_counts && atlas_internal::LooksLikeCounts(*rows);
    layout_.expression =
        layout_.x_is_counts
            ? Cat("X holds counts: gathered rows are normalised to log1p(counts per 10k)", raw)
            : Cat(options.normalize_counts ? "X holds normalised values" : "X", " (used as stored)",
                  raw);
    return absl::OkStatus();
  }

  std::string path_;
  AtlasLayout layout_;
  h5::Handle file_;
  mutable std::mutex hdf5_mutex_;
  atlas_internal::ObsColumns obs_;  // all columns, no index
  DataFrame var_;
  atlas_internal::ObsIndex fields_;  // refers to obs_'s categorical columns
  std::unique_ptr<atlas_internal::RowReader> rows_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CellAtlas>> OpenH5adAtlas(const std::string& path,
                                                         const H5adAtlasOptions& options) {
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = H5adAtlas::Open(path, options);
  if (!atlas.ok()) return Annotate(atlas.status(), Cat("opening atlas ", path));
  return atlas;
}

}  // namespace haystack
