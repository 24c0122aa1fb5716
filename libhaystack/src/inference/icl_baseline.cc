#include "haystack/inference/icl_baseline.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <string_view>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "haystack/core/random.h"

namespace haystack {
namespace {

// Rows per unit of work. Fixed (not derived from the thread count) so that sums are added in
// the same order whatever the number of threads: results are bit-identical across machines.
constexpr int64_t kRowsPerBlock = 256;

absl::Status InputError(std::string_view message) {
  return InvalidInputError(ErrorKind::kInference, message);
}

absl::Status CheckInput(const ExpressionMatrix* m, std::string_view name) {
  if (m == nullptr) return InputError(fmt::format("the {} cells are missing", name));
  if (absl::Status valid = Validate(*m); !valid.ok()) {
    return InputError(fmt::format("the {} cells: {}", name, std::string(valid.message())));
  }
  if (Rows(*m) == 0) return InputError(fmt::format("the {} cell set is empty (0 cells)", name));
  if (absl::Status finite = CheckFinite(*m, fmt::format("the {} cells", name)); !finite.ok()) {
    return InputError(std::string(finite.message()));
  }
  return absl::OkStatus();
}

absl::Status CheckInputs(const IclInputs& in) {
  HAYSTACK_RETURN_IF_ERROR(CheckInput(in.prompt, "prompt"));
  HAYSTACK_RETURN_IF_ERROR(CheckInput(in.query, "query"));
  if (in.reference != nullptr) HAYSTACK_RETURN_IF_ERROR(CheckInput(in.reference, "reference"));
  const int64_t genes = Cols(*in.query);
  auto same_genes = [&](const ExpressionMatrix* m, std::string_view name) -> absl::Status {
    if (m == nullptr || Cols(*m) == genes) return absl::OkStatus();
    return InputError(fmt::format("the {} cells have {} genes but the query cells have {}", name,
                                  Cols(*m), genes));
  };
  HAYSTACK_RETURN_IF_ERROR(same_genes(in.prompt, "prompt"));
  HAYSTACK_RETURN_IF_ERROR(same_genes(in.reference, "reference"));
  return absl::OkStatus();
}

// The rows whose mean is estimated: all, or a seeded uniform subsample of `max_rows`, sorted
// (the same on every platform: core/random.h).
std::vector<int64_t> ContextRows(int64_t rows, int64_t max_rows, uint64_t seed) {
  std::vector<int64_t> all(static_cast<size_t>(rows));
  std::iota(all.begin(), all.end(), 0);
  if (max_rows <= 0 || rows <= max_rows) return all;
  return SampleSorted(std::move(all), static_cast<size_t>(max_rows), seed);
}

// Sums of values and of squared values, per gene, of one block of rows.
struct ColumnSums {
  std::vector<double> sum;
  std::vector<double> sum_squares;
};

void AddRow(const ExpressionMatrix& m, int64_t r, ColumnSums& acc) {
  if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
    const auto row = dense->row(r);
    for (size_t g = 0; g < row.size(); ++g) {
      acc.sum[g] += row[g];
      acc.sum_squares[g] += double{row[g]} * row[g];
    }
    return;
  }
  const auto& csr = std::get<CsrMatrix>(m);
  for (int64_t k = csr.indptr[r]; k < csr.indptr[r + 1]; ++k) {
    const auto g = static_cast<size_t>(csr.indices[k]);
    acc.sum[g] += csr.data[k];
    acc.sum_squares[g] += double{csr.data[k]} * csr.data[k];
  }
}

// Per-gene mean and sample variance (ddof 1; 0 for a single row) of `rows`.
struct ColumnMoments {
  std::vector<double> mean;
  std::vector<double> variance;
  int64_t n = 0;
};

ColumnMoments Moments(const ExpressionMatrix& m, const std::vector<int64_t>& rows, int threads) {
  const auto genes = static_cast<size_t>(Cols(m));
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t blocks = (n + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<ColumnSums> partial(
      static_cast<size_t>(blocks),
      ColumnSums{std::vector<double>(genes, 0.0), std::vector<double>(genes, 0.0)});
  ParallelFor(blocks, threads, [&](int64_t b, int) {
    auto& acc = partial[static_cast<size_t>(b)];
    const int64_t end = std::min(n, (b + 1) * kRowsPerBlock);
    for (int64_t i = b * kRowsPerBlock; i < end; ++i) AddRow(m, rows[static_cast<size_t>(i)], acc);
  });
  ColumnMoments out{std::vector<double>(genes, 0.0), std::vector<double>(genes, 0.0), n};
  std::vector<double> sum_squares(genes, 0.0);
  for (const auto& acc : partial) {
    for (size_t g = 0; g < genes; ++g) {
      out.mean[g] += acc.sum[g];
      sum_squares[g] += acc.sum_squares[g];
    }
  }
  const auto count = static_cast<double>(n);
  for (size_t g = 0; g < genes; ++g) {
    out.mean[g] /= count;
    if (n > 1) {
      out.variance[g] =
          std::max(0.0, (sum_squares[g] - count * out.mean[g] * out.mean[g]) / (count - 1));
    }
  }
  return out;
}

// Welch's t of the difference of two means; ±inf for a difference without variance.
double WelchT(double difference, const ColumnMoments& a, const ColumnMoments& b, size_t g) {
  const double se2 =
      a.variance[g] / static_cast<double>(a.n) + b.variance[g] / static_cast<double>(b.n);
  if (se2 > 0) return difference / std::sqrt(se2);
  if (difference == 0) return 0;
  return difference > 0 ? HUGE_VAL : -HUGE_VAL;
}

// A zeroed rows × cols matrix. Large buffers ask for transparent huge pages first: in VMs a
// 4 KiB page fault costs microseconds, and first-touching the output took ~40% of a 20k-cell
// prediction (perf, bench/inference); NumPy does the same for its large arrays.
DenseMatrix NewDenseMatrix(int64_t rows, int64_t cols) {
  DenseMatrix m;
  m.rows = rows;
  m.cols = cols;
  const size_t n = static_cast<size_t>(rows * cols);
  m.values.reserve(n);
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  const size_t bytes = n * sizeof(float);
  if (bytes >= 4 * kHugePage) {
    const auto begin = reinterpret_cast<uintptr_t>(m.values.data());
    const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
    const uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
    // Advice only: without THP support nothing changes.
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
  m.values.resize(n);
  return m;
}

// Different streams for the prompt and the reference subsamples of one seed.
constexpr uint64_t kPromptStream = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kReferenceStream = 0xc2b2ae3d27d4eb4full;

}  // namespace

absl::StatusOr<std::vector<double>> IclConditionEffect(const IclInputs& inputs,
                                                       const IclOptions& options) {
  HAYSTACK_RETURN_IF_ERROR(CheckInputs(inputs));
  const int threads = ResolveThreadCount(options.threads);
  const ExpressionMatrix& prompt = *inputs.prompt;
  const ColumnMoments shown = Moments(
      prompt, ContextRows(Rows(prompt), options.max_context_cells, options.seed ^ kPromptStream),
      threads);
  const ExpressionMatrix& reference = inputs.reference ? *inputs.reference : *inputs.query;
  const ColumnMoments base = Moments(
      reference,
      ContextRows(Rows(reference), options.max_context_cells, options.seed ^ kReferenceStream),
      threads);
  std::vector<double> effect(shown.mean.size());
  for (size_t g = 0; g < effect.size(); ++g) {
    const double difference = shown.mean[g] - base.mean[g];
    // Differences the prompt does not support are sampling noise, not the condition's effect.
    const bool supported = options.min_effect_t <= 0 ||
                           std::abs(WelchT(difference, shown, base, g)) >= options.min_effect_t;
    effect[g] = supported ? difference : 0.0;
  }
  return effect;
}

absl::StatusOr<DenseMatrix> PredictIcl(const IclInputs& inputs, const IclOptions& options,
                                       const StopToken& stop, const IclProgressCallback& progress) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::vector<double> effect, IclConditionEffect(inputs, options));
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
  std::vector<float> shift(effect.size());
  for (size_t g = 0; g < effect.size(); ++g) {
    shift[g] = static_cast<float>(options.effect_scale * effect[g]);
  }

  const ExpressionMatrix& query = *inputs.query;
  const int64_t rows = Rows(query);
  const int64_t genes = Cols(query);
  DenseMatrix out = NewDenseMatrix(rows, genes);
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const absl::Time start = absl::Now();
  std::atomic<int64_t> claimed_rows{0};
  std::mutex progress_mu;
  int64_t done = 0;

  ParallelFor(blocks, options.threads, [&](int64_t b, int) {
    if (stop.stop_requested()) return;
    const int64_t begin = b * kRowsPerBlock;
    const int64_t end = std::min(rows, begin + kRowsPerBlock);
    if (options.max_cells_per_second > 0) {
      // The block may start once the cells before it have had their share of time.
      const int64_t before = claimed_rows.fetch_add(end - begin);
      const absl::Time allowed =
          start + absl::Seconds(static_cast<double>(before) / options.max_cells_per_second);
      if (const absl::Duration wait = allowed - absl::Now(); wait > absl::ZeroDuration()) {
        if (stop.WaitFor(wait)) return;
      }
    }
    for (int64_t r = begin; r < end; ++r) {
      float* dst = out.row(r).data();
      const float* delta = shift.data();
      if (const auto* dense = std::get_if<DenseMatrix>(&query)) {
        const float* src = dense->row(r).data();
        for (int64_t g = 0; g < genes; ++g) dst[g] = std::max(0.f, src[g] + delta[g]);
      } else {
        const auto& csr = std::get<CsrMatrix>(query);
        for (int64_t k = csr.indptr[r]; k < csr.indptr[r + 1]; ++k) {
          dst[csr.indices[k]] = csr.data[k];
        }
        for (int64_t g = 0; g < genes; ++g) dst[g] = std::max(0.f, dst[g] + delta[g]);
      }
    }
    std::lock_guard lock(progress_mu);
    done += end - begin;
    if (progress) progress(done, rows);
  });
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
  return out;
}

}  // namespace haystack
