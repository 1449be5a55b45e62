// Zero-cost proxies (worker/zero_cost/): synflow of a hand-built network
// against a hand-computed value, determinism for a fixed seed, unknown
// proxies refused by name, the all-"none" NB201 cell.
#include "worker/zero_cost/zero_cost.h"

#include <limits>
#include <string>

#include <torch/torch.h>

#include "gtest/gtest.h"

namespace edgenas {
namespace {

SpaceConfig Nb201(int channels, int cells) {
  SpaceConfig space;
  space.name = "nb201";
  space.options = {{"channels", std::to_string(channels)},
                   {"cells_per_stage", std::to_string(cells)}};
  return space;
}

// Flatten -> l1 -> l2, storable in an AnyModule (Sequential is not).
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl(torch::nn::Linear a, torch::nn::Linear b)
      : l1(register_module("l1", a)), l2(register_module("l2", b)) {}
  torch::Tensor forward(const torch::Tensor& x) { return l2(l1(x.flatten(1))); }
  torch::nn::Linear l1;
  torch::nn::Linear l2;
};
TORCH_MODULE(TinyNet);

constexpr char kConvArch[] =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|";
constexpr char kNoneArch[] = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

TEST(ZeroCostTest, SynflowOfTinyLinearNetMatchesHandComputedValue) {
  // Flatten -> Linear(4, 2) -> Linear(2, 1), no biases. With an all-ones
  // input and |W|: s_j = sum_i |W1_ji| = (6.5, 4), R = sum_j |W2_j| s_j =
  // 1 * 6.5 + 2 * 4 = 14.5, and sum |theta * dR/dtheta| = 2R = 29.
  torch::nn::Linear l1(torch::nn::LinearOptions(4, 2).bias(false));
  torch::nn::Linear l2(torch::nn::LinearOptions(2, 1).bias(false));
  {
    torch::NoGradGuard no_grad;
    l1->weight.copy_(torch::tensor({{1.0, -2.0, 3.0, 0.5}, {0.0, 1.0, -1.0, 2.0}}));
    l2->weight.copy_(torch::tensor({{-1.0, 2.0}}));
  }
  torch::nn::AnyModule model(TinyNet(l1, l2));
  auto score = SynflowScore(model, InputShape{1, 2, 2, 1});
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_NEAR(*score, 29.0, 1e-9);
}

TEST(ZeroCostTest, ScoresAreDeterministicForAFixedSeed) {
  ZeroCostRequest request;
  request.space = Nb201(4, 1);
  request.arch = kConvArch;
  request.input = InputShape{3, 8, 8, 10};
  request.seed = 7;
  request.batch = 4;
  for (const std::string& proxy : ZeroCostProxyNames()) {
    auto a = ZeroCostScore(proxy, request);
    auto b = ZeroCostScore(proxy, request);
    ASSERT_TRUE(a.ok()) << proxy << ": " << a.status();
    ASSERT_TRUE(b.ok()) << proxy << ": " << b.status();
    EXPECT_EQ(*a, *b) << proxy;
    EXPECT_GT(*a, std::numeric_limits<double>::lowest()) << proxy;
  }
}

TEST(ZeroCostTest, UnknownProxyIsRefusedNamingTheField) {
  ZeroCostRequest request;
  request.space = Nb201(4, 1);
  request.arch = kConvArch;
  request.input = InputShape{3, 8, 8, 10};
  auto score = ZeroCostScore("zen", request);
  ASSERT_FALSE(score.ok());
  EXPECT_EQ(score.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(score.status().message().find("proxy:"), absl::string_view::npos)
      << score.status();
  EXPECT_NE(score.status().message().find("synflow"), absl::string_view::npos)
      << score.status();
}

TEST(ZeroCostTest, SmallDataBatchIsRefusedNamingTheField) {
  ZeroCostRequest request;
  request.space = Nb201(4, 1);
  request.arch = kConvArch;
  request.input = InputShape{3, 8, 8, 10};
  request.batch = 1;
  auto score = ZeroCostScore("snip", request);
  ASSERT_FALSE(score.ok());
  EXPECT_NE(score.status().message().find("batch:"), absl::string_view::npos)
      << score.status();
}

TEST(ZeroCostTest, AllNoneCellHasDegenerateScores) {
  ZeroCostRequest request;
  request.space = Nb201(4, 1);
  request.arch = kNoneArch;
  request.input = InputShape{3, 8, 8, 10};
  request.batch = 4;
  auto synflow = ZeroCostScore("synflow", request);
  ASSERT_TRUE(synflow.ok()) << synflow.status();
  EXPECT_EQ(*synflow, 0.0);
  auto jacob = ZeroCostScore("jacob_cov", request);
  ASSERT_TRUE(jacob.ok()) << jacob.status();
  EXPECT_EQ(*jacob, std::numeric_limits<double>::lowest());
}

TEST(ZeroCostTest, ConvCellScoresAboveAllNoneCell) {
  ZeroCostRequest request;
  request.space = Nb201(4, 1);
  request.input = InputShape{3, 8, 8, 10};
  request.arch = kConvArch;
  auto conv = ZeroCostScore("synflow", request);
  ASSERT_TRUE(conv.ok()) << conv.status();
  EXPECT_GT(*conv, 0.0);
}

}  // namespace
}  // namespace edgenas
