#include "cli/dataset_classes.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/datasets.h"
#include "common/field_error.h"
#include "common/image_folder_layout.h"

namespace edgenas {

absl::StatusOr<std::string> FillImageFolderClasses(v1::JobSpec* spec) {
  v1::DatasetSpec* dataset = spec->mutable_dataset();
  if (dataset->name() != kImageFolderName || dataset->class_names_size() > 0 ||
      dataset->path().empty()) {
    return std::string();
  }
  absl::StatusOr<std::vector<std::string>> classes = ListImageFolderClasses(dataset->path());
  if (!classes.ok() || classes->empty()) return std::string();  // not readable here
  const int n = static_cast<int>(classes->size());
  if (dataset->num_classes() != 0 && dataset->num_classes() != n) {
    return FieldError("dataset.num_classes",
                      absl::StrCat(dataset->num_classes(), " disagrees with the ", n,
                                   " classes found in ", dataset->path()));
  }
  for (const std::string& name : *classes) dataset->add_class_names(name);
  dataset->set_num_classes(n);
  std::vector<std::string> shown(classes->begin(), classes->begin() + std::min(n, 10));
  return absl::StrCat("dataset image_folder: ", n, " classes (", absl::StrJoin(shown, ", "),
                      n > 10 ? ", ..." : "", ") from ", dataset->path());
}

}  // namespace edgenas
