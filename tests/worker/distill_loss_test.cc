// Flash distillation losses against values computed by hand.
#include "worker/distill_loss.h"

#include <cmath>

#include <gtest/gtest.h>

namespace edgenas {
namespace {

torch::Tensor Row(std::initializer_list<float> values) {
  return torch::tensor(std::vector<float>(values)).unsqueeze(0);
}

// Student logits [0, 0] (uniform), teacher [ln 3, 0] (0.75 / 0.25), label 0.
TEST(DistillationLoss, MatchesHandComputedValues) {
  const torch::Tensor student = Row({0.0f, 0.0f});
  const torch::Tensor teacher = Row({static_cast<float>(std::log(3.0)), 0.0f});
  const torch::Tensor label = torch::tensor({0}, torch::kInt64);
  // alpha 0: plain cross-entropy, -ln(0.5).
  EXPECT_NEAR(DistillationLoss(student, teacher, label, 0.0, 1.0).item<double>(), std::log(2.0),
              1e-6);
  // alpha 1, T 1: KL(0.75, 0.25 || 0.5, 0.5) = 0.75 ln 1.5 + 0.25 ln 0.5.
  const double kl1 = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
  EXPECT_NEAR(DistillationLoss(student, teacher, label, 1.0, 1.0).item<double>(), kl1, 1e-6);
  // alpha 1, T 2: the teacher softens to sqrt(3) : 1, and the term is scaled by T^2.
  const double p = std::sqrt(3.0) / (std::sqrt(3.0) + 1.0);
  const double kl2 = p * std::log(2.0 * p) + (1.0 - p) * std::log(2.0 * (1.0 - p));
  EXPECT_NEAR(DistillationLoss(student, teacher, label, 1.0, 2.0).item<double>(), 4.0 * kl2, 1e-6);
  // alpha 0.25 mixes the two.
  EXPECT_NEAR(DistillationLoss(student, teacher, label, 0.25, 1.0).item<double>(),
              0.25 * kl1 + 0.75 * std::log(2.0), 1e-6);
}

TEST(DistillationLoss, IsZeroSoftTermWhenStudentMatchesTeacherAndAveragesOverTheBatch) {
  const torch::Tensor logits = torch::tensor({{1.0f, 2.0f, 3.0f}, {0.5f, -1.0f, 0.0f}});
  const torch::Tensor labels = torch::tensor({2, 0}, torch::kInt64);
  EXPECT_NEAR(DistillationLoss(logits, logits, labels, 1.0, 3.0).item<double>(), 0.0, 1e-6);
  // Batch mean: the loss of two identical rows equals the loss of one.
  const torch::Tensor s = Row({0.0f, 0.0f});
  const torch::Tensor t = Row({1.0f, 0.0f});
  const torch::Tensor y = torch::tensor({1}, torch::kInt64);
  EXPECT_NEAR(DistillationLoss(torch::cat({s, s}), torch::cat({t, t}),
                               torch::tensor({1, 1}, torch::kInt64), 0.5, 2.0)
                  .item<double>(),
              DistillationLoss(s, t, y, 0.5, 2.0).item<double>(), 1e-6);
}

TEST(DistillationLoss, GivesTheTeacherNoGradient) {
  torch::Tensor student = Row({0.3f, -0.2f}).requires_grad_(true);
  torch::Tensor teacher = Row({1.0f, 0.0f}).requires_grad_(true);
  DistillationLoss(student, teacher, torch::tensor({0}, torch::kInt64), 0.5, 2.0).backward();
  ASSERT_TRUE(student.grad().defined());
  EXPECT_GT(student.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(teacher.grad().defined());
}

// Maps [1, 2] (one channel, 1x2): student (3, 4) normalises to (0.6, 0.8),
// teacher (1, 0): squared distance 0.16 + 0.64 = 0.8.
TEST(FeatureTransferLoss, MatchesHandComputedValue) {
  const torch::Tensor s = torch::tensor({3.0f, 4.0f}).reshape({1, 1, 1, 2});
  const torch::Tensor t = torch::tensor({1.0f, 0.0f}).reshape({1, 1, 1, 2});
  EXPECT_NEAR(FeatureTransferLoss({s}, {t}).item<double>(), 0.8, 1e-6);
  // Scale-free: any positive multiple of the student map gives the same.
  EXPECT_NEAR(FeatureTransferLoss({s * 10}, {t}).item<double>(), 0.8, 1e-6);
  // Averaged over pairs: (0.8 + 0) / 2.
  EXPECT_NEAR(FeatureTransferLoss({s, t}, {t, t}).item<double>(), 0.4, 1e-6);
  EXPECT_EQ(FeatureTransferLoss({}, {}).item<double>(), 0.0);
}

// Widths that agree pass through; others get a trainable 1x1 convolution
// to the teacher's width, keeping the spatial size.
TEST(FeatureAdapters, ConvolveOnlyWhereWidthsDiffer) {
  FeatureAdapters adapters(std::vector<int64_t>{4, 8, 16}, std::vector<int64_t>{4, 12, 24});
  EXPECT_EQ(adapters->convolutions(), 2);
  EXPECT_EQ(adapters->parameters().size(), 2u);
  const std::vector<torch::Tensor> student = {torch::randn({2, 4, 6, 6}), torch::randn({2, 8, 3, 3}),
                                              torch::randn({2, 16, 2, 2})};
  const std::vector<torch::Tensor> out = adapters->forward(student);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(torch::equal(out[0], student[0]));
  EXPECT_EQ(out[1].sizes(), (std::vector<int64_t>{2, 12, 3, 3}));
  EXPECT_EQ(out[2].sizes(), (std::vector<int64_t>{2, 24, 2, 2}));
  // The loss reaches the adapters' weights.
  FeatureTransferLoss(out, {student[0], torch::randn({2, 12, 3, 3}), torch::randn({2, 24, 2, 2})})
      .backward();
  for (const torch::Tensor& p : adapters->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
}

}  // namespace
}  // namespace edgenas
