#include "spaces/nb201/nb201_model.h"

#include <vector>

#include "absl/status/status.h"
#include "common/model/network_util.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr int kNone = 0;
constexpr int kSkip = 1;
constexpr int kConv1 = 2;
constexpr int kConv3 = 3;
constexpr int kPool = 4;

Architecture Arch(std::vector<int> genes) { return Architecture{std::move(genes)}; }

// The defaults with a grayscale input and 10 classes.
Nb201ModelOptions Default() {
  Nb201ModelOptions options;
  options.in_channels = 1;
  options.num_classes = 10;
  return options;
}

torch::Tensor Forward(const Architecture& arch, const Nb201ModelOptions& options,
                      int64_t batch) {
  auto model = BuildNb201Network(arch, options);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  torch::NoGradGuard no_grad;
  model->ptr()->eval();
  return model->forward(torch::randn({batch, options.in_channels, 28, 28}));
}

// Every op, every dead-cell case, and the all-none cell produce [B, classes] logits.
TEST(Nb201Model, ProducesLogitsForAnyArchitecture) {
  const std::vector<Architecture> archs = {
      Arch({kConv3, kConv3, kConv3, kConv3, kConv3, kConv3}),
      Arch({kSkip, kConv1, kPool, kNone, kSkip, kConv3}),
      Arch({kNone, kNone, kNone, kNone, kNone, kNone}),
      Arch({kNone, kNone, kConv3, kNone, kNone, kConv3}),  // node 2 dead: output zero
      Arch({kPool, kPool, kPool, kPool, kPool, kPool}),
  };
  for (const Architecture& arch : archs) {
    const torch::Tensor logits = Forward(arch, Default(), /*batch=*/3);
    ASSERT_TRUE(logits.defined());
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 10}));
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  }
}

// Wider networks, more cells, other input channels and class counts still fit.
TEST(Nb201Model, HonoursOptions) {
  Nb201ModelOptions options = Default();
  options.cells_per_stage = 2;
  options.channels = 8;
  options.in_channels = 3;
  options.num_classes = 7;
  const torch::Tensor logits = Forward(Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3}),
                                       options, /*batch=*/2);
  ASSERT_TRUE(logits.defined());
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 7}));
}

// The stage outputs are the maps at the stage boundaries (widths C, 2C, 4C
// at 28, 14 and 7 pixels) and the logits equal forward's.
TEST(Nb201Model, ForwardStagesKeepsEachStageOutput) {
  Nb201ModelOptions options = Default();
  options.channels = 4;
  options.cells_per_stage = 2;
  auto model = BuildNb201Network(Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3}), options);
  ASSERT_TRUE(model.ok()) << model.status();
  torch::NoGradGuard no_grad;
  model->ptr()->eval();
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  absl::StatusOr<StageForward> out = ForwardStages(*model, x);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->stages.size(), 3u);
  EXPECT_EQ(out->stages[0].sizes(), (std::vector<int64_t>{2, 4, 28, 28}));
  EXPECT_EQ(out->stages[1].sizes(), (std::vector<int64_t>{2, 8, 14, 14}));
  EXPECT_EQ(out->stages[2].sizes(), (std::vector<int64_t>{2, 16, 7, 7}));
  EXPECT_TRUE(torch::allclose(out->logits, model->forward(x)));

  torch::nn::AnyModule other(torch::nn::Linear(3, 2));
  EXPECT_EQ(ForwardStages(other, torch::randn({1, 3})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Convolutions carry parameters, skip connections do not: counts differ.
TEST(Nb201Model, ParameterCountReflectsOperations) {
  auto conv = BuildNb201Network(Arch({kConv3, kConv3, kConv3, kConv3, kConv3, kConv3}), Default());
  auto skip = BuildNb201Network(Arch({kSkip, kSkip, kSkip, kSkip, kSkip, kSkip}), Default());
  ASSERT_TRUE(conv.ok() && skip.ok());
  const int64_t conv_params = CountParameters(*conv->ptr());
  const int64_t skip_params = CountParameters(*skip->ptr());
  EXPECT_GT(skip_params, 0);
  EXPECT_GT(conv_params, skip_params);
  // 6 edges x 3 stages, each conv 3x3 (C*C*9) + BN (2C), C = 16, 32, 64.
  int64_t expected_extra = 0;
  for (int64_t c : {16, 32, 64}) expected_extra += 6 * (c * c * 9 + 2 * c);
  EXPECT_EQ(conv_params - skip_params, expected_extra);
}

// Edges that cannot reach the output or only read a zero node are not built,
// so cells computing the same function have the same parameter count.
TEST(Nb201Model, DeadEdgesCarryNoParameters) {
  // Node 1 has no input: the conv reading it (edge 2<-1) is dead.
  auto with_dead = BuildNb201Network(Arch({kNone, kSkip, kConv3, kNone, kNone, kSkip}), Default());
  auto without = BuildNb201Network(Arch({kNone, kSkip, kNone, kNone, kNone, kSkip}), Default());
  ASSERT_TRUE(with_dead.ok() && without.ok());
  EXPECT_EQ(CountParameters(*with_dead->ptr()), CountParameters(*without->ptr()));
}

// Bad options and malformed architectures are refused naming the field.
TEST(Nb201Model, RefusesBadInput) {
  const Architecture good = Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3});
  Nb201ModelOptions options = Default();
  options.channels = 0;
  auto r = BuildNb201Network(good, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("space.channels"), absl::string_view::npos);

  options = Default();
  options.cells_per_stage = -1;
  r = BuildNb201Network(good, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("space.cells_per_stage"), absl::string_view::npos);

  options = Default();
  options.num_classes = 0;
  EXPECT_EQ(BuildNb201Network(good, options).status().code(),
            absl::StatusCode::kInvalidArgument);

  r = BuildNb201Network(Arch({kConv3, kSkip, kConv1}), Default());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = BuildNb201Network(Arch({kConv3, kSkip, kConv1, kPool, 5, kConv3}), Default());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("genes[4]"), absl::string_view::npos);
}

}  // namespace
}  // namespace edgenas
