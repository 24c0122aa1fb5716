#include "haystack/core/matrix.h"

#include <cmath>

#include "catch2/catch.hpp"

namespace haystack {
namespace {

TEST_CASE("dense and CSR convert losslessly") {
  DenseMatrix dense(3, 4);
  dense.at(0, 1) = 1.5f;
  dense.at(2, 0) = -2.f;
  dense.at(2, 3) = 7.f;
  CsrMatrix csr = ToCsr(dense);
  CHECK(csr.nnz() == 3);
  CHECK(csr.indptr == std::vector<int64_t>{0, 1, 1, 3});
  CHECK(Validate(csr).ok());
  CHECK(ToDense(csr) == dense);
  CHECK(Rows(ExpressionMatrix(csr)) == 3);
  CHECK(Cols(ExpressionMatrix(dense)) == 4);
}

TEST_CASE("structural problems in CSR are named") {
  CsrMatrix csr{2, 3, {0, 2, 1}, {0, 1}, {1.f, 2.f}};
  CHECK_THAT(std::string(Validate(csr).message()), Catch::Contains("indptr ends at 1"));
  csr = CsrMatrix{2, 3, {0, 2, 2}, {1, 0}, {1.f, 2.f}};
  CHECK_THAT(std::string(Validate(csr).message()), Catch::Contains("not strictly increasing"));
  csr = CsrMatrix{2, 3, {0, 1, 2}, {0, 3}, {1.f, 2.f}};
  CHECK_THAT(std::string(Validate(csr).message()), Catch::Contains("out of range"));
  csr = CsrMatrix{2, 3, {0, 2}, {0, 1}, {1.f, 2.f}};
  CHECK_THAT(std::string(Validate(csr).message()), Catch::Contains("indptr has 2 entries"));
  DenseMatrix dense;
  dense.rows = 2;
  dense.cols = 2;
  CHECK_FALSE(Validate(dense).ok());
}

TEST_CASE("non-finite values are located") {
  DenseMatrix dense(2, 2);
  dense.at(1, 0) = NAN;
  CHECK(std::string(CheckFinite(dense, "predictions").message()) ==
        "predictions has a non-finite value (nan) at row 1, column 0");
  CsrMatrix csr = ToCsr(DenseMatrix(2, 2));
  CHECK(CheckFinite(csr, "x").ok());
}

}  // namespace
}  // namespace haystack
