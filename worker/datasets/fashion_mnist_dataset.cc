// The fashion_mnist opener: Debian's IDX files through the cached reader
// (worker/fashion_mnist.h); validation is the last validation_examples
// training images and test the official test file, as before the registry.
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/datasets.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "worker/datasets/dataset.h"
#include "worker/fashion_mnist.h"

namespace edgenas {
namespace {

// SHA-256 over the sizes of the four IDX files (whichever form exists).
std::string IdxFingerprint(const std::string& dir) {
  Sha256Hasher hasher;
  hasher.Update("fashion_mnist\n");
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    for (const char* suffix : {".gz", ""}) {
      struct stat st;
      const std::string path = absl::StrCat(dir, "/", name, suffix);
      if (::stat(path.c_str(), &st) == 0) {
        hasher.Update(absl::StrCat(name, suffix, "\t", st.st_size, "\n"));
        break;
      }
    }
  }
  return hasher.FinishHex();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenFashionMnistDataset(
    const DatasetRequest& request) {
  const std::string dir =
      request.plan.path.empty() ? std::string(kFashionMnistDefaultPath) : request.plan.path;
  ASSIGN_OR_RETURN(std::shared_ptr<const FashionMnist> all, LoadFashionMnistCached(dir));
  ASSIGN_OR_RETURN(TrainValidationSplit split,
                   SplitValidation(all->train, request.validation_examples));
  auto opened = std::make_shared<OpenedDataset>();
  opened->train = split.train;
  opened->validation = split.validation;
  opened->test = all->test;
  DatasetCardInfo& card = opened->card;
  card.dataset = kFashionMnistName;
  card.path = dir;
  card.fingerprint = IdxFingerprint(dir);
  for (const char* name : {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                           "Sneaker", "Bag", "Ankle boot"}) {
    card.class_names.push_back(name);
  }
  card.channels = kFashionMnistChannels;
  card.image_size = kFashionMnistSide;
  card.mean = {kFashionMnistMean};
  card.std = {kFashionMnistStd};
  card.normalization_source = "fixed (Fashion-MNIST training pixels)";
  card.train_examples = opened->train.size();
  card.validation_examples = opened->validation.size();
  card.test_examples = opened->test.size();
  card.split = absl::StrCat("validation: the last ", request.validation_examples,
                            " training images; test: the official test file");
  card.augment = request.plan.augment.empty() ? kAugmentNone : request.plan.augment;
  return std::shared_ptr<const OpenedDataset>(std::move(opened));
}

}  // namespace edgenas
