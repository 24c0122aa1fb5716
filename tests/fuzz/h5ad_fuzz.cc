// The h5ad reader: an atlas is a file from outside (a lab, a download), so ReadH5ad and the
// atlas built on it must refuse a hostile file with an error and never crash.
//
// The input is a list of edits, made through the HDF5 API, to a valid feature-rich file
// (feature_rich_anndata.h: categorical, nullable, string and numeric columns, CSR X, a layer,
// obsm, nested uns with a dataframe): overwrite one element of a dataset (indptr, indices,
// codes, values, strings), set a string or shape attribute (encoding-type, encoding-version,
// _index, shape), delete an object, or make a group contain itself. The file stays valid HDF5,
// so every input reaches HAYSTACK's own checks. Properties: the reader either fails with an
// error or returns data that validates (duplicate categories once slipped through), and the
// atlas opens or refuses the file; nothing crashes, hangs or (under ASan) touches bad memory.
//
// Byte-level damage is deliberately not generated: Debian 12's libhdf5 1.10.8 itself crashes on
// some corrupted heaps (a two-byte edit of a variable-length string's global heap reference
// overflows a memcpy in H5HG_read), which no reader above the library can prevent.
// docs/operations.md "Fuzzing" says what that means for atlases.
#include <hdf5.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "feature_rich_anndata.h"
#include "fuzz_support.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"

namespace {

struct Dataset {
  std::string path;
  bool is_string = false;
  hsize_t size = 0;
};

std::string g_template;
std::string g_path;
std::vector<Dataset> g_datasets;
std::vector<std::string> g_objects;  // every group and dataset, for attribute edits and deletes

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

herr_t Collect(hid_t, const char* name, const H5O_info_t* info, void*) {
  const std::string path = std::string("/") + name;
  if (std::strcmp(name, ".") == 0) return 0;
  (void)info;
  g_objects.push_back(path);
  return 0;
}

// Reads the template's datasets (path, string or not, element count).
void Inventory(const std::string& file_path) {
  hid_t file = H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, Collect, nullptr);
  for (const std::string& path : g_objects) {
    H5O_info_t info;
    if (H5Oget_info_by_name(file, path.c_str(), &info, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_DATASET) {
      continue;
    }
    hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
    hid_t type = H5Dget_type(d);
    hid_t space = H5Dget_space(d);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    g_datasets.push_back(
        {path, H5Tget_class(type) == H5T_STRING, static_cast<hsize_t>(n < 0 ? 0 : n)});
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(d);
  }
  H5Fclose(file);
}

// Reads fixed-size little pieces of the input.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint64_t Next(size_t bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes && pos_ < size_; ++i) value |= uint64_t{data_[pos_++]} << (8 * i);
    return value;
  }
  std::string Text(size_t max) {
    const size_t n = std::min<size_t>(Next(1) % (max + 1), size_ - std::min(pos_, size_));
    std::string text(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return text;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

void WriteElement(hid_t file, const Dataset& dataset, Reader& in) {
  if (dataset.size == 0) return;
  hid_t d = H5Dopen2(file, dataset.path.c_str(), H5P_DEFAULT);
  if (d < 0) return;
  hid_t space = H5Dget_space(d);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  // The element's coordinates from a flat index.
  hsize_t flat = in.Next(4) % dataset.size;
  std::vector<hsize_t> coord(dims.size());
  for (size_t k = dims.size(); k-- > 0;) {
    coord[k] = flat % dims[k];
    flat /= dims[k];
  }
  if (rank > 0) H5Sselect_elements(space, H5S_SELECT_SET, 1, coord.data());
  hsize_t one = 1;
  hid_t memory = H5Screate_simple(1, &one, nullptr);
  if (dataset.is_string) {
    const std::string text = in.Text(40);
    const char* value = text.c_str();
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    H5Dwrite(d, type, memory, space, H5P_DEFAULT, &value);
    H5Tclose(type);
  } else if (in.Next(1) % 2 == 0) {
    int64_t value = static_cast<int64_t>(in.Next(8));
    H5Dwrite(d, H5T_NATIVE_INT64, memory, space, H5P_DEFAULT, &value);
  } else {
    uint64_t bits = in.Next(8);
    double value = 0;
    std::memcpy(&value, &bits, sizeof(value));
    H5Dwrite(d, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, &value);
  }
  H5Sclose(memory);
  H5Sclose(space);
  H5Dclose(d);
}

void SetStringAttribute(hid_t file, const std::string& object, Reader& in) {
  static const char* kNames[] = {"encoding-type", "encoding-version", "_index", "column-order",
                                 "haystack-type"};
  static const char* kValues[] = {"anndata",
                                  "dataframe",
                                  "csr_matrix",
                                  "csc_matrix",
                                  "categorical",
                                  "string-array",
                                  "array",
                                  "dict",
                                  "nullable-integer",
                                  "nullable-boolean",
                                  "0.1.0",
                                  "0.2.0",
                                  "9.9.9",
                                  "list",
                                  "",
                                  "_index"};
  const char* name = kNames[in.Next(1) % std::size(kNames)];
  const std::string fuzzed = in.Text(16);
  const std::string value = in.Next(1) % 2 == 0 ? kValues[in.Next(1) % std::size(kValues)] : fuzzed;
  hid_t obj = H5Oopen(file, object.c_str(), H5P_DEFAULT);
  if (obj < 0) return;
  H5Adelete(obj, name);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* text = value.c_str();
  if (attr >= 0) {
    H5Awrite(attr, type, &text);
    H5Aclose(attr);
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Oclose(obj);
}

void SetShapeAttribute(hid_t file, const std::string& object, Reader& in) {
  hid_t obj = H5Oopen(file, object.c_str(), H5P_DEFAULT);
  if (obj < 0) return;
  H5Adelete(obj, "shape");
  hsize_t n = 1 + in.Next(1) % 3;
  int64_t values[3];
  for (hsize_t i = 0; i < n; ++i)
    values[i] = static_cast<int64_t>(in.Next(1) % 2 == 0 ? in.Next(1) : in.Next(8));
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t attr = H5Acreate2(obj, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  if (attr >= 0) {
    H5Awrite(attr, H5T_NATIVE_INT64, values);
    H5Aclose(attr);
  }
  H5Sclose(space);
  H5Oclose(obj);
}

void ApplyEdits(const uint8_t* data, size_t size) {
  hid_t file = H5Fopen(g_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) std::abort();
  Reader in(data, size);
  for (int edits = 0; !in.empty() && edits < 32; ++edits) {
    const uint64_t op = in.Next(1) % 8;
    const std::string& object = g_objects[in.Next(2) % g_objects.size()];
    switch (op) {
      case 0:
      case 1:
      case 2:
        WriteElement(file, g_datasets[in.Next(2) % g_datasets.size()], in);
        break;
      case 3:
      case 4:
        SetStringAttribute(file, object, in);
        break;
      case 5:
        SetShapeAttribute(file, object, in);
        break;
      case 6:
        H5Ldelete(file, object.c_str(), H5P_DEFAULT);
        break;
      default:  // a group that contains itself (or another object under a second name)
        H5Lcreate_hard(file, object.c_str(), file, (object + "_again").c_str(), H5P_DEFAULT,
                       H5P_DEFAULT);
        H5Lcreate_hard(file, "/uns", file, "/uns/loop", H5P_DEFAULT, H5P_DEFAULT);
        break;
    }
  }
  H5Fclose(file);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the edits fail often; HDF5 need not print
  // One file per process, in memory-backed /dev/shm when there is one.
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  g_path = (dir / ("haystack-h5ad-fuzz-" + std::to_string(getpid()) + ".h5ad")).string();
  const std::string template_path = g_path + ".template";
  if (!haystack::WriteH5ad(haystack::testing::MakeFeatureRichAnnData(), template_path).ok()) {
    std::abort();
  }
  g_template = ReadAll(template_path);
  Inventory(template_path);
  std::filesystem::remove(template_path);
  if (g_datasets.empty() || g_objects.empty()) std::abort();
  std::atexit([] { std::filesystem::remove(g_path); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haystack;
  {
    std::ofstream out(g_path, std::ios::binary | std::ios::trunc);
    out.write(g_template.data(), static_cast<std::streamsize>(g_template.size()));
  }
  ApplyEdits(data, size);
  auto read = ReadH5ad(g_path);
  if (read.ok()) {
    absl::Status valid = read->Validate();
    FUZZ_CHECK(valid.ok(), std::string(valid.message()));
  }
  H5adAtlasOptions options;
  options.mapping.columns = {{AtlasField::kCellType, "cell_type"}, {AtlasField::kDonor, "batch"}};
  auto atlas = OpenH5adAtlas(g_path, options);
  if (atlas.ok()) {
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < std::min<int64_t>((*atlas)->num_cells(), 6); ++r) rows.push_back(r);
    (void)(*atlas)->GatherRows(rows);
    (void)(*atlas)->Values(AtlasField::kCellType);
  }
  return 0;
}
