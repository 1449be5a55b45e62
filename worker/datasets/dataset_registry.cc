#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/datasets.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/field_error.h"
#include "worker/datasets/dataset.h"

namespace edgenas {
namespace {

// The registry: one line per dataset.
const std::vector<std::pair<std::string, DatasetOpener>>& Openers() {
  static const auto* openers = new std::vector<std::pair<std::string, DatasetOpener>>{
      {kFashionMnistName, &OpenFashionMnistDataset},
      {kImageFolderName, &OpenImageFolderDataset},
  };
  return *openers;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenDataset(const DatasetRequest& request) {
  const std::string name = request.plan.name.empty() ? kFashionMnistName : request.plan.name;
  std::vector<std::string> known;
  for (const auto& [registered, opener] : Openers()) {
    if (registered == name) return opener(request);
    known.push_back(registered);
  }
  return FieldError("dataset.name",
                    absl::StrCat("this worker cannot read dataset \"", name.substr(0, 64),
                                 "\"; known: ", absl::StrJoin(known, ", ")));
}

}  // namespace edgenas
