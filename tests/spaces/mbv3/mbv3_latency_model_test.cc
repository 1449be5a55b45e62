// mbv3's latency model: op names, the shapes a table needs, the shapes one
// network runs (as Mbv3Space::Plan resolves them) and the analytic cost of
// one op, counted by hand here.
#include "spaces/mbv3/mbv3_latency_model.h"

#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "common/latency_predictor.h"
#include "common/network_cost.h"
#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

const InputShape kFashion{1, 28, 28, 10};

SpaceConfig Mbv3(std::map<std::string, std::string> options = {}) {
  return SpaceConfig{"mbv3", std::move(options)};
}

Mbv3Space DefaultSpace() { return CreateMbv3Space(SpaceConfig{"mbv3", {}}).value(); }

TEST(Mbv3OpNames, RoundTripAndRefuseOthers) {
  const std::vector<std::string> ops = Mbv3LatencyModel().TableOps();
  EXPECT_EQ(std::set<std::string>(ops.begin(), ops.end()).size(), ops.size());
  for (const std::string& name : ops) {
    auto op = ParseMbv3Op(name);
    ASSERT_TRUE(op.ok()) << name << ": " << op.status();
    if (op->kind == Mbv3Op::Kind::kBlock) {
      EXPECT_EQ(Mbv3BlockOpName(op->kernel, op->expand, op->se, op->hswish), name);
    }
  }
  EXPECT_EQ(Mbv3BlockOpName(5, 4, true, true), "mb_k5_e4_se_hs");
  EXPECT_EQ(Mbv3BlockOpName(3, 6, false, false), "mb_k3_e6_nose_relu");
  for (const char* bad : {"mb_k4_e3_se_hs", "mb_k3_e3_se", "mb_k03_e3_se_hs", "mb_k3_e0_se_hs",
                          "mb_k3_e3_se_relu6", "nor_conv_3x3", "head", ""}) {
    auto op = ParseMbv3Op(bad);
    EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(op.status().message()), HasSubstr("op:")) << bad;
  }
}

// Every shape any architecture's network runs is in the table's shapes, and
// their count stays within what a table may hold.
TEST(Mbv3LatencyModel, RequiredShapesCoverEveryNetwork) {
  auto required = RequiredOpShapes(Mbv3(), kFashion);
  ASSERT_TRUE(required.ok()) << required.status();
  std::cout << "mbv3 default options: " << required->size() << " table shapes\n";
  EXPECT_LE(static_cast<int>(required->size()), kMaxLatencyTableEntries);
  EXPECT_TRUE(std::is_sorted(required->begin(), required->end()));
  const std::set<OpShape> table(required->begin(), required->end());
  EXPECT_EQ(table.size(), required->size());
  auto known = LatencyTableOps("mbv3");
  ASSERT_TRUE(known.ok());
  for (const OpShape& s : table) {
    EXPECT_NE(std::find(known->begin(), known->end(), s.op), known->end()) << s.ToString();
  }

  const Mbv3Space space = DefaultSpace();
  Rng rng(7);
  std::set<OpShape> used;
  std::vector<Architecture> archs = {space.Largest(), space.Smallest()};
  for (int i = 0; i < 300; ++i) archs.push_back(space.Sample(rng));
  for (const Architecture& arch : archs) {
    auto ops = NetworkOpShapes(Mbv3(), arch, kFashion);
    ASSERT_TRUE(ops.ok()) << ops.status();
    for (const OpShape& s : *ops) {
      EXPECT_EQ(table.count(s), 1u) << space.Print(arch) << " runs " << s.ToString();
      used.insert(s);
    }
  }
  // Nothing in the table is unreachable: many random networks use most of
  // it (the rest are combinations 300 draws missed).
  EXPECT_GT(used.size(), table.size() / 2);
}

// A network's shapes: the stem at the architecture's own resolution, one op
// per active block resolved exactly as the plan, then the head's three ops.
TEST(Mbv3LatencyModel, NetworkShapesFollowThePlan) {
  const Mbv3Space space = DefaultSpace();
  Rng rng(11);
  for (int i = 0; i < 50; ++i) {
    const Architecture arch = space.Sample(rng);
    const Mbv3Plan plan = space.Plan(arch, kFashion);
    auto ops = NetworkOpShapes(Mbv3(), arch, kFashion);
    ASSERT_TRUE(ops.ok()) << ops.status();
    ASSERT_EQ(ops->size(), plan.blocks.size() + 4);
    const OpShape& stem = ops->front();
    EXPECT_EQ(stem, (OpShape{"stem", 1, plan.stem_channels, space.Resolution(arch), 2}));
    for (size_t b = 0; b < plan.blocks.size(); ++b) {
      const Mbv3Block& want = plan.blocks[b];
      auto got = Mbv3BlockOfOp((*ops)[b + 1]);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->in_channels, want.in_channels);
      EXPECT_EQ(got->mid_channels, want.mid_channels);
      EXPECT_EQ(got->out_channels, want.out_channels);
      EXPECT_EQ(got->kernel, want.kernel);
      EXPECT_EQ(got->expand, want.expand);
      EXPECT_EQ(got->stride, want.stride);
      EXPECT_EQ(got->se, want.se);
      EXPECT_EQ(got->se_channels, want.se_channels);
      EXPECT_EQ(got->hswish, want.hswish);
      EXPECT_EQ(got->in_resolution, want.in_resolution);
      EXPECT_EQ(got->residual, want.residual);
    }
    const size_t h = plan.blocks.size() + 1;
    EXPECT_EQ((*ops)[h], (OpShape{"head_conv", plan.head_in_channels, plan.head_channels,
                                  plan.head_resolution, 1}));
    EXPECT_EQ((*ops)[h + 1], (OpShape{"head_feature", plan.head_channels, 1280, 1, 1}));
    EXPECT_EQ((*ops)[h + 2], (OpShape{"head_classifier", 1280, 10, 1, 1}));
  }
}

// r32 runs at 32x32 whatever the dataset's side.
TEST(Mbv3LatencyModel, EachArchitectureRunsAtItsOwnResolution) {
  const Mbv3Space space = DefaultSpace();
  auto arch = space.Parse(
      "r32-w100|d2-se-hs:k3e4,k5e6|d2-nose-relu:k3e3,k3e3|d2-nose-relu:k3e3,k3e3|"
      "d2-nose-relu:k3e3,k3e3|d2-nose-relu:k3e3,k3e3");
  ASSERT_TRUE(arch.ok()) << arch.status();
  auto ops = NetworkOpShapes(Mbv3(), *arch, kFashion);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ((*ops)[0], (OpShape{"stem", 1, 16, 32, 2}));
  EXPECT_EQ((*ops)[1], (OpShape{"mb_k3_e4_se_hs", 16, 24, 16, 1}));
  EXPECT_EQ((*ops)[2], (OpShape{"mb_k5_e6_se_hs", 24, 24, 16, 1}));
  EXPECT_EQ((*ops)[3], (OpShape{"mb_k3_e3_nose_relu", 24, 40, 16, 2}));
}

TEST(Mbv3LatencyModel, RefusesBadInput) {
  const Mbv3LatencyModel model;
  auto no_classes = model.RequiredOpShapes(Mbv3(), InputShape{1, 28, 28, 0});
  EXPECT_EQ(no_classes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_classes.status().message()), HasSubstr("dataset"));
  auto bad_options = model.RequiredOpShapes(Mbv3({{"strides", "1,2"}}), kFashion);
  EXPECT_THAT(std::string(bad_options.status().message()), HasSubstr("space.options.strides"));
  Architecture arch = DefaultSpace().Smallest();
  arch.genes[0] = 7;
  auto bad_arch = model.NetworkOpShapes(Mbv3(), arch, kFashion);
  EXPECT_EQ(bad_arch.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_op = model.Cost(OpShape{"mb_k3_e3_se_hs", 0, 24, 14, 1});
  EXPECT_THAT(std::string(bad_op.status().message()), HasSubstr("in_channels"));
}

TEST(Mbv3LatencyModel, CalibrationArchIsTheSmallest) {
  const Mbv3Space space = DefaultSpace();
  const std::string text = Mbv3LatencyModel().OverheadCalibrationArch(Mbv3());
  auto arch = space.Parse(text);
  ASSERT_TRUE(arch.ok()) << arch.status();
  EXPECT_EQ(*arch, space.Smallest());
}

// One block, counted by hand: 16 -> 24 channels at 14x14, kernel 3,
// expansion 4 (64 wide), SE (squeeze 16).
TEST(Mbv3Cost, BlockByHand) {
  auto cost = Mbv3LatencyModel().Cost(OpShape{"mb_k3_e4_se_hs", 16, 24, 14, 1});
  ASSERT_TRUE(cost.ok()) << cost.status();
  const int64_t expand = 14 * 14 * 16 * 64, dw = 14 * 14 * 64 * 9, se = 2 * 64 * 16,
                project = 14 * 14 * 64 * 24;
  EXPECT_EQ(cost->macs, expand + dw + se + project);
  const int64_t params = (16 * 64 + 2 * 64) + (64 * 9 + 2 * 64) + (2 * 64 * 16 + 16 + 64) +
                         (64 * 24 + 2 * 24);
  EXPECT_EQ(cost->params, params);
  // Stride 2 halves the depthwise and projection maps (7x7); no SE, expansion 1.
  cost = Mbv3LatencyModel().Cost(OpShape{"mb_k5_e1_nose_relu", 16, 24, 14, 2});
  ASSERT_TRUE(cost.ok());
  EXPECT_EQ(cost->macs, 7 * 7 * 16 * 25 + 7 * 7 * 16 * 24);
  EXPECT_EQ(cost->params, (16 * 25 + 32) + (16 * 24 + 48));
}

TEST(NetworkCost, SumsOpsAndNamesSpacesWithoutACount) {
  const Mbv3Space space = DefaultSpace();
  auto cost = NetworkCostOf(Mbv3(), space.Largest(), kFashion);
  ASSERT_TRUE(cost.ok()) << cost.status();
  auto small = NetworkCostOf(Mbv3(), space.Smallest(), kFashion);
  ASSERT_TRUE(small.ok());
  EXPECT_GT(cost->macs, small->macs);
  EXPECT_GT(cost->params, small->params);
  EXPECT_EQ(NetworkMacs(Mbv3(), space.Largest(), kFashion).value(), cost->macs);
  EXPECT_EQ(NetworkParams(Mbv3(), space.Largest(), kFashion).value(), cost->params);
  auto by_text = NetworkCostOf(Mbv3(), space.Print(space.Largest()), kFashion);
  ASSERT_TRUE(by_text.ok());
  EXPECT_EQ(by_text->macs, cost->macs);
  std::cout << "mbv3 largest: " << cost->macs << " MACs, " << cost->params
            << " params; smallest: " << small->macs << " MACs, " << small->params << " params\n";

  EXPECT_TRUE(SpaceCountsMacs("nb201").ok());
  auto tiny = SpaceCountsMacs("tiny_test");
  EXPECT_EQ(tiny.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tiny.message()), HasSubstr("space \"tiny_test\" has no MAC count"));
  EXPECT_THAT(std::string(SpaceCountsMacs("darts").message()), HasSubstr("space.name"));
  EXPECT_THAT(std::string(NetworkCostOf(Mbv3(), "r99-w100", kFashion).status().message()),
              HasSubstr("arch"));
}

}  // namespace
}  // namespace edgenas
