// The CLI's image_folder class filling and the YAML form of the dataset's
// image_folder fields, normalised as the coordinator does.
#include "cli/dataset_classes.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/job_spec_yaml.h"
#include "common/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DatasetClassesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("edgenas_cls_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (const char* cls : {"zebra", "ant", "moth"}) {
      std::filesystem::create_directories(root_ / "train" / cls);
      std::ofstream(root_ / "train" / cls / "1.png") << "not decoded here";
    }
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  v1::JobSpec Spec(const std::string& path) {
    v1::JobSpec spec;
    spec.mutable_dataset()->set_name("image_folder");
    spec.mutable_dataset()->set_path(path);
    return spec;
  }
  std::filesystem::path root_;
};

// A readable folder gives the sorted class folder names and their count.
TEST_F(DatasetClassesTest, FillsSortedClassNames) {
  v1::JobSpec spec = Spec(root_.string());
  absl::StatusOr<std::string> line = FillImageFolderClasses(&spec);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_THAT(spec.dataset().class_names(), ElementsAre("ant", "moth", "zebra"));
  EXPECT_EQ(spec.dataset().num_classes(), 3);
  EXPECT_THAT(*line, HasSubstr("3 classes (ant, moth, zebra)"));
}

// A folder not readable here is left to the workers; given names are kept;
// a given count that disagrees with the folder is refused.
TEST_F(DatasetClassesTest, LeavesUnreadableFoldersAndRefusesDisagreement) {
  v1::JobSpec missing = Spec((root_ / "elsewhere").string());
  ASSERT_TRUE(FillImageFolderClasses(&missing).ok());
  EXPECT_EQ(missing.dataset().class_names_size(), 0);
  v1::JobSpec named = Spec(root_.string());
  named.mutable_dataset()->add_class_names("x");
  ASSERT_TRUE(FillImageFolderClasses(&named).ok());
  EXPECT_THAT(named.dataset().class_names(), ElementsAre("x"));
  v1::JobSpec counted = Spec(root_.string());
  counted.mutable_dataset()->set_num_classes(5);
  const absl::Status status = FillImageFolderClasses(&counted).status();
  EXPECT_THAT(std::string(status.message()), HasSubstr("dataset.num_classes: 5 disagrees"));
}

// The YAML keys are the proto field names; the block normalises.
TEST_F(DatasetClassesTest, YamlReadsTheImageFolderFields) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(
      "dataset: {name: image_folder, path: /usr/share/datasets/pets, image_size: 32, "
      "channels: 3, class_names: [cat, dog], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], "
      "val_fraction: 0.2, test_fraction: 0.15, split_seed: 9, augment: none}\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  v1::DatasetSpec dataset = spec->dataset();
  EXPECT_EQ(dataset.image_size(), 32);
  EXPECT_EQ(dataset.split_seed(), 9u);
  ASSERT_TRUE(NormalizeDatasetSpec(&dataset).ok());
  EXPECT_EQ(dataset.num_classes(), 2);
  EXPECT_EQ(dataset.height(), 32);
  EXPECT_EQ(dataset.augment(), "none");
  EXPECT_DOUBLE_EQ(dataset.test_fraction(), 0.15);
  EXPECT_FALSE(ParseJobSpecYaml("dataset: {name: image_folder, image_sise: 32}\n").ok());
}

}  // namespace
}  // namespace edgenas
