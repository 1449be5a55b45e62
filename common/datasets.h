// The dataset registry as the coordinator, executors and CLI see it: which
// dataset names a job may use, the input shape and class count each gives,
// and the normalization of a job's dataset block. Reading the images is the
// worker's business (worker/); this file only describes. Generated protobuf
// headers stay out of this header (the proto is forward-declared), so
// LibTorch translation units may include it.
#ifndef EDGENAS_COMMON_DATASETS_H_
#define EDGENAS_COMMON_DATASETS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"

namespace edgenas {
namespace v1 {
class DatasetSpec;
}  // namespace v1

struct DatasetInfo {
  std::string name;
  // The shape its examples have; a field at 0 means the job must give it
  // (e.g. a folder of images resized to the job's choice).
  InputShape shape;
  std::string default_path;  // "" when the job must give one
};

// The entry for `name`, or nullptr.
const DatasetInfo* FindDataset(absl::string_view name);
// Registered names, for messages ("fashion_mnist").
std::vector<std::string> KnownDatasets();

// Fills a job's dataset block in place: name (default fashion_mnist), path
// and channels/height/width/num_classes from the registry where left at 0;
// refuses an unknown name, a value the dataset cannot give, or a shape out
// of range (INVALID_ARGUMENT naming "dataset.<field>"). image_folder: needs
// channels (1|3), image_size (sets height and width) and class_names or
// num_classes (>= 2); fills val/test fractions (0.1), augment (crop_flip);
// checks mean/std. fashion_mnist refuses the folder-only fields and takes
// augment "none" by default.
absl::Status NormalizeDatasetSpec(v1::DatasetSpec* spec);

// The shape a task's networks are built for: the spec's values, with fields
// left at 0 (a job stored before the shape travelled) resolved from the
// registry. INVALID_ARGUMENT naming the field when a value is still missing
// or out of range.
absl::StatusOr<InputShape> InputShapeOf(const v1::DatasetSpec& spec);

inline constexpr char kImageFolderName[] = "image_folder";
// Training augmentations (DatasetSpec.augment).
inline constexpr char kAugmentCropFlip[] = "crop_flip";
inline constexpr char kAugmentNone[] = "none";
// image_folder's val_fraction and test_fraction when left at 0.
inline constexpr double kDefaultSplitFraction = 0.1;
// The smallest image_size: below it a crop with padding means nothing.
inline constexpr int kMinImageSize = 8;

// Bounds on a shape (channels, side length, classes).
inline constexpr int kMaxInputChannels = 64;
inline constexpr int kMaxInputSide = 4096;
inline constexpr int kMaxClasses = 100000;

}  // namespace edgenas

#endif  // EDGENAS_COMMON_DATASETS_H_
