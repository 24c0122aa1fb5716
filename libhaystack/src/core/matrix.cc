#include "haystack/core/matrix.h"

#include <cmath>

#include "fmt/format.h"
#include "haystack/core/error.h"

namespace haystack {
namespace {

absl::Status MatrixError(std::string_view message) {
  return InvalidInputError(ErrorKind::kInternal, message);
}

}  // namespace

int64_t Rows(const ExpressionMatrix& m) {
  return std::visit([](const auto& x) { return x.rows; }, m);
}

int64_t Cols(const ExpressionMatrix& m) {
  return std::visit([](const auto& x) { return x.cols; }, m);
}

absl::Status Validate(const DenseMatrix& m) {
  if (m.rows < 0 || m.cols < 0 || static_cast<int64_t>(m.values.size()) != m.rows * m.cols) {
    return MatrixError(
        fmt::format("dense matrix {}x{} holds {} values", m.rows, m.cols, m.values.size()));
  }
  return absl::OkStatus();
}

absl::Status Validate(const CsrMatrix& m) {
  if (m.rows < 0 || m.cols < 0) return MatrixError("CSR matrix has a negative dimension");
  if (static_cast<int64_t>(m.indptr.size()) != m.rows + 1) {
    return MatrixError(fmt::format("CSR indptr has {} entries for {} rows (expected {})",
                                   m.indptr.size(), m.rows, m.rows + 1));
  }
  if (m.indices.size() != m.data.size()) {
    return MatrixError(fmt::format("CSR indices ({}) and data ({}) differ in length",
                                   m.indices.size(), m.data.size()));
  }
  if (m.indptr.front() != 0) return MatrixError("CSR indptr[0] is not 0");
  if (m.indptr.back() != m.nnz()) {
    return MatrixError(
        fmt::format("CSR indptr ends at {} but there are {} non-zeros", m.indptr.back(), m.nnz()));
  }
  for (int64_t r = 0; r < m.rows; ++r) {
    const int64_t begin = m.indptr[r];
    const int64_t end = m.indptr[r + 1];
    if (end < begin) {
      return MatrixError(fmt::format("CSR indptr decreases at row {} ({} > {})", r, begin, end));
    }
    for (int64_t k = begin; k < end; ++k) {
      const int32_t c = m.indices[k];
      if (c < 0 || c >= m.cols) {
        return MatrixError(
            fmt::format("CSR column index {} out of range [0, {}) in row {}", c, m.cols, r));
      }
      if (k > begin && m.indices[k - 1] >= c) {
        return MatrixError(fmt::format("CSR column indices not strictly increasing in row {}", r));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const ExpressionMatrix& m) {
  return std::visit([](const auto& x) { return Validate(x); }, m);
}

absl::Status CheckFinite(const ExpressionMatrix& m, std::string_view what) {
  if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
    for (size_t i = 0; i < dense->values.size(); ++i) {
      if (!std::isfinite(dense->values[i])) {
        const int64_t r = static_cast<int64_t>(i) / dense->cols;
        const int64_t c = static_cast<int64_t>(i) % dense->cols;
        return absl::InvalidArgumentError(fmt::format(
            "{} has a non-finite value ({}) at row {}, column {}", what, dense->values[i], r, c));
      }
    }
    return absl::OkStatus();
  }
  const auto& csr = std::get<CsrMatrix>(m);
  for (int64_t r = 0; r < csr.rows; ++r) {
    for (int64_t k = csr.indptr[r]; k < csr.indptr[r + 1]; ++k) {
      if (!std::isfinite(csr.data[k])) {
        return absl::InvalidArgumentError(
            fmt::format("{} has a non-finite value ({}) at row {}, column {}", what, csr.data[k], r,
                        csr.indices[k]));
      }
    }
  }
  return absl::OkStatus();
}

DenseMatrix ToDense(const CsrMatrix& m) {
  DenseMatrix dense(m.rows, m.cols);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) dense.at(r, m.indices[k]) = m.data[k];
  }
  return dense;
}

CsrMatrix ToCsr(const DenseMatrix& m) {
  CsrMatrix csr;
  csr.rows = m.rows;
  csr.cols = m.cols;
  csr.indptr.reserve(static_cast<size_t>(m.rows + 1));
  csr.indptr.push_back(0);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const float v = m.at(r, c);
      if (v != 0.f) {
        csr.indices.push_back(static_cast<int32_t>(c));
        csr.data.push_back(v);
      }
    }
    csr.indptr.push_back(csr.nnz());
  }
  return csr;
}

}  // namespace haystack
