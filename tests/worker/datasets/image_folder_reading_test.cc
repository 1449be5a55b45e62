// Reading image folders: JPEG and PNG, gray and RGB, odd sizes, the centre
// crop, the seeded stratified split, the normalization, the CSV form, and
// the decoded cache with its invalidation when a file changes.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/job_fatal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/worker/datasets/image_folder_fixture.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// PNG and JPEG, RGB, odd sizes (37x23, 23x37): decoded to RGB planes of the
// requested side; val/ and test/ folders are used as given.
TEST_F(ImageFolderTest, ReadsJpegAndPngInRgbAtOddSizes) {
  WriteSolid("train/cat/1.png", 37, 23, cv::Scalar(50, 10, 200));  // BGR: red-ish
  WriteSolid("train/cat/2.jpg", 23, 37, cv::Scalar(50, 10, 200));
  WriteSolid("train/dog/1.png", 37, 23, cv::Scalar(200, 100, 0));  // blue-ish
  WriteSolid("train/dog/2.JPEG", 41, 29, cv::Scalar(200, 100, 0));
  WriteSolid("val/cat/1.png", 37, 23, cv::Scalar(50, 10, 200));
  WriteSolid("val/dog/1.png", 37, 23, cv::Scalar(200, 100, 0));
  WriteSolid("test/cat/1.jpg", 37, 23, cv::Scalar(50, 10, 200));
  WriteSolid("test/dog/1.jpg", 37, 23, cv::Scalar(200, 100, 0));
  auto opened = OpenImageFolderDataset(Request(/*size=*/16, /*channels=*/3));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const OpenedDataset& d = **opened;
  EXPECT_THAT(d.card.class_names, ElementsAre("cat", "dog"));
  EXPECT_EQ(d.train.size(), 4);
  EXPECT_EQ(d.validation.size(), 2);
  EXPECT_EQ(d.test.size(), 2);
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{4, 3, 16, 16}));
  EXPECT_EQ(d.train.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(d.card.split, "folders val/ and test/");
  EXPECT_EQ(d.card.upscaled, 0);
  // Training rows in path order: cat/1.png, cat/2.jpg, dog/1.png, dog/2.JPEG.
  EXPECT_EQ(d.train.labels[0].item<int64_t>(), 0);
  EXPECT_EQ(d.train.labels[3].item<int64_t>(), 1);
  // The PNG's pixels exactly, in R, G, B order.
  EXPECT_EQ(d.train.images[0][0][8][8].item<int>(), 200);
  EXPECT_EQ(d.train.images[0][1][8][8].item<int>(), 10);
  EXPECT_EQ(d.train.images[0][2][8][8].item<int>(), 50);
  // The JPEG's within its compression error.
  EXPECT_NEAR(d.train.images[1][0][8][8].item<int>(), 200, 8);
  EXPECT_NEAR(d.train.images[1][2][8][8].item<int>(), 50, 8);
  EXPECT_NEAR(d.train.images[2][2][8][8].item<int>(), 200, 8);
}

// Grayscale: an RGB file is converted; a gray PNG read as it is; images
// smaller than image_size are upscaled and counted.
TEST_F(ImageFolderTest, ReadsGrayAndUpscalesSmallImages) {
  WriteGray("train/a/1.png", 13, 9, 77);
  WriteSolid("train/b/1.jpg", 37, 23, cv::Scalar(255, 255, 255));
  WriteGray("val/a/1.png", 40, 40, 77);
  WriteGray("val/b/1.png", 40, 40, 200);
  WriteGray("test/a/1.png", 40, 40, 77);
  WriteGray("test/b/1.png", 40, 40, 200);
  auto opened = OpenImageFolderDataset(Request(/*size=*/16, /*channels=*/1));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const OpenedDataset& d = **opened;
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{2, 1, 16, 16}));
  EXPECT_EQ(d.train.images[0][0][5][5].item<int>(), 77);
  EXPECT_NEAR(d.train.images[1][0][5][5].item<int>(), 255, 3);
  EXPECT_EQ(d.card.upscaled, 1);  // the 13x9 one
}

// The shorter side is resized and the longer one centre-cropped: a 40x20
// image whose middle half is white and outer quarters black, at side 10,
// keeps only the white middle.
TEST_F(ImageFolderTest, ResizesTheShorterSideAndCropsTheCentre) {
  cv::Mat image(20, 40, CV_8UC1, cv::Scalar(0));
  image(cv::Rect(10, 0, 20, 20)).setTo(cv::Scalar(255));
  std::filesystem::create_directories(root_ / "train/a");
  ASSERT_TRUE(cv::imwrite(Path("train/a/wide.png"), image));
  WriteGray("train/b/1.png", 20, 20, 0);
  WriteGray("val/a/1.png", 20, 20, 0);
  WriteGray("val/b/1.png", 20, 20, 0);
  WriteGray("test/a/1.png", 20, 20, 0);
  WriteGray("test/b/1.png", 20, 20, 0);
  auto opened = OpenImageFolderDataset(Request(/*size=*/10, /*channels=*/1));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const torch::Tensor wide = (*opened)->train.images[0][0];
  EXPECT_EQ(wide.min().item<int>(), 255) << wide;
}

// Without val/ and test/: a split of train/ that is stratified (every class
// in every part), the same for the same seed and another for another seed.
TEST_F(ImageFolderTest, SplitsTrainSeededAndStratified) {
  WriteClasses("train", 20, 12, 12);
  DatasetRequest request = Request(/*size=*/8);
  auto first = OpenImageFolderDataset(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->train.size(), 32);
  EXPECT_EQ((*first)->validation.size(), 4);
  EXPECT_EQ((*first)->test.size(), 4);
  EXPECT_EQ((*first)->validation.labels.sum().item<int64_t>(), 2);  // two of each class
  EXPECT_EQ((*first)->test.labels.sum().item<int64_t>(), 2);
  EXPECT_THAT((*first)->card.split, HasSubstr("seeded stratified split"));
  ClearImageFolderCache();
  auto again = OpenImageFolderDataset(request);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(torch::equal((*first)->validation.images, (*again)->validation.images));
  request.plan.split_seed = 12345;
  auto other = OpenImageFolderDataset(request);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(torch::equal((*first)->validation.images, (*other)->validation.images));
}

// Mean and std come from the training split, or from the spec when given,
// and travel with every split for per-batch normalization.
TEST_F(ImageFolderTest, NormalizationFromTheTrainingSplitOrTheSpec) {
  for (int i = 0; i < 3; ++i) {
    WriteGray("train/a/" + std::to_string(i) + ".png", 10, 10, 0);
    WriteGray("train/b/" + std::to_string(i) + ".png", 10, 10, 255);
  }
  WriteGray("val/a/1.png", 10, 10, 255);  // not counted in the statistics
  WriteGray("val/b/1.png", 10, 10, 255);
  WriteGray("test/a/1.png", 10, 10, 255);
  WriteGray("test/b/1.png", 10, 10, 255);
  auto opened = OpenImageFolderDataset(Request(/*size=*/8));
  ASSERT_TRUE(opened.ok()) << opened.status();
  const OpenedDataset& d = **opened;
  ASSERT_EQ(d.card.mean.size(), 1u);
  EXPECT_NEAR(d.card.mean[0], 0.5, 1e-9);
  EXPECT_NEAR(d.card.std[0], 0.5, 1e-9);
  EXPECT_THAT(d.card.normalization_source, HasSubstr("train split (6 images)"));
  const torch::Tensor x = InputRange(d.validation, 0, 1, torch::kCPU);
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(x.max().item<double>(), 1.0, 1e-6);  // (1 - 0.5) / 0.5
  DatasetRequest given = Request(/*size=*/8);
  given.plan.mean = {0.25};
  given.plan.std = {0.5};
  auto with_spec = OpenImageFolderDataset(given);
  ASSERT_TRUE(with_spec.ok()) << with_spec.status();
  EXPECT_EQ((*with_spec)->card.normalization_source, "spec");
  EXPECT_NEAR(InputRange((*with_spec)->validation, 0, 1, torch::kCPU).max().item<double>(), 1.5,
              1e-6);
}

// A second open of unchanged files decodes nothing; changing one file
// (content and mtime) is seen at the next open, which decodes again.
TEST_F(ImageFolderTest, CachesDecodedImagesUntilAFileChanges) {
  WriteClasses("train", 5, 12, 12);
  const DatasetRequest request = Request(/*size=*/8);
  auto first = OpenImageFolderDataset(request);
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t decoded = ImageFolderImagesDecoded();
  auto second = OpenImageFolderDataset(request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ImageFolderImagesDecoded(), decoded);
  EXPECT_EQ(first->get(), second->get());

  WriteGray("train/a/0.png", 12, 12, 123);
  struct timespec times[2] = {{0, UTIME_OMIT}, {2000000000, 0}};  // a later mtime
  ASSERT_EQ(::utimensat(AT_FDCWD, Path("train/a/0.png").c_str(), times, 0), 0);
  auto third = OpenImageFolderDataset(request);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(ImageFolderImagesDecoded(), decoded + 10);
  EXPECT_NE((*third)->card.fingerprint, (*first)->card.fingerprint);
  const torch::Tensor all =
      torch::cat({(*third)->train.images, (*third)->validation.images, (*third)->test.images});
  EXPECT_TRUE(all.eq(123).any().item<bool>());
}

// The CSV form: "path,label" lines relative to the CSV's folder (a header
// line allowed); classes are the sorted labels.
TEST_F(ImageFolderTest, ReadsACsvOfPathsAndLabels) {
  std::ofstream csv(root_ / "labels.csv");
  csv << "path,label\n";
  for (int i = 0; i < 4; ++i) {
    WriteGray("img/s" + std::to_string(i) + ".png", 11, 11, 30);
    WriteGray("img/t" + std::to_string(i) + ".jpg", 11, 11, 220);
    csv << "img/s" << i << ".png,shoe\n"
        << "img/t" << i << ".jpg,tshirt\n";
  }
  csv.close();
  DatasetRequest request = Request(/*size=*/8);
  request.plan.path = Path("labels.csv");
  auto opened = OpenImageFolderDataset(request);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT((*opened)->card.class_names, ElementsAre("shoe", "tshirt"));
  EXPECT_EQ((*opened)->train.size() + (*opened)->validation.size() + (*opened)->test.size(), 8);
  EXPECT_EQ((*opened)->validation.size(), 2);
  EXPECT_THAT((*opened)->card.split, HasSubstr("the CSV"));
}

// The registry opens image_folder by name and refuses unknown names.
TEST_F(ImageFolderTest, RegistryOpensByName) {
  WriteClasses("train", 3, 10, 10);
  EXPECT_TRUE(OpenDataset(Request(/*size=*/8)).ok());
  DatasetRequest unknown = Request();
  unknown.plan.name = "imagenet";
  const absl::Status status = OpenDataset(unknown).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("dataset.name"));
}

}  // namespace
}  // namespace edgenas
