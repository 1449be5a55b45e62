#include "common/datasets.h"

#include <cmath>
#include <set>

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
      // A user's folder (or CSV) of JPEG/PNG images: the job gives the
      // channels, the side images are decoded to and the classes.
      {kImageFolderName, {0, 0, 0, 0}, ""},
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

// fashion_mnist: the image_folder-only fields must stay unset.
absl::Status RefuseFolderFields(const v1::DatasetSpec& spec) {
  const auto refuse = [](absl::string_view field) {
    return FieldError(absl::StrCat("dataset.", field),
                      absl::StrCat("only for dataset ", kImageFolderName, ", not ",
                                   kFashionMnistName));
  };
  if (spec.image_size() != 0) return refuse("image_size");
  if (spec.class_names_size() > 0) return refuse("class_names");
  if (spec.mean_size() > 0) return refuse("mean");
  if (spec.std_size() > 0) return refuse("std");
  if (spec.val_fraction() != 0.0) return refuse("val_fraction");
  if (spec.test_fraction() != 0.0) return refuse("test_fraction");
  if (spec.split_seed() != 0) return refuse("split_seed");
  return absl::OkStatus();
}

// "" -> `fallback`; otherwise one of kAugmentations.
absl::Status NormalizeAugment(v1::DatasetSpec* spec, const char* fallback) {
  if (spec->augment().empty()) {
    spec->set_augment(fallback);
    return absl::OkStatus();
  }
  if (spec->augment() != kAugmentCropFlip && spec->augment() != kAugmentNone) {
    return FieldError("dataset.augment",
                      absl::StrCat("unknown augmentation \"", spec->augment().substr(0, 64),
                                   "\"; known: ", kAugmentCropFlip, ", ", kAugmentNone));
  }
  return absl::OkStatus();
}

// A split fraction: 0 takes the default; else in [0, 0.5).
absl::StatusOr<double> NormalizeFraction(double given, absl::string_view field) {
  if (given == 0.0) return kDefaultSplitFraction;
  if (!(given > 0.0 && given < 0.5)) {
    return FieldError(absl::StrCat("dataset.", field),
                      absl::StrCat("must be in [0, 0.5), got ", given));
  }
  return given;
}

absl::Status NormalizeImageFolder(v1::DatasetSpec* spec) {
  if (spec->channels() != 1 && spec->channels() != 3) {
    return FieldError("dataset.channels",
                      absl::StrCat("must be 1 (grayscale) or 3 (RGB) for dataset ",
                                   kImageFolderName, ", got ", spec->channels()));
  }
  const int size = spec->image_size();
  if (size == 0) {
    return FieldError("dataset.image_size", absl::StrCat("required for dataset ", kImageFolderName,
                                                         " (the side images are decoded to)"));
  }
  if (size < kMinImageSize || size > kMaxInputSide) {
    return FieldError("dataset.image_size", absl::StrCat("must be in [", kMinImageSize, ", ",
                                                         kMaxInputSide, "], got ", size));
  }
  if (spec->height() != 0 && spec->height() != size) {
    return FieldError("dataset.height",
                      absl::StrCat(spec->height(), " disagrees with dataset.image_size ", size));
  }
  if (spec->width() != 0 && spec->width() != size) {
    return FieldError("dataset.width",
                      absl::StrCat(spec->width(), " disagrees with dataset.image_size ", size));
  }
  spec->set_height(size);
  spec->set_width(size);
  if (spec->class_names_size() > 0) {
    std::set<std::string> seen;
    for (int i = 0; i < spec->class_names_size(); ++i) {
      const std::string& name = spec->class_names(i);
      if (name.empty() || !seen.insert(name).second) {
        return FieldError(absl::StrCat("dataset.class_names[", i, "]"),
                          name.empty() ? "empty name"
                                       : absl::StrCat("\"", name.substr(0, 64), "\" repeated"));
      }
    }
    if (spec->num_classes() != 0 && spec->num_classes() != spec->class_names_size()) {
      return FieldError("dataset.num_classes",
                        absl::StrCat(spec->num_classes(), " disagrees with the ",
                                     spec->class_names_size(), " dataset.class_names"));
    }
    spec->set_num_classes(spec->class_names_size());
  } else if (spec->num_classes() == 0) {
    return FieldError("dataset.num_classes",
                      "required for dataset image_folder when dataset.class_names is empty (the "
                      "CLI fills both when it can read the folder)");
  }
  if (spec->num_classes() < 2 || spec->num_classes() > kMaxClasses) {
    return FieldError("dataset.num_classes", absl::StrCat("must be in [2, ", kMaxClasses,
                                                          "], got ", spec->num_classes()));
  }
  ASSIGN_OR_RETURN(const double val, NormalizeFraction(spec->val_fraction(), "val_fraction"));
  ASSIGN_OR_RETURN(const double test, NormalizeFraction(spec->test_fraction(), "test_fraction"));
  if (val + test >= 0.9) {
    return FieldError("dataset.test_fraction",
                      absl::StrCat("val_fraction + test_fraction must be < 0.9, got ", val + test));
  }
  spec->set_val_fraction(val);
  spec->set_test_fraction(test);
  if (spec->mean_size() != spec->std_size()) {
    return FieldError("dataset.std", "give dataset.mean and dataset.std together, or neither");
  }
  if (spec->mean_size() != 0 && spec->mean_size() != spec->channels()) {
    return FieldError("dataset.mean", absl::StrCat("needs one value per channel (",
                                                   spec->channels(), "), got ",
                                                   spec->mean_size()));
  }
  for (int i = 0; i < spec->mean_size(); ++i) {
    if (!std::isfinite(spec->mean(i))) {
      return FieldError(absl::StrCat("dataset.mean[", i, "]"), "must be finite");
    }
    if (!(spec->std(i) > 0.0) || !std::isfinite(spec->std(i))) {
      return FieldError(absl::StrCat("dataset.std[", i, "]"),
                        absl::StrCat("must be finite and > 0, got ", spec->std(i)));
    }
  }
  return NormalizeAugment(spec, kAugmentCropFlip);
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
  // image_folder: height and width follow image_size, the class count the
  // class names, when left at 0.
  const bool folder = info->name == kImageFolderName;
  const int side = folder ? spec.image_size() : 0;
  const int height = spec.height() != 0 ? spec.height() : side;
  const int width = spec.width() != 0 ? spec.width() : side;
  const int classes = spec.num_classes() != 0 || !folder ? spec.num_classes()
                                                         : spec.class_names_size();
  ASSIGN_OR_RETURN(shape.channels, ResolveField(spec.channels(), info->shape.channels,
                                                kMaxInputChannels, *info, "channels"));
  ASSIGN_OR_RETURN(shape.height, ResolveField(height, info->shape.height, kMaxInputSide,
                                              *info, "height"));
  ASSIGN_OR_RETURN(shape.width,
                   ResolveField(width, info->shape.width, kMaxInputSide, *info, "width"));
  ASSIGN_OR_RETURN(shape.classes, ResolveField(classes, info->shape.classes,
                                               kMaxClasses, *info, "num_classes"));
  return shape;
}

absl::Status NormalizeDatasetSpec(v1::DatasetSpec* spec) {
  if (spec->name().empty()) spec->set_name(kFashionMnistName);
  ASSIGN_OR_RETURN(const DatasetInfo* info, FindOrError(spec->name()));
  if (info->name == kImageFolderName) {
    RETURN_IF_ERROR(NormalizeImageFolder(spec));
  } else {
    RETURN_IF_ERROR(RefuseFolderFields(*spec));
    RETURN_IF_ERROR(NormalizeAugment(spec, kAugmentNone));
  }
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
