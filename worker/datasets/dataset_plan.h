// A job's dataset as plain data (no LibTorch, no protobuf): what a task asks
// the worker's dataset registry to open (DatasetPlan, filled from the job's
// DatasetSpec by worker/accuracy_task.cc) and what the opened dataset was
// found to be (DatasetCardInfo, stored as the job's "dataset_card" artifact
// in the JSON form of v1::DatasetCard).
#ifndef EDGENAS_WORKER_DATASETS_DATASET_PLAN_H_
#define EDGENAS_WORKER_DATASETS_DATASET_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

namespace edgenas {

struct DatasetPlan {
  std::string name;                      // "fashion_mnist" or "image_folder" ("": fashion_mnist)
  std::string path;                      // "" takes the dataset's default
  int image_size = 0;                    // image_folder: the side images are decoded to
  int channels = 0;                      // image_folder: 1 (grayscale) or 3 (RGB)
  std::vector<std::string> class_names;  // empty: the folder's, unchecked
  std::vector<double> mean;              // per channel; empty: from the training split
  std::vector<double> std;
  double val_fraction = 0.0;  // image_folder: split off train/ when val/ is absent
  double test_fraction = 0.0;
  uint64_t split_seed = 0;
  std::string augment;  // "crop_flip" or "none" ("": none)
};

// What a task found when it opened the dataset (see v1::DatasetCard).
struct DatasetCardInfo {
  std::string dataset;
  std::string path;
  std::string fingerprint;  // content key: any change to the files changes it
  std::vector<std::string> class_names;
  int channels = 0;
  int image_size = 0;
  std::vector<double> mean;
  std::vector<double> std;
  std::string normalization_source;
  int64_t train_examples = 0;
  int64_t validation_examples = 0;
  int64_t test_examples = 0;
  std::string split;
  int64_t upscaled = 0;
  std::string augment;
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_DATASET_PLAN_H_
