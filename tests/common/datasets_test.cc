// The dataset registry: a job's dataset block is filled with its input
// shape, a shape the dataset cannot give is refused naming the field, and a
// job stored before the shape travelled (fields at 0) still resolves.
#include "common/datasets.h"

#include <functional>

#include "edgenas/v1/job.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

// Normalization fills name, path and the shape from the registry.
TEST(Datasets, NormalizationFillsTheShape) {
  v1::DatasetSpec spec;
  ASSERT_TRUE(NormalizeDatasetSpec(&spec).ok());
  EXPECT_EQ(spec.name(), "fashion_mnist");
  EXPECT_FALSE(spec.path().empty());
  EXPECT_EQ(spec.channels(), 1);
  EXPECT_EQ(spec.height(), 28);
  EXPECT_EQ(spec.width(), 28);
  EXPECT_EQ(spec.num_classes(), 10);
}

// A spec stored with the fields at 0 resolves to the dataset's shape.
TEST(Datasets, OldSpecsWithoutTheShapeResolve) {
  v1::DatasetSpec spec;
  spec.set_name("fashion_mnist");
  absl::StatusOr<InputShape> shape = InputShapeOf(spec);
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, (InputShape{1, 28, 28, 10}));
}

// Values the dataset cannot give, and unknown names, are refused by field.
TEST(Datasets, RefusesWhatTheDatasetCannotGive) {
  v1::DatasetSpec spec;
  spec.set_channels(3);
  absl::Status status = NormalizeDatasetSpec(&spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("dataset.channels: fashion_mnist gives 1"));
  spec = v1::DatasetSpec();
  spec.set_num_classes(-2);
  EXPECT_THAT(std::string(NormalizeDatasetSpec(&spec).message()), HasSubstr("dataset.num_classes"));
  spec = v1::DatasetSpec();
  spec.set_name("cifar11");
  status = NormalizeDatasetSpec(&spec);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("dataset.name: unknown dataset \"cifar11\"; known: fashion_mnist, "
                        "image_folder"));
}

// The default job's dataset block is unchanged but for augment "none".
TEST(Datasets, FashionMnistTakesNoAugmentationByDefault) {
  v1::DatasetSpec spec;
  ASSERT_TRUE(NormalizeDatasetSpec(&spec).ok());
  EXPECT_EQ(spec.augment(), "none");
  EXPECT_EQ(spec.image_size(), 0);
  EXPECT_EQ(spec.val_fraction(), 0.0);
  spec = v1::DatasetSpec();
  spec.set_augment("crop_flip");
  ASSERT_TRUE(NormalizeDatasetSpec(&spec).ok());
  EXPECT_EQ(spec.augment(), "crop_flip");
}

// fashion_mnist refuses every image_folder-only field, naming it.
TEST(Datasets, FashionMnistRefusesFolderFields) {
  const auto refused = [](const std::function<void(v1::DatasetSpec*)>& set) {
    v1::DatasetSpec spec;
    set(&spec);
    return std::string(NormalizeDatasetSpec(&spec).message());
  };
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_image_size(32); }),
              HasSubstr("dataset.image_size: only for dataset image_folder"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->add_class_names("a"); }),
              HasSubstr("dataset.class_names"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->add_mean(0.5); }), HasSubstr("dataset.mean"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->add_std(0.5); }), HasSubstr("dataset.std"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_val_fraction(0.2); }),
              HasSubstr("dataset.val_fraction"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_test_fraction(0.2); }),
              HasSubstr("dataset.test_fraction"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_augment("mixup"); }),
              HasSubstr("dataset.augment: unknown augmentation \"mixup\""));
}

v1::DatasetSpec Folder() {
  v1::DatasetSpec spec;
  spec.set_name("image_folder");
  spec.set_path("/usr/share/datasets/pets");
  spec.set_channels(3);
  spec.set_image_size(64);
  spec.add_class_names("cat");
  spec.add_class_names("dog");
  return spec;
}

// image_folder: image_size sets height and width, class names the class
// count; fractions and augment take their defaults.
TEST(Datasets, ImageFolderNormalizationFillsDefaults) {
  v1::DatasetSpec spec = Folder();
  ASSERT_TRUE(NormalizeDatasetSpec(&spec).ok());
  EXPECT_EQ(spec.height(), 64);
  EXPECT_EQ(spec.width(), 64);
  EXPECT_EQ(spec.num_classes(), 2);
  EXPECT_DOUBLE_EQ(spec.val_fraction(), 0.1);
  EXPECT_DOUBLE_EQ(spec.test_fraction(), 0.1);
  EXPECT_EQ(spec.augment(), "crop_flip");
  absl::StatusOr<InputShape> shape = InputShapeOf(spec);
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, (InputShape{3, 64, 64, 2}));
  // Without names, num_classes is enough.
  spec = Folder();
  spec.clear_class_names();
  spec.set_num_classes(5);
  ASSERT_TRUE(NormalizeDatasetSpec(&spec).ok());
  EXPECT_EQ(spec.num_classes(), 5);
}

// Every image_folder rule names its field.
TEST(Datasets, ImageFolderRefusesBadFields) {
  const auto refused = [](const std::function<void(v1::DatasetSpec*)>& set) {
    v1::DatasetSpec spec = Folder();
    set(&spec);
    return std::string(NormalizeDatasetSpec(&spec).message());
  };
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_channels(0); }),
              HasSubstr("dataset.channels: must be 1 (grayscale) or 3 (RGB)"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_channels(4); }), HasSubstr("dataset.channels"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_image_size(0); }),
              HasSubstr("dataset.image_size: required"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_height(32); }),
              HasSubstr("dataset.height: 32 disagrees with dataset.image_size 64"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_num_classes(3); }),
              HasSubstr("dataset.num_classes: 3 disagrees with the 2 dataset.class_names"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->clear_class_names(); }),
              HasSubstr("dataset.num_classes: required"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) {
                s->clear_class_names();
                s->set_num_classes(1);
              }),
              HasSubstr("dataset.num_classes: must be in [2"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->add_class_names("cat"); }),
              HasSubstr("dataset.class_names[2]: \"cat\" repeated"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_val_fraction(0.5); }),
              HasSubstr("dataset.val_fraction: must be in [0, 0.5)"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_test_fraction(-0.1); }),
              HasSubstr("dataset.test_fraction"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) {
                s->set_val_fraction(0.45);
                s->set_test_fraction(0.45);
              }),
              HasSubstr("val_fraction + test_fraction must be < 0.9"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->add_mean(0.5); }),
              HasSubstr("dataset.std: give dataset.mean and dataset.std together"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) {
                s->add_mean(0.5);
                s->add_std(0.2);
              }),
              HasSubstr("dataset.mean: needs one value per channel (3), got 1"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) {
                for (int i = 0; i < 3; ++i) s->add_mean(0.5);
                s->add_std(0.2);
                s->add_std(0.0);
                s->add_std(0.2);
              }),
              HasSubstr("dataset.std[1]: must be finite and > 0"));
  EXPECT_THAT(refused([](v1::DatasetSpec* s) { s->set_augment("cutout"); }),
              HasSubstr("dataset.augment"));
}

}  // namespace
}  // namespace edgenas
