// Writes small image folders for the image_folder tests: real JPEG and PNG
// files made with OpenCV, in a fresh temporary folder removed afterwards.
#ifndef EDGENAS_TESTS_WORKER_DATASETS_IMAGE_FOLDER_FIXTURE_H_
#define EDGENAS_TESTS_WORKER_DATASETS_IMAGE_FOLDER_FIXTURE_H_

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "worker/datasets/dataset.h"
#include "worker/datasets/image_folder_dataset.h"

namespace edgenas {

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("edgenas_if_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    ClearImageFolderCache();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string Path(const std::string& relative) const { return (root_ / relative).string(); }

  // Writes a solid BGR colour image (w x h) at `relative` (.png or .jpg).
  std::string WriteSolid(const std::string& relative, int w, int h, cv::Scalar bgr) {
    const std::filesystem::path p = root_ / relative;
    std::filesystem::create_directories(p.parent_path());
    cv::Mat image(h, w, CV_8UC3, bgr);
    EXPECT_TRUE(cv::imwrite(p.string(), image)) << p;
    return p.string();
  }
  // Writes a grayscale image of `value` (w x h).
  std::string WriteGray(const std::string& relative, int w, int h, int value) {
    const std::filesystem::path p = root_ / relative;
    std::filesystem::create_directories(p.parent_path());
    cv::Mat image(h, w, CV_8UC1, cv::Scalar(value));
    EXPECT_TRUE(cv::imwrite(p.string(), image)) << p;
    return p.string();
  }
  void WriteBytes(const std::string& relative, const std::string& bytes) {
    const std::filesystem::path p = root_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
  }
  std::string ReadBytes(const std::string& relative) {
    std::ifstream in(root_ / relative, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // `n` images per class (a: dark, b: bright) under `split`/.
  void WriteClasses(const std::string& split, int n, int w = 20, int h = 20) {
    for (int i = 0; i < n; ++i) {
      WriteGray(split + "/a/" + std::to_string(i) + ".png", w, h, 10 + i);
      WriteGray(split + "/b/" + std::to_string(i) + ".png", w, h, 240 - i);
    }
  }

  DatasetRequest Request(int size = 16, int channels = 1) const {
    DatasetRequest r;
    r.plan.name = "image_folder";
    r.plan.path = root_.string();
    r.plan.image_size = size;
    r.plan.channels = channels;
    r.plan.val_fraction = 0.1;
    r.plan.test_fraction = 0.1;
    r.plan.augment = "crop_flip";
    return r;
  }

  std::filesystem::path root_;
};

}  // namespace edgenas

#endif  // EDGENAS_TESTS_WORKER_DATASETS_IMAGE_FOLDER_FIXTURE_H_
