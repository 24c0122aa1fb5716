// Cells × genes expression matrices shared by the atlas, inference, scoring and output modules.
//
// Rows are cells and columns genes, float32 as in AnnData's X. HAYSTACK's matrices hold
// log1p-normalised expression unless a function says otherwise.
#ifndef HAYSTACK_CORE_MATRIX_H_
#define HAYSTACK_CORE_MATRIX_H_

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace haystack {

struct DenseMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // row-major, rows * cols

  DenseMatrix() = default;
  DenseMatrix(int64_t r, int64_t c) : rows(r), cols(c), values(static_cast<size_t>(r * c), 0.f) {}

  float& at(int64_t r, int64_t c) { return values[static_cast<size_t>(r * cols + c)]; }
  float at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
  std::span<const float> row(int64_t r) const {
    return {values.data() + r * cols, static_cast<size_t>(cols)};
  }
  std::span<float> row(int64_t r) { return {values.data() + r * cols, static_cast<size_t>(cols)}; }

  bool operator==(const DenseMatrix&) const = default;
};

// Compressed sparse rows: the non-zeros of row r are data[indptr[r] .. indptr[r+1]) at
// columns indices[...], sorted ascending within a row.
struct CsrMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> indptr;  // rows + 1 entries, starting at 0
  std::vector<int32_t> indices;
  std::vector<float> data;

  int64_t nnz() const { return static_cast<int64_t>(data.size()); }
  bool operator==(const CsrMatrix&) const = default;
};

using ExpressionMatrix = std::variant<DenseMatrix, CsrMatrix>;

int64_t Rows(const ExpressionMatrix& m);
int64_t Cols(const ExpressionMatrix& m);

// Structural checks: sizes agree, indptr starts at 0 and never decreases, column indices are
// in range and strictly increasing within each row. The error names the first violation.
absl::Status Validate(const DenseMatrix& m);
absl::Status Validate(const CsrMatrix& m);
absl::Status Validate(const ExpressionMatrix& m);

// Errors on the first NaN or ±Inf, naming its row and column (kind: the caller's).
absl::Status CheckFinite(const ExpressionMatrix& m, std::string_view what);

DenseMatrix ToDense(const CsrMatrix& m);
CsrMatrix ToCsr(const DenseMatrix& m);  // drops exact zeros

}  // namespace haystack

#endif  // HAYSTACK_CORE_MATRIX_H_
