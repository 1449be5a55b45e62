// Bad image folders: every case is refused when the dataset is opened, as a
// job-fatal error naming the file, folder or CSV line; all problems are
// collected (the first 20 named, then a count) before failing.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/job_fatal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/worker/datasets/image_folder_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class BadImageFolderTest : public ImageFolderTest {
 protected:
  // Opens the folder and returns the error, checking it is job-fatal.
  std::string OpenError(const DatasetRequest& request) {
    auto opened = OpenImageFolderDataset(request);
    EXPECT_FALSE(opened.ok());
    if (opened.ok()) return "";
    EXPECT_TRUE(IsJobFatal(opened.status())) << opened.status();
    return std::string(opened.status().message());
  }
  std::string OpenError() { return OpenError(Request(/*size=*/8)); }
};

// A file with an image's name but other bytes.
TEST_F(BadImageFolderTest, CorruptImageIsNamed) {
  WriteClasses("train", 3);
  WriteBytes("train/a/fake.jpg", "this is not a jpeg at all");
  EXPECT_THAT(OpenError(), HasSubstr("train/a/fake.jpg: not a JPEG or PNG image"));
}

// A PNG with a valid header but garbage after it.
TEST_F(BadImageFolderTest, CorruptPngBodyIsNamed) {
  WriteClasses("train", 3);
  std::string png = ReadBytes("train/a/0.png");
  for (size_t i = 40; i + 20 < png.size(); ++i) png[i] = static_cast<char>(i * 7);
  WriteBytes("train/a/0.png", png);
  EXPECT_THAT(OpenError(), HasSubstr("train/a/0.png: corrupt image"));
}

// PNG and JPEG files cut short are caught, though OpenCV would pad them.
TEST_F(BadImageFolderTest, TruncatedPngAndJpegAreNamed) {
  WriteClasses("train", 3);
  WriteSolid("train/b/photo.jpg", 64, 48, cv::Scalar(10, 200, 30));
  const std::string png = ReadBytes("train/a/0.png");
  WriteBytes("train/a/0.png", png.substr(0, png.size() / 2));
  const std::string jpg = ReadBytes("train/b/photo.jpg");
  WriteBytes("train/b/photo.jpg", jpg.substr(0, jpg.size() * 2 / 3));
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr("train/a/0.png: truncated PNG"));
  EXPECT_THAT(error, HasSubstr("train/b/photo.jpg: truncated JPEG"));
  EXPECT_THAT(error, HasSubstr("(2 problems)"));
}

// A file that is not an image by its name.
TEST_F(BadImageFolderTest, NonImageFileIsNamed) {
  WriteClasses("train", 3);
  WriteBytes("train/b/notes.txt", "hello");
  EXPECT_THAT(OpenError(), HasSubstr("train/b/notes.txt: not an image file"));
}

TEST_F(BadImageFolderTest, EmptyClassFolderIsNamed) {
  WriteClasses("train", 3);
  std::filesystem::create_directories(root_ / "train/c");
  EXPECT_THAT(OpenError(), HasSubstr("train/c: empty class folder"));
}

TEST_F(BadImageFolderTest, SingleClassIsRefused) {
  for (int i = 0; i < 4; ++i) WriteGray("train/only/" + std::to_string(i) + ".png", 9, 9, i);
  EXPECT_THAT(OpenError(), HasSubstr("a single class (\"only\")"));
}

TEST_F(BadImageFolderTest, ClassesDifferingBetweenTrainAndValAreNamed) {
  WriteClasses("train", 3);
  WriteGray("val/a/1.png", 9, 9, 1);
  WriteGray("val/c/1.png", 9, 9, 1);
  EXPECT_THAT(OpenError(), HasSubstr("val: classes [a, c] differ from train/'s [a, b]"));
}

// The job's class names (filled by the CLI) must match the folder's.
TEST_F(BadImageFolderTest, ClassesDifferingFromTheSpecAreRefused) {
  WriteClasses("train", 3);
  DatasetRequest request = Request(/*size=*/8);
  request.plan.class_names = {"a", "z"};
  EXPECT_THAT(OpenError(request), HasSubstr("differ from the job's dataset.class_names [a, z]"));
}

TEST_F(BadImageFolderTest, MissingTrainFolderIsRefused) {
  WriteGray("val/a/1.png", 9, 9, 1);
  EXPECT_THAT(OpenError(), HasSubstr("no train/ folder"));
}

TEST_F(BadImageFolderTest, MissingPathIsRefused) {
  DatasetRequest request = Request(/*size=*/8);
  request.plan.path = Path("nowhere");
  EXPECT_THAT(OpenError(request), HasSubstr("nowhere: no such file or folder"));
}

// A class folder the worker cannot list (not testable as root, who reads
// everything).
TEST_F(BadImageFolderTest, UnreadableFolderIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads folders whatever their mode";
  WriteClasses("train", 3);
  std::filesystem::permissions(root_ / "train/b", std::filesystem::perms::none);
  const std::string error = OpenError();
  std::filesystem::permissions(root_ / "train/b", std::filesystem::perms::owner_all);
  EXPECT_THAT(error, HasSubstr("train/b: cannot read folder"));
}

// The folder, and every file (a CSV may point anywhere), must lie inside
// the worker's data roots.
TEST_F(BadImageFolderTest, PathsOutsideTheDataRootsAreRefused) {
  WriteClasses("train", 3);
  DatasetRequest request = Request(/*size=*/8);
  request.data_roots = {"/usr/share/datasets"};
  EXPECT_THAT(OpenError(request), HasSubstr("outside this worker's data roots"));

  const std::filesystem::path outside = root_.string() + "_outside";
  std::filesystem::create_directories(outside);
  cv::imwrite((outside / "x.png").string(), cv::Mat(9, 9, CV_8UC1, cv::Scalar(5)));
  std::ofstream csv(root_ / "list.csv");
  csv << "train/a/0.png,a\ntrain/a/1.png,a\ntrain/a/2.png,a\ntrain/b/0.png,b\ntrain/b/1.png,b\n"
      << "train/b/2.png,b\n../" << outside.filename().string() << "/x.png,b\n";
  csv.close();
  request.plan.path = Path("list.csv");
  request.data_roots = {root_.string()};
  const std::string error = OpenError(request);
  std::filesystem::remove_all(outside);
  EXPECT_THAT(error, HasSubstr("x.png: outside the worker's data roots"));
}

// CSV lines without a label, or naming missing files, are named by line.
TEST_F(BadImageFolderTest, BadCsvLinesAreNamedByLineNumber) {
  WriteClasses("train", 3);
  std::ofstream csv(root_ / "list.csv");
  csv << "path,label\ntrain/a/0.png,a\ntrain/b/0.png\ntrain/b/1.png,b\nmissing.png,b\n";
  csv.close();
  DatasetRequest request = Request(/*size=*/8);
  request.plan.path = Path("list.csv");
  const std::string error = OpenError(request);
  EXPECT_THAT(error, HasSubstr("list.csv:3: expected \"path,label\""));
  EXPECT_THAT(error, HasSubstr("list.csv:5: "));
  EXPECT_THAT(error, HasSubstr("missing.png: no such file"));
}

// All problems are found before failing; the message names the first 20
// and counts the rest.
TEST_F(BadImageFolderTest, ListsTheFirstTwentyProblemsAndCountsTheRest) {
  WriteClasses("train", 3);
  for (int i = 0; i < 25; ++i) {
    WriteBytes("train/a/bad" + std::to_string(100 + i) + ".png", "junk");
  }
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr("(25 problems)"));
  EXPECT_THAT(error, HasSubstr("bad100.png"));
  EXPECT_THAT(error, HasSubstr("bad119.png"));
  EXPECT_THAT(error, Not(HasSubstr("bad120.png")));
  EXPECT_THAT(error, HasSubstr("and 5 more"));
}

}  // namespace
}  // namespace edgenas
