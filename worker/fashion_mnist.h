// Fashion-MNIST in IDX format (gzipped or plain): strict readers, the
// normalised dataset with its deterministic train/validation split, and a
// per-process cache so that every task of a worker loads the files once.
#ifndef EDGENAS_WORKER_FASHION_MNIST_H_
#define EDGENAS_WORKER_FASHION_MNIST_H_

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/job_defaults.h"
#include "worker/datasets/labeled_data.h"

namespace edgenas {

inline constexpr const char* kDefaultFashionMnistDir = kDefaultDatasetPath;

// The two official files' contents, normalised. `train` is all 60,000
// training images; `test` is kept for final reporting only.
struct FashionMnist {
  LabeledData train;
  LabeledData test;
};

// The held-out validation split used for search: the last
// `validation_examples` of the training set; `train` is the rest. Views (no copy).
struct TrainValidationSplit {
  LabeledData train;
  LabeledData validation;
};

// Reads an IDX3 image file (magic 0x00000803) as uint8 [N, rows, cols].
// Gzip is detected; plain files are read as-is. NOT_FOUND when the file is
// missing, DATA_LOSS (naming the file) for a bad magic, dimensions or length.
absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path);

// Reads an IDX1 label file (magic 0x00000801) as int64 [N]; errors as above,
// and DATA_LOSS when a label is >= num_classes.
absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path, int num_classes = kFashionMnistClasses);

// Loads the four files from `dir` (NAME.gz, or NAME when no .gz exists),
// checks image/label counts agree and images are 28x28, and normalises.
absl::StatusOr<FashionMnist> LoadFashionMnist(const std::string& dir);

// LoadFashionMnist, cached per directory for the life of the process.
// Thread-safe; failures are not cached (the files may appear later).
absl::StatusOr<std::shared_ptr<const FashionMnist>> LoadFashionMnistCached(
    const std::string& dir);

// Splits off the last `validation_examples` of `train`; INVALID_ARGUMENT
// (naming evaluation.validation_examples) unless 0 < n < train.size().
absl::StatusOr<TrainValidationSplit> SplitValidation(const LabeledData& train,
                                                     int64_t validation_examples);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_FASHION_MNIST_H_
