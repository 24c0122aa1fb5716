#include "haystack/inference/icl_job_runner.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "fmt/format.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/storage/artifact_uri.h"
#include "internal/existing_output.h"

namespace haystack {
namespace {

absl::Status InputError(std::string_view message) {
  return InvalidInputError(ErrorKind::kInference, message);
}

// An input file as the job uses it: its expression and gene names.
struct Input {
  std::string name;  // "prompt", "reference", "query"
  std::string uri;
  AnnData data;
};

absl::StatusOr<Input> ReadInput(ArtifactAccess& artifacts, std::string_view name,
                                const std::string& uri) {
  auto file = artifacts.Fetch(uri);
  if (!file.ok()) {
    // Gone since CheckSpec, or the store failed: keep the storage code, say which input.
    return MakeError(ErrorKind::kInference,
                     file.status().code() == absl::StatusCode::kNotFound
                         ? absl::StatusCode::kFailedPrecondition
                         : file.status().code(),
                     fmt::format("the {} cells ({}) cannot be fetched: {}", name, uri,
                                 std::string(file.status().message())));
  }
  H5adReadOptions options;
  options.read_layers = false;
  options.read_obsm = false;
  options.read_uns = false;
  auto data = ReadH5ad(file->path().string(), options);
  if (!data.ok()) {
    return MakeError(ErrorKind::kInference,
                     data.status().code() == absl::StatusCode::kDataLoss
                         ? absl::StatusCode::kInvalidArgument
                         : data.status().code(),
                     fmt::format("the {} cells ({}) cannot be read: {}", name, uri,
                                 std::string(data.status().message())));
  }
  if (!data->x.has_value()) {
    return InputError(fmt::format("the {} cells ({}) have no expression matrix X", name, uri));
  }
  return Input{std::string(name), uri, *std::move(data)};
}

// The columns of `input` in the order of `genes`; the identity needs no copy.
absl::StatusOr<ExpressionMatrix> SelectGenes(Input& input, const std::vector<std::string>& genes) {
  const std::vector<std::string>& names = input.data.var.index;
  if (names == genes) return std::move(*input.data.x);
  std::map<std::string_view, int64_t> column_of;
  for (size_t c = 0; c < names.size(); ++c) {
    if (!column_of.emplace(names[c], static_cast<int64_t>(c)).second) {
      return InputError(fmt::format("the {} cells ({}) name gene {} twice in var", input.name,
                                    input.uri, QuoteForMessage(names[c])));
    }
  }
  std::vector<int64_t> columns;
  std::vector<std::string> missing;
  for (const auto& gene : genes) {
    auto it = column_of.find(gene);
    if (it == column_of.end()) {
      missing.push_back(gene);
    } else {
      columns.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    std::string listed;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) {
      listed += (i ? ", " : "") + QuoteForMessage(missing[i]);
    }
    return InputError(fmt::format("the {} cells ({}) lack {} of the {} requested genes: {}{}",
                                  input.name, input.uri, missing.size(), genes.size(), listed,
                                  missing.size() > 5 ? ", ..." : ""));
  }
  const ExpressionMatrix& x = *input.data.x;
  const DenseMatrix dense = std::holds_alternative<DenseMatrix>(x)
                                ? std::get<DenseMatrix>(x)
                                : ToDense(std::get<CsrMatrix>(x));
  DenseMatrix selected(dense.rows, static_cast<int64_t>(columns.size()));
  for (int64_t r = 0; r < dense.rows; ++r) {
    const auto src = dense.row(r);
    auto dst = selected.row(r);
    for (size_t c = 0; c < columns.size(); ++c) dst[c] = src[static_cast<size_t>(columns[c])];
  }
  return selected;
}

absl::StatusOr<double> ExtraNumber(const InferenceJobSpec& spec, const std::string& key,
                                   double fallback) {
  auto it = spec.parameters.extra.find(key);
  if (it == spec.parameters.extra.end()) return fallback;
  double value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return InputError(fmt::format("parameters.extra[{}] = {} is not a non-negative number",
                                  QuoteForMessage(key), QuoteForMessage(text)));
  }
  return value;
}

absl::StatusOr<IclOptions> OptionsFor(const InferenceJobSpec& spec, IclOptions options) {
  options.seed = spec.parameters.seed;
  HAYSTACK_ASSIGN_OR_RETURN(options.effect_scale,
                            ExtraNumber(spec, "effect_scale", options.effect_scale));
  HAYSTACK_ASSIGN_OR_RETURN(
      const double context,
      ExtraNumber(spec, "max_context_cells", static_cast<double>(options.max_context_cells)));
  options.max_context_cells = static_cast<int64_t>(context);
  HAYSTACK_ASSIGN_OR_RETURN(
      options.max_cells_per_second,
      ExtraNumber(spec, "max_cells_per_second", options.max_cells_per_second));
  for (const auto& [key, value] : spec.parameters.extra) {
    if (key != "effect_scale" && key != "max_context_cells" && key != "max_cells_per_second") {
      return InputError(fmt::format(
          "parameters.extra[{}] is not an option of the CPU baseline (known: effect_scale, "
          "max_context_cells, max_cells_per_second)",
          QuoteForMessage(key)));
    }
  }
  return options;
}

// Two URIs name the same artifact if they are the same local file (after resolving file://,
// relative paths and links) or the same remote URI.
std::string SameArtifactKey(const std::string& uri) {
  auto path = LocalArtifactPath(uri);
  if (!path.ok()) return uri;
  std::error_code ec;
  return "file:" + std::filesystem::weakly_canonical(*path, ec).string();
}

// The output artifact exists: OK if it holds this job's predictions (reuse it), else the
// AlreadyExists error of CheckExistingOutput.
absl::Status ReuseExistingOutput(ArtifactAccess& artifacts, const std::string& uri,
                                 const inference_internal::ExpectedOutput& expected) {
  auto file = artifacts.Fetch(uri);
  if (!file.ok()) return Annotate(file.status(), "reading the existing output");
  return inference_internal::CheckExistingOutput(file->path(), uri, expected);
}

}  // namespace

IclJobRunner::IclJobRunner(IclOptions defaults, std::shared_ptr<ArtifactAccess> artifacts)
    : defaults_(defaults),
      artifacts_(artifacts ? std::move(artifacts) : std::make_shared<LocalArtifactAccess>()) {}

absl::Status IclJobRunner::CheckSpec(const InferenceJobSpec& spec) const {
  if (spec.output_uri.empty()) return InputError("spec.output_uri is empty");
  HAYSTACK_RETURN_IF_ERROR(artifacts_->CheckUri(spec.output_uri));
  const std::string output = SameArtifactKey(spec.output_uri);
  for (const auto& [name, uri] : {std::pair<std::string, std::string>{"prompt", spec.prompt_uri},
                                  {"query", spec.query_uri},
                                  {"reference", spec.reference_uri}}) {
    if (uri.empty()) {
      if (name == "reference") continue;
      return InputError(fmt::format("spec.{}_uri is empty", name));
    }
    HAYSTACK_RETURN_IF_ERROR(artifacts_->CheckUri(uri));
    if (SameArtifactKey(uri) == output) {
      return InputError(fmt::format("spec.output_uri is the {} cells' file", name));
    }
  }
  if (!spec.genes.empty()) {
    std::map<std::string_view, int> seen;
    for (const auto& gene : spec.genes) {
      if (gene.empty()) return InputError("spec.genes holds an empty gene name");
      if (++seen[gene] > 1) {
        return InputError(fmt::format("spec.genes names {} twice", QuoteForMessage(gene)));
      }
    }
  }
  HAYSTACK_RETURN_IF_ERROR(OptionsFor(spec, defaults_).status());
  // Existence last: it may ask a remote store, and a malformed spec should not cost a request.
  for (const auto& [name, uri] : {std::pair<std::string, std::string>{"prompt", spec.prompt_uri},
                                  {"query", spec.query_uri},
                                  {"reference", spec.reference_uri}}) {
    if (uri.empty()) continue;
    auto exists = artifacts_->Exists(uri);
    if (!exists.ok()) {
      return Annotate(exists.status(), fmt::format("checking the {} cells artifact", name));
    }
    if (!*exists) {
      return MakeError(
          ErrorKind::kInference, absl::StatusCode::kFailedPrecondition,
          fmt::format("the {} cells artifact {} does not exist", name, QuoteForMessage(uri)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<JobOutcome> IclJobRunner::Run(const InferenceJobSpec& spec, const StopToken& stop,
                                             const JobProgressCallback& progress) {
  HAYSTACK_RETURN_IF_ERROR(CheckSpec(spec));
  HAYSTACK_ASSIGN_OR_RETURN(const IclOptions options, OptionsFor(spec, defaults_));
  auto report = [&](int64_t done, int64_t total, std::string_view stage) {
    if (progress) progress(JobProgress{done, total, std::string(stage)});
  };
  report(0, 0, "reading inputs");
  HAYSTACK_ASSIGN_OR_RETURN(Input query, ReadInput(*artifacts_, "query", spec.query_uri));
  HAYSTACK_ASSIGN_OR_RETURN(Input prompt, ReadInput(*artifacts_, "prompt", spec.prompt_uri));
  std::optional<Input> reference;
  if (!spec.reference_uri.empty()) {
    HAYSTACK_ASSIGN_OR_RETURN(reference, ReadInput(*artifacts_, "reference", spec.reference_uri));
  }
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());

  // Genes: as requested, or the query's when every input has the same var names.
  std::vector<std::string> genes = spec.genes;
  if (genes.empty()) {
    genes = query.data.var.index;
    for (const Input* other : {&prompt, reference ? &*reference : nullptr}) {
      if (other == nullptr || other->data.var.index == genes) continue;
      const auto& names = other->data.var.index;
      size_t i = 0;
      while (i < names.size() && i < genes.size() && names[i] == genes[i]) ++i;
      return InputError(fmt::format(
          "the {} cells ({} genes) and the query cells ({} genes) differ in var names at "
          "position {} ({} vs {}); name the genes in spec.genes to align them",
          other->name, names.size(), genes.size(), i,
          i < names.size() ? QuoteForMessage(names[i]) : std::string("end"),
          i < genes.size() ? QuoteForMessage(genes[i]) : std::string("end")));
    }
  }
  if (genes.empty()) return InputError("no genes: the query cells' var is empty");
  const int64_t query_cells = query.data.n_obs();
  DataFrame query_obs = std::move(query.data.obs);
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix query_x, SelectGenes(query, genes));
  HAYSTACK_ASSIGN_OR_RETURN(const ExpressionMatrix prompt_x, SelectGenes(prompt, genes));
  std::optional<ExpressionMatrix> reference_x;
  if (reference) {
    HAYSTACK_ASSIGN_OR_RETURN(reference_x, SelectGenes(*reference, genes));
  }

  UnsValue::Dict info;
  info["backend"] = kIclBaselineBackendName;
  info["model_version"] = kIclBaselineModelVersion;
  info["baseline"] = true;
  info["description"] =
      "CPU in-context baseline (not STACK): query + (mean(prompt) - mean(reference)) in log1p "
      "space, clipped at 0";
  info["seed"] = static_cast<int64_t>(options.seed);
  info["effect_scale"] = options.effect_scale;
  info["prompt_cells"] = Rows(prompt_x);
  info["reference_cells"] = reference_x ? Rows(*reference_x) : int64_t{0};
  info["reference"] = reference_x ? "reference" : "query";
  info["query_cells"] = query_cells;
  const UnsValue info_value(std::move(info));
  const inference_internal::ExpectedOutput expected{
      .cells = &query_obs.index, .genes = &genes, .info = &info_value};
  const JobOutcome outcome{.output_uri = spec.output_uri,
                           .cells = query_cells,
                           .genes = static_cast<int64_t>(genes.size()),
                           .backend = kIclBaselineBackendName,
                           .model_version = kIclBaselineModelVersion};

  // A re-executed job whose earlier attempt already wrote the output: reuse it (or refuse to
  // replace it) without computing again.
  auto exists = artifacts_->Exists(spec.output_uri);
  if (!exists.ok()) return Annotate(exists.status(), "checking the output artifact");
  if (*exists) {
    report(query_cells, query_cells, "reusing the existing output");
    HAYSTACK_RETURN_IF_ERROR(ReuseExistingOutput(*artifacts_, spec.output_uri, expected));
    return outcome;
  }

  report(0, query_cells, "predicting");
  HAYSTACK_ASSIGN_OR_RETURN(DenseMatrix predicted,
                            PredictIcl(IclInputs{.prompt = &prompt_x,
                                                 .reference = reference_x ? &*reference_x : nullptr,
                                                 .query = &query_x},
                                       options, stop, [&](int64_t done, int64_t total) {
                                         report(done, total, "predicting");
                                       }));

  report(query_cells, query_cells, "writing output");
  AnnData out;
  out.x = std::move(predicted);
  out.obs = query_obs;  // a copy: `expected` still points at its names
  out.var.index = genes;
  out.uns["haystack_inference"] = info_value;
  // Written to a scratch file (removed on every path out), then published create-only.
  HAYSTACK_ASSIGN_OR_RETURN(const LocalFile scratch, artifacts_->Scratch(spec.output_uri));
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
  // Predictions are mostly zeros where the atlas is: CSR, gzip-compressed (docs/inference.md).
  H5adWriteOptions write_options = CompactH5adWriteOptions();
  write_options.atomic = false;  // the scratch file is private until published
  write_options.sync = artifacts_->PublishesInPlace(spec.output_uri);
  if (absl::Status written = WriteH5ad(out, scratch.path().string(), write_options);
      !written.ok()) {
    return Annotate(written, fmt::format("writing the predictions for {}", spec.output_uri));
  }
  HAYSTACK_RETURN_IF_ERROR(
      inference_internal::VerifyWrittenOutput(scratch.path(), spec.output_uri, expected, *out.x));
  HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
  absl::Status published = artifacts_->Publish(scratch.path(), spec.output_uri);
  if (published.code() == absl::StatusCode::kAlreadyExists) {
    // Another attempt of this job published first; HDF5 bytes differ between writes (object
    // timestamps), so compare contents, not bytes.
    HAYSTACK_RETURN_IF_ERROR(ReuseExistingOutput(*artifacts_, spec.output_uri, expected));
  } else if (!published.ok()) {
    return Annotate(published, fmt::format("publishing the predictions to {}", spec.output_uri));
  }
  return outcome;
}

}  // namespace haystack
