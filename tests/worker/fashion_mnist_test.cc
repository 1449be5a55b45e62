#include "worker/fashion_mnist.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using Bytes = std::vector<uint8_t>;

void PutBigEndian32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// An IDX3 file of `count` images of rows x cols; pixel i is i % 256.
Bytes ImagesIdx(uint32_t count, uint32_t rows, uint32_t cols, uint32_t magic = 0x803) {
  Bytes out;
  PutBigEndian32(out, magic);
  PutBigEndian32(out, count);
  PutBigEndian32(out, rows);
  PutBigEndian32(out, cols);
  for (uint64_t i = 0; i < uint64_t{count} * rows * cols; ++i) out.push_back(i % 256);
  return out;
}

// An IDX1 file whose label i is i % 10.
Bytes LabelsIdx(uint32_t count, uint32_t magic = 0x801) {
  Bytes out;
  PutBigEndian32(out, magic);
  PutBigEndian32(out, count);
  for (uint32_t i = 0; i < count; ++i) out.push_back(i % 10);
  return out;
}

class FashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("edgenas_fmnist_", info->name(), "_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WritePlain(const std::string& name, const Bytes& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return path;
  }
  std::string WriteGz(const std::string& name, const Bytes& bytes) {
    const std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, bytes.data(), bytes.size()), static_cast<int>(bytes.size()));
    gzclose(f);
    return path;
  }

  std::filesystem::path dir_;
};

// Gzipped and plain files read back to the same pixels and labels.
TEST_F(FashionMnistTest, ReadsGzippedAndPlainFiles) {
  const Bytes images = ImagesIdx(3, 4, 5);
  for (const std::string& path :
       {WriteGz("img.gz", images), WritePlain("img", images)}) {
    auto t = ReadIdxImages(path);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->sizes(), (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(t->scalar_type(), torch::kUInt8);
    EXPECT_EQ(t->flatten()[59].item<int>(), 59);
  }
  for (const std::string& path :
       {WriteGz("lab.gz", LabelsIdx(12)), WritePlain("lab", LabelsIdx(12))}) {
    auto t = ReadIdxLabels(path);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->scalar_type(), torch::kInt64);
    ASSERT_EQ(t->size(0), 12);
    EXPECT_EQ((*t)[11].item<int64_t>(), 1);
  }
}

// Wrong magic, short payload, trailing bytes and bad labels are DATA_LOSS
// naming the file; a missing file is NOT_FOUND naming it.
TEST_F(FashionMnistTest, RefusesMalformedFilesNamingThem) {
  const std::string bad_magic = WriteGz("magic.gz", ImagesIdx(2, 3, 3, /*magic=*/0x801));
  auto r = ReadIdxImages(bad_magic);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(bad_magic), absl::string_view::npos);
  EXPECT_NE(r.status().message().find("magic"), absl::string_view::npos);

  Bytes truncated = ImagesIdx(2, 3, 3);
  truncated.resize(truncated.size() - 1);
  const std::string short_path = WriteGz("short.gz", truncated);
  r = ReadIdxImages(short_path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(short_path), absl::string_view::npos);
  EXPECT_NE(r.status().message().find("truncated"), absl::string_view::npos);

  Bytes header_only = ImagesIdx(2, 3, 3);
  header_only.resize(10);
  r = ReadIdxImages(WritePlain("header", header_only));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);

  Bytes trailing = LabelsIdx(4);
  trailing.push_back(0);
  auto labels = ReadIdxLabels(WritePlain("trailing", trailing));
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kDataLoss);

  Bytes bad_label = LabelsIdx(4);
  bad_label.back() = 10;
  labels = ReadIdxLabels(WritePlain("badlabel", bad_label));
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(labels.status().message().find("index 3"), absl::string_view::npos);

  const std::string missing = (dir_ / "missing.gz").string();
  labels = ReadIdxLabels(missing);
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(labels.status().message().find(missing), absl::string_view::npos);

  // A corrupt gzip stream (valid header, garbage body).
  Bytes gz_garbage = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
  r = ReadIdxImages(WritePlain("garbage.gz", gz_garbage));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

// A directory of four small files loads normalised [N,1,28,28] images, and a
// count mismatch between images and labels is refused.
TEST_F(FashionMnistTest, LoadsDirectoryAndSplitsValidationFromTheEnd) {
  WriteGz("train-images-idx3-ubyte.gz", ImagesIdx(10, 28, 28));
  WriteGz("train-labels-idx1-ubyte.gz", LabelsIdx(10));
  WritePlain("t10k-images-idx3-ubyte", ImagesIdx(4, 28, 28));  // plain fallback
  WritePlain("t10k-labels-idx1-ubyte", LabelsIdx(4));
  auto data = LoadFashionMnist(dir_.string());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.sizes(), (std::vector<int64_t>{10, 1, 28, 28}));
  EXPECT_EQ(data->train.images.scalar_type(), torch::kFloat32);
  EXPECT_EQ(data->test.size(), 4);
  // Pixel 0 is 0: normalised to -mean/std.
  EXPECT_NEAR(data->train.images[0][0][0][0].item<double>(),
              -kFashionMnistMean / kFashionMnistStd, 1e-5);

  auto split = SplitValidation(data->train, 3);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->train.size(), 7);
  EXPECT_EQ(split->validation.size(), 3);
  EXPECT_TRUE(torch::equal(split->validation.labels, data->train.labels.narrow(0, 7, 3)));
  EXPECT_EQ(SplitValidation(data->train, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitValidation(data->train, 0).status().code(), absl::StatusCode::kInvalidArgument);

  WriteGz("train-labels-idx1-ubyte.gz", LabelsIdx(9));
  auto mismatch = LoadFashionMnist(dir_.string());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kDataLoss);
}

// A directory without the files is NOT_FOUND, and the failure is not cached.
TEST_F(FashionMnistTest, MissingDirectoryIsNotFoundAndNotCached) {
  auto first = LoadFashionMnistCached(dir_.string());
  EXPECT_EQ(first.status().code(), absl::StatusCode::kNotFound);
  WriteGz("train-images-idx3-ubyte.gz", ImagesIdx(2, 28, 28));
  WriteGz("train-labels-idx1-ubyte.gz", LabelsIdx(2));
  WriteGz("t10k-images-idx3-ubyte.gz", ImagesIdx(1, 28, 28));
  WriteGz("t10k-labels-idx1-ubyte.gz", LabelsIdx(1));
  auto second = LoadFashionMnistCached(dir_.string());
  ASSERT_TRUE(second.ok()) << second.status();
  auto third = LoadFashionMnistCached(dir_.string());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(second->get(), third->get());  // loaded once
}

// The installed dataset (Debian's dataset-fashion-mnist) has the official shape.
TEST(FashionMnistRealData, LoadsInstalledDataset) {
  if (!std::filesystem::exists(kDefaultFashionMnistDir)) {
    GTEST_SKIP() << kDefaultFashionMnistDir << " not installed";
  }
  auto data = LoadFashionMnistCached(kDefaultFashionMnistDir);
  ASSERT_TRUE(data.ok()) << data.status();
  const FashionMnist& d = **data;
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(d.train.labels.sizes(), (std::vector<int64_t>{60000}));
  EXPECT_EQ(d.test.size(), 10000);
  EXPECT_GE(d.train.labels.min().item<int64_t>(), 0);
  EXPECT_LE(d.train.labels.max().item<int64_t>(), 9);
  // Normalisation: roughly zero mean and unit variance over the training set.
  EXPECT_NEAR(d.train.images.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(d.train.images.std().item<double>(), 1.0, 0.02);
}

}  // namespace
}  // namespace edgenas
