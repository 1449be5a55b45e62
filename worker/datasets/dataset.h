// The worker's dataset seam: a registry of openers (name -> function), each
// turning a job's DatasetPlan into its train, validation and test splits and
// a card describing what was read. Adding a dataset is one new file with an
// opener plus one line in dataset_registry.cc.
#ifndef EDGENAS_WORKER_DATASETS_DATASET_H_
#define EDGENAS_WORKER_DATASETS_DATASET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/datasets/dataset_plan.h"
#include "worker/datasets/labeled_data.h"

namespace edgenas {

struct DatasetRequest {
  DatasetPlan plan;
  // fashion_mnist: the last validation_examples training images form the
  // validation split. image_folder ignores it (its fractions decide).
  int validation_examples = 0;
  // Folders files may be read from (common/data_roots.h); empty: anywhere.
  std::vector<std::string> data_roots;
};

struct OpenedDataset {
  LabeledData train;
  LabeledData validation;
  LabeledData test;  // never seen by the search
  DatasetCardInfo card;
};

// Opens a dataset. Errors name the field or the file; a dataset that no
// task of the job could use is marked job-fatal (common/job_fatal.h).
using DatasetOpener =
    absl::StatusOr<std::shared_ptr<const OpenedDataset>> (*)(const DatasetRequest& request);

// Opens `request.plan.name` ("" is fashion_mnist) through the registry.
// INVALID_ARGUMENT naming dataset.name for an unknown name.
absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenDataset(const DatasetRequest& request);

// The openers (one file each).
absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenFashionMnistDataset(
    const DatasetRequest& request);
absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenImageFolderDataset(
    const DatasetRequest& request);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_DATASET_H_
