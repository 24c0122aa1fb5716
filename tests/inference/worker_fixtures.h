// What the worker-process tests share: the worker as a child process, generated .h5ad inputs
// and a client. Used by worker_process_test.cc (local files) and gcs_artifacts_test.cc (gs://).
#ifndef HAYSTACK_TESTS_INFERENCE_WORKER_FIXTURES_H_
#define HAYSTACK_TESTS_INFERENCE_WORKER_FIXTURES_H_

#include <memory>
#include <string>
#include <vector>

#include "haystack/core/matrix.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {

// haystack-inference-worker as a child process; `port` 0 lets the OS choose (then read from
// the port file). `options.env` is added to the worker's environment.
class WorkerProcess {
 public:
  explicit WorkerProcess(const TempDir& dir, int port = 0, const ProcessOptions& options = {});
  int port() const { return port_; }
  BackgroundProcess& process() { return *process_; }
  // How many jobs the worker started computing (its log has one line per start).
  int JobsRun() const;

 private:
  static inline int counter_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

std::vector<std::string> Genes(int n, const std::string& prefix = "GENE");
// Sparse-ish log1p-like values in [offset, 3 + offset), 60% zeros.
DenseMatrix RandomExpression(int64_t rows, int64_t cols, uint64_t seed, float offset = 0.f);
// Writes `<dir>/<name>.h5ad` with obs names "<name>-<i>" and returns its path.
std::string WriteCells(const TempDir& dir, const std::string& name, const DenseMatrix& x,
                       std::vector<std::string> genes);
// X as a dense matrix, however it is stored (predictions are CSR when that is smaller).
DenseMatrix ReadX(const std::string& path);

// Prompt (80 cells), control (60) and query cells over 20 genes, written to `dir`.
struct Inputs {
  DenseMatrix prompt, control, query;
  std::string prompt_path, control_path, query_path;
};
Inputs WriteInputs(const TempDir& dir, int64_t query_cells = 300);

// A client of the worker on `port` with short backoffs.
std::unique_ptr<GrpcInferenceBackend> Client(int port, GrpcInferenceOptions options = {});

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_INFERENCE_WORKER_FIXTURES_H_
