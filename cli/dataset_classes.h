// Fills an image_folder job's class names on the submitting machine: the
// folder (or CSV) is listed with common/image_folder_layout.h when it is
// readable here, so that the job carries its classes (and num_classes) and
// every executor checks it reads the same ones.
#ifndef EDGENAS_CLI_DATASET_CLASSES_H_
#define EDGENAS_CLI_DATASET_CLASSES_H_

#include <string>

#include "absl/status/statusor.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// For dataset.name image_folder with no class_names: lists the classes at
// dataset.path and sets class_names (and num_classes when 0). Returns a line
// for the user ("dataset image_folder: 3 classes (a, b, c) from PATH"), or
// "" when nothing was filled (another dataset, names given, or the folder
// not readable here: normalization then needs num_classes).
// INVALID_ARGUMENT naming dataset.num_classes when a given count disagrees
// with the folder's.
absl::StatusOr<std::string> FillImageFolderClasses(v1::JobSpec* spec);

}  // namespace edgenas

#endif  // EDGENAS_CLI_DATASET_CLASSES_H_
