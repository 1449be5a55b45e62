// Crop-and-flip augmentation, per-batch normalization of uint8 images and
// the stratified split on plain labels.
#include <set>

#include "gtest/gtest.h"
#include "worker/datasets/augment.h"
#include "worker/datasets/labeled_data.h"
#include "worker/datasets/stratified_split.h"

namespace edgenas {
namespace {

// The same seed gives the same crops and flips; another seed other ones.
TEST(CropFlipAugmenter, IsDeterministicForASeed) {
  const torch::Tensor x = torch::arange(2 * 3 * 16 * 16, torch::kFloat32).view({2, 3, 16, 16});
  CropFlipAugmenter a(7), b(7), c(8);
  const torch::Tensor ya = a.Apply(x);
  EXPECT_TRUE(torch::equal(ya, b.Apply(x)));
  EXPECT_FALSE(torch::equal(ya, c.Apply(x)));
  EXPECT_EQ(ya.sizes(), x.sizes());
}

// Every output is a window of the zero-padded image (pad = side / 8),
// flipped or not; over many draws both flips and several offsets occur.
TEST(CropFlipAugmenter, CropsThePaddedImageAndFlips) {
  const int64_t side = 16, pad = 2;
  const torch::Tensor x = torch::rand({1, 1, side, side}) + 1.0f;  // no zeros inside
  const torch::Tensor padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
  CropFlipAugmenter augmenter(3);
  std::set<std::tuple<int64_t, int64_t, bool>> seen;
  for (int draw = 0; draw < 200; ++draw) {
    const torch::Tensor y = augmenter.Apply(x)[0];
    bool found = false;
    for (int64_t dy = 0; dy <= 2 * pad && !found; ++dy) {
      for (int64_t dx = 0; dx <= 2 * pad && !found; ++dx) {
        const torch::Tensor window = padded[0].narrow(1, dy, side).narrow(2, dx, side);
        for (bool flip : {false, true}) {
          if (torch::equal(y, flip ? window.flip({2}) : window)) {
            seen.insert({dy, dx, flip});
            found = true;
            break;
          }
        }
      }
    }
    ASSERT_TRUE(found) << "draw " << draw << " is no padded crop of the input";
  }
  std::set<bool> flips;
  for (const auto& s : seen) flips.insert(std::get<2>(s));
  EXPECT_EQ(flips.size(), 2u);
  EXPECT_GT(seen.size(), 10u);
}

// uint8 images are normalised per channel: (pixel / 255 - mean) / std;
// float images pass through unchanged.
TEST(LabeledData, NormalizesUint8PerChannel) {
  LabeledData data;
  data.images = torch::full({2, 2, 3, 3}, 255, torch::kUInt8);
  data.images.select(1, 1).fill_(0);
  data.labels = torch::zeros({2}, torch::kInt64);
  data.mean = {0.5, 0.25};
  data.std = {0.5, 0.25};
  const torch::Tensor x = InputRange(data, 0, 2, torch::kCPU);
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(x[0][0][0][0].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(x[1][1][2][2].item<double>(), -1.0, 1e-6);
  const torch::Tensor f = torch::randn({2, 1, 3, 3});
  LabeledData floats{f, data.labels, {}, {}};
  EXPECT_TRUE(torch::equal(InputRange(floats, 0, 2, torch::kCPU), f));
}

// Each class gives its share to validation and test; same seed, same split.
TEST(StratifiedSplit, KeepsClassProportionsAndIsSeeded) {
  std::vector<int> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(0);
  for (int i = 0; i < 10; ++i) labels.push_back(1);
  const SplitIndices s = StratifiedSplit(labels, 2, 0.1, 0.2, /*seed=*/5);
  EXPECT_EQ(s.validation.size(), 3u + 1u);
  EXPECT_EQ(s.test.size(), 6u + 2u);
  EXPECT_EQ(s.train.size() + s.validation.size() + s.test.size(), 40u);
  int class1 = 0;
  for (int64_t i : s.validation) class1 += labels[i];
  EXPECT_EQ(class1, 1);
  const SplitIndices again = StratifiedSplit(labels, 2, 0.1, 0.2, /*seed=*/5);
  EXPECT_EQ(again.validation, s.validation);
  EXPECT_NE(StratifiedSplit(labels, 2, 0.1, 0.2, /*seed=*/6).validation, s.validation);
}

}  // namespace
}  // namespace edgenas
