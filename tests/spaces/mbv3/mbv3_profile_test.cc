// mbv3 operator profiling: every table op builds and runs with the output
// its shape says, and `edgenas-agent profile`'s ProfileSpace makes a valid,
// complete table for a small mbv3 space that predicts its networks.
#include "spaces/mbv3/mbv3_profile.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/latency_predictor.h"
#include "common/model/space_networks.h"
#include "device_agent/profile/profile_ops.h"
#include "device_agent/profile/profile_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spaces/mbv3/mbv3_latency_model.h"
#include "spaces/mbv3/mbv3_space.h"
#include "tests/device_agent/profile/profile_test_util.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

const InputShape kFashion{1, 28, 28, 10};

// Two stages, two kernels and expansions (one of them 1), depth 1 or 2.
SpaceConfig SmallMbv3() {
  return SpaceConfig{"mbv3",
                     {{"stages", "2"},
                      {"stem_channels", "8"},
                      {"channels", "8,16"},
                      {"strides", "1,2"},
                      {"head_channels", "16"},
                      {"feature_channels", "16"},
                      {"kernels", "3,5"},
                      {"expands", "1,3"},
                      {"depths", "1,2"},
                      {"resolutions", "12,16"},
                      {"widths", "100"}}};
}

TEST(Mbv3ProfileOp, EveryTableOpRunsWithItsShape) {
  auto shapes = RequiredOpShapes(SmallMbv3(), kFashion);
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  // Per resolution: the stem, 3 distinct block positions x 16 variants (the
  // first stage's two blocks are both 8 -> 8, stride 1, at one side) and
  // head_conv; head_feature and the classifier are the same at both.
  EXPECT_EQ(shapes->size(), 2u * (1 + 3 * 16 + 1) + 2);
  auto networks = RequireNetworks("mbv3", &SpaceNetworks::profile_op, "operator profiler");
  ASSERT_TRUE(networks.ok()) << networks.status();
  torch::NoGradGuard no_grad;
  for (const OpShape& s : *shapes) {
    auto run = (*networks)->profile_op(s, /*batch=*/2);
    ASSERT_TRUE(run.ok()) << s.ToString() << ": " << run.status();
    const torch::Tensor y = (*run)();
    auto op = ParseMbv3Op(s.op);
    ASSERT_TRUE(op.ok());
    const int64_t side = Mbv3Downsample(s.resolution, s.stride);
    if (op->kind == Mbv3Op::Kind::kStem || op->kind == Mbv3Op::Kind::kBlock) {
      EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, s.out_channels, side, side}))
          << s.ToString();
    } else {
      EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, s.out_channels})) << s.ToString();
    }
  }
}

TEST(Mbv3ProfileOp, RefusesWhatItCannotBuild) {
  auto unknown = Mbv3ProfileOp(OpShape{"nor_conv_3x3", 8, 8, 8, 1}, 1);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("op:"));
  auto batch = Mbv3ProfileOp(OpShape{"stem", 1, 8, 16, 2}, 0);
  EXPECT_THAT(std::string(batch.status().message()), HasSubstr("batch"));
  auto channels = Mbv3ProfileOp(OpShape{"mb_k3_e3_se_hs", 0, 8, 16, 1}, 1);
  EXPECT_EQ(channels.status().code(), absl::StatusCode::kInvalidArgument);
}

// The agent's profile of a small mbv3 space is a valid table that covers
// the space and predicts its networks.
TEST(Mbv3Profile, ProfileSpaceMakesACompleteTable) {
  ProfileSettings settings = FastProfileSettings();
  settings.input = kFashion;
  auto profile = ProfileSpace(SmallMbv3(), settings);
  ASSERT_TRUE(profile.ok()) << profile.status();
  const Mbv3Space space = CreateMbv3Space(SmallMbv3()).value();
  EXPECT_EQ(profile->calibration_arch, space.Print(space.Smallest()));
  const v1::LatencyTable table =
      MakeLatencyTable(*profile, "mbv3", "test", settings, 0, v1::DeviceDescriptor());
  ASSERT_TRUE(ValidateLatencyTable(table).ok()) << ValidateLatencyTable(table);
  EXPECT_TRUE(CheckLatencyTableCovers(table, SmallMbv3(), kFashion).ok());
  auto predicted = PredictLatency(table, SmallMbv3(), space.Largest(), kFashion);
  ASSERT_TRUE(predicted.ok()) << predicted.status();
  EXPECT_GT(predicted->latency_ms, 0.0);
  EXPECT_EQ(predicted->ops, 1 + 4 + 3);
  auto measured = MeasureNetworkLatency(SmallMbv3(), space.Print(space.Largest()), settings);
  ASSERT_TRUE(measured.ok()) << measured.status();
  EXPECT_GT(measured->median_ms, 0.0);
}

}  // namespace
}  // namespace edgenas
