#include "common/datasets.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/field_error.h"
#include "common/status_macros.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {
namespace {

// The registry: one line per dataset.
const std::vector<DatasetInfo>& Registry() {
  static const auto* registry = new std::vector<DatasetInfo>{
      {kFashionMnistName,
       {kFashionMnistChannels, kFashionMnistSide, kFashionMnistSide, kFashionMnistClasses},
       kFashionMnistDefaultPath},
  };
  return *registry;
}

// One shape field: 0 takes the dataset's value; a dataset with a fixed value
// refuses another; the result must lie in [1, max].
absl::StatusOr<int> ResolveField(int given, int fixed, int max, const DatasetInfo& info,
                                 absl::string_view field) {
  const std::string path = absl::StrCat("dataset.", field);
  if (given == 0) {
    if (fixed == 0) {
      return FieldError(path, absl::StrCat("required for dataset ", info.name));
    }
    return fixed;
  }
  if (fixed != 0 && given != fixed) {
    return FieldError(path, absl::StrCat(info.name, " gives ", fixed, ", got ", given));
  }
  if (given < 1 || given > max) {
    return FieldError(path, absl::StrCat("must be in [1, ", max, "], got ", given));
  }
  return given;
}

absl::StatusOr<const DatasetInfo*> FindOrError(absl::string_view name) {
  const DatasetInfo* info = FindDataset(name);
  if (info != nullptr) return info;
  return FieldError("dataset.name", absl::StrCat("unknown dataset \"", name.substr(0, 64),
                                                 "\"; known: ",
                                                 absl::StrJoin(KnownDatasets(), ", ")));
}

}  // namespace

const DatasetInfo* FindDataset(absl::string_view name) {
  for (const DatasetInfo& info : Registry()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<std::string> KnownDatasets() {
  std::vector<std::string> names;
  for (const DatasetInfo& info : Registry()) names.push_back(info.name);
  return names;
}

absl::StatusOr<InputShape> InputShapeOf(const v1::DatasetSpec& spec) {
  ASSIGN_OR_RETURN(const DatasetInfo* info,
                   FindOrError(spec.name().empty() ? kFashionMnistName : spec.name()));
  InputShape shape;
  ASSIGN_OR_RETURN(shape.channels, ResolveField(spec.channels(), info->shape.channels,
                                                kMaxInputChannels, *info, "channels"));
  ASSIGN_OR_RETURN(shape.height, ResolveField(spec.height(), info->shape.height, kMaxInputSide,
                                              *info, "height"));
  ASSIGN_OR_RETURN(shape.width,
                   ResolveField(spec.width(), info->shape.width, kMaxInputSide, *info, "width"));
  ASSIGN_OR_RETURN(shape.classes, ResolveField(spec.num_classes(), info->shape.classes,
                                               kMaxClasses, *info, "num_classes"));
  return shape;
}

absl::Status NormalizeDatasetSpec(v1::DatasetSpec* spec) {
  if (spec->name().empty()) spec->set_name(kFashionMnistName);
  ASSIGN_OR_RETURN(const DatasetInfo* info, FindOrError(spec->name()));
  if (spec->path().empty()) spec->set_path(info->default_path);
  if (spec->path().empty()) {
    return FieldError("dataset.path", absl::StrCat("required for dataset ", info->name));
  }
  ASSIGN_OR_RETURN(const InputShape shape, InputShapeOf(*spec));
  spec->set_channels(shape.channels);
  spec->set_height(shape.height);
  spec->set_width(shape.width);
  spec->set_num_classes(shape.classes);
  return absl::OkStatus();
}

}  // namespace edgenas
