#include "worker/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kMaxDimension = 4096;
constexpr uint64_t kMaxItems = 10'000'000;
constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 32;
constexpr int64_t kImageSide = kFashionMnistSide;

using DatasetCache = std::map<std::string, std::shared_ptr<const FashionMnist>>;
ABSL_CONST_INIT absl::Mutex dataset_cache_mu(absl::kConstInit);
DatasetCache* dataset_cache ABSL_GUARDED_BY(dataset_cache_mu) = nullptr;

// An open gzip (or plain) stream that closes itself.
class GzFile {
 public:
  static absl::StatusOr<GzFile> Open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    }
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    }
    return GzFile(path, file);
  }
  GzFile(GzFile&& other) noexcept : path_(std::move(other.path_)), file_(other.file_) {
    other.file_ = nullptr;
  }
  GzFile& operator=(GzFile&&) = delete;
  ~GzFile() {
    if (file_ != nullptr) gzclose(file_);
  }

  // Reads exactly `n` bytes; DATA_LOSS naming the file when fewer are left
  // or the compressed stream is corrupt.
  absl::Status ReadExactly(void* out, uint64_t n, const char* what) {
    auto* dst = static_cast<unsigned char*>(out);
    uint64_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n - done, 1u << 30));
      const int got = gzread(file_, dst + done, chunk);
      if (got < 0) return StreamError();
      if (got == 0) {
        return absl::DataLossError(absl::StrCat(path_, ": truncated ", what, ": expected ", n,
                                                " bytes, got ", done));
      }
      done += static_cast<uint64_t>(got);
    }
    return absl::OkStatus();
  }

  // OK when the stream has nothing after the payload.
  absl::Status ExpectEnd() {
    unsigned char extra;
    const int got = gzread(file_, &extra, 1);
    if (got < 0) return StreamError();
    if (got > 0) return absl::DataLossError(absl::StrCat(path_, ": trailing bytes after data"));
    return absl::OkStatus();
  }

  absl::StatusOr<uint32_t> ReadBigEndian32(const char* what) {
    std::array<unsigned char, 4> b;
    RETURN_IF_ERROR(ReadExactly(b.data(), b.size(), what));
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

  const std::string& path() const { return path_; }

 private:
  GzFile(std::string path, gzFile file) : path_(std::move(path)), file_(file) {}

  absl::Status StreamError() {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    return absl::DataLossError(
        absl::StrCat(path_, ": corrupt stream: ", message != nullptr ? message : "unknown"));
  }

  std::string path_;
  gzFile file_;
};

absl::Status ExpectMagic(GzFile& file, uint32_t expected) {
  ASSIGN_OR_RETURN(uint32_t magic, file.ReadBigEndian32("header"));
  if (magic != expected) {
    return absl::DataLossError(absl::StrCat(file.path(), ": bad magic number 0x",
                                            absl::Hex(magic, absl::kZeroPad8), ", expected 0x",
                                            absl::Hex(expected, absl::kZeroPad8)));
  }
  return absl::OkStatus();
}

absl::Status CheckDimension(const GzFile& file, const char* name, uint32_t value, uint64_t max) {
  if (value > max) {
    return absl::DataLossError(
        absl::StrCat(file.path(), ": implausible ", name, " ", value, " (max ", max, ")"));
  }
  return absl::OkStatus();
}

// "<dir>/<name>.gz" when present, else "<dir>/<name>" (which may not exist:
// the reader then reports NOT_FOUND naming it).
std::string ResolveFile(const std::string& dir, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  std::error_code ec;
  const std::string gz = base.string() + ".gz";
  if (std::filesystem::exists(gz, ec)) return gz;
  if (std::filesystem::exists(base, ec)) return base.string();
  return gz;
}

absl::StatusOr<LabeledData> LoadPair(const std::string& dir, const std::string& images_name,
                                     const std::string& labels_name) {
  const std::string images_path = ResolveFile(dir, images_name);
  const std::string labels_path = ResolveFile(dir, labels_name);
  ASSIGN_OR_RETURN(torch::Tensor images, ReadIdxImages(images_path));
  ASSIGN_OR_RETURN(torch::Tensor labels, ReadIdxLabels(labels_path));
  if (images.size(1) != kImageSide || images.size(2) != kImageSide) {
    return absl::DataLossError(absl::StrCat(images_path, ": images are ", images.size(1), "x",
                                            images.size(2), ", expected 28x28"));
  }
  if (images.size(0) != labels.size(0)) {
    return absl::DataLossError(absl::StrCat(images_path, " has ", images.size(0), " images but ",
                                            labels_path, " has ", labels.size(0), " labels"));
  }
  LabeledData data;
  data.images = images.to(torch::kFloat32)
                    .div_(255.0)
                    .sub_(kFashionMnistMean)
                    .div_(kFashionMnistStd)
                    .unsqueeze(1)
                    .contiguous();
  data.labels = std::move(labels);
  return data;
}

}  // namespace

absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path) {
  ASSIGN_OR_RETURN(GzFile file, GzFile::Open(path));
  RETURN_IF_ERROR(ExpectMagic(file, kImagesMagic));
  ASSIGN_OR_RETURN(uint32_t count, file.ReadBigEndian32("header"));
  ASSIGN_OR_RETURN(uint32_t rows, file.ReadBigEndian32("header"));
  ASSIGN_OR_RETURN(uint32_t cols, file.ReadBigEndian32("header"));
  RETURN_IF_ERROR(CheckDimension(file, "image count", count, kMaxItems));
  RETURN_IF_ERROR(CheckDimension(file, "rows", rows, kMaxDimension));
  RETURN_IF_ERROR(CheckDimension(file, "columns", cols, kMaxDimension));
  if (rows == 0 || cols == 0) {
    return absl::DataLossError(absl::StrCat(path, ": empty image size ", rows, "x", cols));
  }
  const uint64_t bytes = uint64_t{count} * rows * cols;
  if (bytes > kMaxPayloadBytes) {
    return absl::DataLossError(absl::StrCat(path, ": implausible payload of ", bytes, " bytes"));
  }
  try {
    torch::Tensor images = torch::empty({int64_t{count}, int64_t{rows}, int64_t{cols}}, torch::kUInt8);
    RETURN_IF_ERROR(file.ReadExactly(images.data_ptr<uint8_t>(), bytes, "pixel data"));
    RETURN_IF_ERROR(file.ExpectEnd());
    return images;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
}

absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path, int num_classes) {
  ASSIGN_OR_RETURN(GzFile file, GzFile::Open(path));
  RETURN_IF_ERROR(ExpectMagic(file, kLabelsMagic));
  ASSIGN_OR_RETURN(uint32_t count, file.ReadBigEndian32("header"));
  RETURN_IF_ERROR(CheckDimension(file, "label count", count, kMaxItems));
  std::vector<uint8_t> raw(count);
  RETURN_IF_ERROR(file.ReadExactly(raw.data(), raw.size(), "labels"));
  RETURN_IF_ERROR(file.ExpectEnd());
  try {
    torch::Tensor labels = torch::empty({static_cast<int64_t>(count)}, torch::kInt64);
    int64_t* out = labels.data_ptr<int64_t>();
    for (uint32_t i = 0; i < count; ++i) {
      if (raw[i] >= num_classes) {
        return absl::DataLossError(absl::StrCat(path, ": label ", int{raw[i]}, " at index ", i,
                                                " not in [0, ", num_classes, ")"));
      }
      out[i] = raw[i];
    }
    return labels;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
}

absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir) {
  FashionMnist data;
  ASSIGN_OR_RETURN(data.train,
                   LoadPair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte"));
  ASSIGN_OR_RETURN(data.test, LoadPair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"));
  return data;
}

absl::StatusOr<std::shared_ptr<const FashionMnist>> LoadFashionMnistCached(
    const std::string& dir) {
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(dir, ec).string();
  if (ec || key.empty()) key = dir;
  // Loading under the lock: concurrent tasks for the same data wait for the
  // first load instead of reading the files twice.
  absl::MutexLock lock(&dataset_cache_mu);
  if (dataset_cache == nullptr) dataset_cache = new DatasetCache();
  auto it = dataset_cache->find(key);
  if (it != dataset_cache->end()) return it->second;
  ASSIGN_OR_RETURN(FashionMnist loaded, LoadFashionMnist(dir));
  auto shared = std::make_shared<const FashionMnist>(std::move(loaded));
  dataset_cache->emplace(key, shared);
  return shared;
}

absl::StatusOr<TrainValidationSplit> SplitValidation(const LabeledData& train,
                                                     int64_t validation_examples) {
  const int64_t n = train.size();
  if (validation_examples <= 0 || validation_examples >= n) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation.validation_examples: ", validation_examples, " not in [1, ",
                     n - 1, "] (training set has ", n, " examples)"));
  }
  const int64_t keep = n - validation_examples;
  TrainValidationSplit split;
  split.train.images = train.images.narrow(0, 0, keep);
  split.train.labels = train.labels.narrow(0, 0, keep);
  split.validation.images = train.images.narrow(0, keep, validation_examples);
  split.validation.labels = train.labels.narrow(0, keep, validation_examples);
  return split;
}

}  // namespace edgenas
