// Pins the rank correlations proxy_fidelity reports (values worked out by
// hand; ties by the conventions of scipy.stats.kendalltau / spearmanr) and its
// architecture draw.
#include "bench/proxy_fidelity/rank_correlation.h"

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/proxy_fidelity/arch_sample.h"
#include "common/space_registry.h"
#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;

constexpr double kEps = 1e-9;

// Tied values share the mean of the ranks they span.
TEST(AverageRanks, SharesMeanRankAmongTies) {
  EXPECT_THAT(AverageRanks({10, 20, 20, 30}), ElementsAre(1, 2.5, 2.5, 4));
  EXPECT_THAT(AverageRanks({3, 1, 3, 3}), ElementsAre(3, 1, 3, 3));
  EXPECT_THAT(AverageRanks({0.5, -1, 2}), ElementsAre(2, 1, 3));
}

// The same order gives +1, the reversed order -1, for both coefficients.
TEST(RankCorrelation, ConcordantIsOneAndReversedIsMinusOne) {
  const std::vector<double> x = {0.1, 0.4, 0.2, 0.9, 0.5};
  const std::vector<double> same = {1, 4, 2, 9, 5};
  const std::vector<double> reversed = {9, 6, 8, 1, 5};
  EXPECT_THAT(*KendallTauB(x, same), DoubleNear(1.0, kEps));
  EXPECT_THAT(*SpearmanRho(x, same), DoubleNear(1.0, kEps));
  EXPECT_THAT(*KendallTauB(x, reversed), DoubleNear(-1.0, kEps));
  EXPECT_THAT(*SpearmanRho(x, reversed), DoubleNear(-1.0, kEps));
}

// No ties: 8 concordant, 2 discordant pairs; sum of squared rank
// differences 4, so rho = 1 - 6*4/(5*24).
TEST(RankCorrelation, TwoSwapsWithoutTies) {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  const std::vector<double> y = {2, 1, 4, 3, 5};
  EXPECT_THAT(*KendallTauB(x, y), DoubleNear(0.6, kEps));
  EXPECT_THAT(*SpearmanRho(x, y), DoubleNear(0.8, kEps));
}

// One tie in x: 5 concordant pairs, 5 untied in x, 6 in y:
// tau-b = 5/sqrt(30); average ranks x (1, 2.5, 2.5, 4): rho = 4.5/sqrt(4.5*5).
TEST(RankCorrelation, TieInOneSample) {
  const std::vector<double> x = {1, 2, 2, 3};
  const std::vector<double> y = {1, 2, 3, 4};
  EXPECT_THAT(*KendallTauB(x, y), DoubleNear(5.0 / std::sqrt(30.0), kEps));
  EXPECT_THAT(*SpearmanRho(x, y), DoubleNear(4.5 / std::sqrt(22.5), kEps));
}

// A tie in each sample on different pairs: 4 concordant, 5 untied pairs in
// each: tau-b = 0.8; rho = 3.75/4.5 (ranks (1.5,1.5,3,4) and (1,2.5,2.5,4)).
TEST(RankCorrelation, TiesInBothSamples) {
  const std::vector<double> x = {1, 1, 2, 3};
  const std::vector<double> y = {1, 2, 2, 3};
  EXPECT_THAT(*KendallTauB(x, y), DoubleNear(0.8, kEps));
  EXPECT_THAT(*SpearmanRho(x, y), DoubleNear(3.75 / 4.5, kEps));
}

// A pair tied in both samples counts in neither the numerator nor the
// denominators, so the same tie pattern is still a perfect agreement.
TEST(RankCorrelation, PairTiedInBothIsPerfectAgreement) {
  const std::vector<double> x = {1, 1, 2};
  const std::vector<double> y = {5, 5, 6};
  EXPECT_THAT(*KendallTauB(x, y), DoubleNear(1.0, kEps));
  EXPECT_THAT(*SpearmanRho(x, y), DoubleNear(1.0, kEps));
}

// A constant sample has no ranking: NaN, not an error.
TEST(RankCorrelation, ConstantSampleIsNaN) {
  EXPECT_TRUE(std::isnan(*KendallTauB({0.1, 0.1, 0.1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(*SpearmanRho({1, 2, 3}, {0.1, 0.1, 0.1})));
}

// Unpaired, too short or non-finite input is refused.
TEST(RankCorrelation, RejectsBadInput) {
  EXPECT_EQ(KendallTauB({1, 2}, {1, 2, 3}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SpearmanRho({1}, {1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KendallTauB({1, NAN}, {1, 2}).status().code(), absl::StatusCode::kInvalidArgument);
}

// Output connectivity follows non-none paths from node 0 to node 3.
TEST(Nb201OutputConnected, FollowsNonNonePaths) {
  const Nb201Space space;
  auto connected = [&space](const char* text) {
    return Nb201OutputConnected(*space.Parse(text));
  };
  EXPECT_TRUE(connected("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"));
  EXPECT_TRUE(connected("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|nor_conv_1x1~2|"));
  EXPECT_FALSE(connected("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
  // Node 2 is fed only through node 1, which nothing feeds.
  EXPECT_FALSE(connected("|none~0|+|none~0|nor_conv_3x3~1|+|none~0|skip_connect~1|skip_connect~2|"));
}

// The draw is reproducible from its seed and holds distinct connected cells.
TEST(DrawConnectedNb201, DistinctConnectedAndReproducible) {
  const Nb201Space space;
  absl::StatusOr<std::vector<Architecture>> a = DrawConnectedNb201(/*count=*/40, /*seed=*/1);
  absl::StatusOr<std::vector<Architecture>> b = DrawConnectedNb201(/*count=*/40, /*seed=*/1);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), 40u);
  EXPECT_EQ(*a, *b);
  std::set<std::string> keys;
  for (const Architecture& arch : *a) {
    EXPECT_TRUE(Nb201OutputConnected(arch)) << space.Print(arch);
    keys.insert(space.CanonicalKey(arch));
  }
  EXPECT_EQ(keys.size(), 40u);
  EXPECT_EQ(DrawConnectedNb201(/*count=*/0, /*seed=*/1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Any space: seeded draws of distinct canonical keys, as many as it holds.
TEST(DrawDistinct, DistinctReproducibleAndBounded) {
  absl::StatusOr<std::unique_ptr<SearchSpace>> mbv3 = CreateSearchSpace(SpaceConfig{"mbv3", {}});
  ASSERT_TRUE(mbv3.ok()) << mbv3.status();
  absl::StatusOr<std::vector<Architecture>> a = DrawDistinct(**mbv3, /*count=*/30, /*seed=*/1);
  absl::StatusOr<std::vector<Architecture>> b = DrawDistinct(**mbv3, /*count=*/30, /*seed=*/1);
  absl::StatusOr<std::vector<Architecture>> c = DrawDistinct(**mbv3, /*count=*/30, /*seed=*/2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status();
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  std::set<std::string> keys;
  for (const Architecture& arch : *a) keys.insert((*mbv3)->CanonicalKey(arch));
  EXPECT_EQ(keys.size(), 30u);
  // One stage, one choice of everything but SE and activation: 4 networks.
  absl::StatusOr<std::unique_ptr<SearchSpace>> tiny = CreateSearchSpace(SpaceConfig{
      "mbv3",
      {{"stages", "1"}, {"channels", "16"}, {"strides", "1"}, {"kernels", "3"},
       {"expands", "3"}, {"depths", "1"}, {"resolutions", "28"}, {"widths", "100"}}});
  ASSERT_TRUE(tiny.ok()) << tiny.status();
  absl::StatusOr<std::vector<Architecture>> all = DrawDistinct(**tiny, /*count=*/4, /*seed=*/1);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 4u);
  EXPECT_EQ(DrawDistinct(**tiny, /*count=*/5, /*seed=*/1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DrawDistinct(**tiny, /*count=*/0, /*seed=*/1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
