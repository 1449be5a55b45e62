#include "common/pareto.h"

#include <cmath>
#include <limits>
#include <vector>

#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<Sense> kMinMin = {Sense::kMinimize, Sense::kMinimize};
const std::vector<Sense> kMin3 = {Sense::kMinimize, Sense::kMinimize, Sense::kMinimize};

// Hypervolume value, failing the test on error.
double Hv(const std::vector<Point>& points, const Point& ref, const std::vector<Sense>& senses) {
  absl::StatusOr<double> hv = Hypervolume(points, ref, senses);
  EXPECT_TRUE(hv.ok()) << hv.status();
  return hv.value_or(-1.0);
}

// Equal points do not dominate each other; better-in-one-and-equal does.
TEST(Pareto, DominatesNeedsStrictImprovementSomewhere) {
  EXPECT_FALSE(Dominates({1, 2}, {1, 2}, kMinMin));
  EXPECT_TRUE(Dominates({1, 2}, {1, 3}, kMinMin));
  EXPECT_FALSE(Dominates({1, 3}, {1, 2}, kMinMin));
  EXPECT_FALSE(Dominates({0, 3}, {1, 2}, kMinMin));  // trade-off
  EXPECT_FALSE(Dominates({1, 2}, {0, 3}, kMinMin));
}

// Senses are honoured per objective (accuracy maximised, latency minimised).
TEST(Pareto, DominatesHonoursMixedSenses) {
  const std::vector<Sense> acc_lat = {Sense::kMaximize, Sense::kMinimize};
  EXPECT_TRUE(Dominates({0.9, 2.0}, {0.8, 3.0}, acc_lat));
  EXPECT_TRUE(Dominates({0.9, 3.0}, {0.8, 3.0}, acc_lat));
  EXPECT_FALSE(Dominates({0.8, 2.0}, {0.9, 2.0}, acc_lat));
  EXPECT_FALSE(Dominates({0.9, 3.0}, {0.8, 2.0}, acc_lat));
}

// The front keeps non-dominated points and their duplicates, in index order.
TEST(Pareto, NonDominatedIndicesKeepsDuplicatesInOrder) {
  const std::vector<Point> pts = {{3, 1}, {2, 2}, {3, 3}, {1, 3}, {2, 2}, {4, 4}};
  EXPECT_THAT(NonDominatedIndices(pts, kMinMin), ElementsAre(0, 1, 3, 4));
  const std::vector<Sense> max_max = {Sense::kMaximize, Sense::kMaximize};
  EXPECT_THAT(NonDominatedIndices(pts, max_max), ElementsAre(5));
  EXPECT_TRUE(NonDominatedIndices({}, kMinMin).empty());
}

// 1-D hypervolume is the distance from the best point to the reference.
TEST(Hypervolume, OneObjectiveIsDistanceToReference) {
  EXPECT_DOUBLE_EQ(Hv({{3}, {5}}, {10}, {Sense::kMinimize}), 7.0);
  EXPECT_DOUBLE_EQ(Hv({{0.7}, {0.9}}, {0.5}, {Sense::kMaximize}), 0.4);
}

// 2-D staircase of three points against a hand-computed union of boxes.
TEST(Hypervolume, TwoObjectivesMatchesHandComputedStaircase) {
  // Boxes [1,4]x[3,4], [2,4]x[2,4], [3,4]x[1,4]: union 3 + 2 + 1 = 6.
  EXPECT_DOUBLE_EQ(Hv({{2, 2}, {1, 3}, {3, 1}}, {4, 4}, kMinMin), 6.0);
  // A dominated point and a duplicate add nothing.
  EXPECT_DOUBLE_EQ(Hv({{2, 2}, {1, 3}, {3, 1}, {3, 3}, {2, 2}}, {4, 4}, kMinMin), 6.0);
}

// Mixed senses: (accuracy max, latency min) boxes 0.4x5 + 0.3x8 - 0.3x5 = 2.9.
TEST(Hypervolume, TwoObjectivesHonoursMaximize) {
  const std::vector<Sense> acc_lat = {Sense::kMaximize, Sense::kMinimize};
  EXPECT_NEAR(Hv({{0.9, 5.0}, {0.8, 2.0}}, {0.5, 10.0}, acc_lat), 2.9, 1e-12);
}

// 3-D union of three overlapping boxes by inclusion-exclusion:
// 9 + 12 + 8 - 4 - 3 - 4 + 2 = 20.
TEST(Hypervolume, ThreeObjectivesMatchesInclusionExclusion) {
  EXPECT_DOUBLE_EQ(Hv({{1, 1, 3}, {2, 2, 1}, {3, 0, 2}}, {4, 4, 4}, kMin3), 20.0);
  EXPECT_DOUBLE_EQ(Hv({{1, 1, 1}}, {4, 4, 4}, kMin3), 27.0);
  // Maximising the third objective mirrors it around the reference.
  const std::vector<Sense> mixed = {Sense::kMinimize, Sense::kMinimize, Sense::kMaximize};
  EXPECT_DOUBLE_EQ(Hv({{1, 1, 5}, {2, 2, 7}, {3, 0, 6}}, {4, 4, 4}, mixed), 20.0);
}

// Points not strictly better than the reference in every objective add nothing.
TEST(Hypervolume, PointsOutsideReferenceContributeNothing) {
  EXPECT_DOUBLE_EQ(Hv({{4, 1}, {5, 0}, {1, 4}}, {4, 4}, kMinMin), 0.0);
  EXPECT_DOUBLE_EQ(Hv({{2, 2}, {4, 1}, {0, 9}}, {4, 4}, kMinMin), 4.0);
  EXPECT_DOUBLE_EQ(Hv({{1, 1, 4}, {2, 2, 2}}, {4, 4, 4}, kMin3), 8.0);
  EXPECT_DOUBLE_EQ(Hv({}, {4, 4}, kMinMin), 0.0);
}

// Unsupported dimension counts, size mismatches and non-finite values are refused.
TEST(Hypervolume, RefusesBadInput) {
  const std::vector<Sense> four(4, Sense::kMinimize);
  absl::StatusOr<double> hv = Hypervolume({{1, 1, 1, 1}}, {2, 2, 2, 2}, four);
  EXPECT_EQ(hv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("1 to 3 objectives, got 4"));
  EXPECT_EQ(Hypervolume({}, {}, {}).status().code(), absl::StatusCode::kInvalidArgument);

  hv = Hypervolume({{1, 1}, {1, 1, 1}}, {2, 2}, kMinMin);
  EXPECT_EQ(hv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("points[1]: 3 values, expected 2"));
  hv = Hypervolume({{1, 1}}, {2, 2, 2}, kMinMin);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("reference: 3 values"));

  hv = Hypervolume({{1, std::nan("")}}, {2, 2}, kMinMin);
  EXPECT_EQ(hv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("points[0][1]: not finite"));
  hv = Hypervolume({{1, 1}}, {2, std::numeric_limits<double>::infinity()}, kMinMin);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("reference[1]: not finite"));
}

// Counts unit cells of the grid [0, ref)^d covered by some point's box
// [p, ref] (minimisation, integer coordinates): the exact hypervolume.
double GridVolume(const std::vector<Point>& pts, int ref, int dims) {
  int covered = 0;
  const int cells = dims == 2 ? ref * ref : ref * ref * ref;
  for (int c = 0; c < cells; ++c) {
    const int cell[3] = {c % ref, (c / ref) % ref, c / (ref * ref)};
    for (const Point& p : pts) {
      bool inside = true;
      for (int d = 0; d < dims; ++d) inside = inside && p[d] <= cell[d];
      if (inside) {
        ++covered;
        break;
      }
    }
  }
  return covered;
}

// Random small integer point sets: 2-D and 3-D results equal the grid count.
TEST(Hypervolume, MatchesBruteForceGridOnRandomIntegerPoints) {
  constexpr int kRef = 6;
  Rng rng(/*seed=*/2024);
  for (int dims = 2; dims <= 3; ++dims) {
    const std::vector<Sense> senses(dims, Sense::kMinimize);
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<Point> pts(1 + rng.UniformInt(8), Point(dims));
      // Values up to kRef + 1 so some points fall outside the reference.
      for (Point& p : pts) {
        for (double& v : p) v = rng.UniformInt(kRef + 2);
      }
      const Point ref(dims, kRef);
      ASSERT_DOUBLE_EQ(Hv(pts, ref, senses), GridVolume(pts, kRef, dims))
          << "dims " << dims << " trial " << trial;
      // The same set under maximisation (negated) has the same volume.
      std::vector<Point> neg = pts;
      for (Point& p : neg) {
        for (double& v : p) v = -v;
      }
      ASSERT_DOUBLE_EQ(Hv(neg, Point(dims, -kRef), std::vector<Sense>(dims, Sense::kMaximize)),
                       GridVolume(pts, kRef, dims));
    }
  }
}

}  // namespace
}  // namespace edgenas
