// The dataset registry: a job's dataset block is filled with its input
// shape, a shape the dataset cannot give is refused naming the field, and a
// job stored before the shape travelled (fields at 0) still resolves.
#include "common/datasets.h"

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
              HasSubstr("dataset.name: unknown dataset \"cifar11\"; known: fashion_mnist"));
}

}  // namespace
}  // namespace edgenas
