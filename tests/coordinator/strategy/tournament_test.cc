// Tests of the tournament helpers: non-dominated ranks, crowding distance,
// and the winner rules evolution relies on.
#include "coordinator/strategy/tournament.h"

#include <limits>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Ranks peel fronts: non-dominated 0, then those dominated only by rank 0, ...
TEST(Tournament, NonDominatedRanksPeelFronts) {
  EXPECT_THAT(NonDominatedRanks({{1, 4}, {4, 1}, {2, 2}, {3, 3}, {5, 5}, {3, 3}}),
              ElementsAre(0, 0, 0, 1, 2, 1));
  EXPECT_THAT(NonDominatedRanks({{2}, {1}, {2}}), ElementsAre(1, 0, 1));
  EXPECT_TRUE(NonDominatedRanks({}).empty());
}

// Crowding: extremes infinite, interior the normalised neighbour gaps summed
// over objectives, computed per front.
TEST(Tournament, CrowdingDistanceIsPerFrontAndNormalised) {
  const std::vector<Point> points = {{0, 10}, {1, 5}, {2, 4.5}, {10, 0}, {11, 11}};
  const std::vector<double> d = CrowdingDistances(points, NonDominatedRanks(points));
  // (1,5): (2-0)/10 + (10-4.5)/10; (2,4.5): (10-1)/10 + (5-0)/10; (11,11) alone.
  EXPECT_THAT(d, ElementsAre(kInf, DoubleNear(0.75, 1e-12), DoubleNear(1.4, 1e-12), kInf, kInf));
}

// Fronts of at most two points are all boundary; constant objectives add nothing.
TEST(Tournament, CrowdingDistanceEdgeCases) {
  EXPECT_THAT(CrowdingDistances({{1, 2}, {2, 1}}, {0, 0}), ElementsAre(kInf, kInf));
  // Objective 1 is constant; objective 0 alone spreads the front.
  EXPECT_THAT(CrowdingDistances({{0, 3}, {1, 3}, {4, 3}}, {0, 0, 0}),
              ElementsAre(kInf, DoubleNear(1.0, 1e-12), kInf));
}

// The winner has the lowest rank even when a dominated point is more isolated.
TEST(Tournament, MultiObjectiveWinnerPrefersRankOverCrowding) {
  Rng rng(1);
  EXPECT_EQ(MultiObjectiveWinner({{5, 5}, {1, 1}, {9, 0.5}}, rng), 1);
}

// Exact ties are broken by the rng: the same seed gives the same winner, and
// over many draws each tied point wins.
TEST(Tournament, MultiObjectiveTiesAreBrokenBySeededDraw) {
  const std::vector<Point> points = {{1, 4}, {4, 1}, {2, 2}};  // 0 and 1 tie (boundary)
  Rng a(7), b(7);
  std::set<int> winners;
  for (int i = 0; i < 100; ++i) {
    const int w = MultiObjectiveWinner(points, a);
    EXPECT_EQ(w, MultiObjectiveWinner(points, b));
    winners.insert(w);
  }
  EXPECT_EQ(winners, (std::set<int>{0, 1}));
}

// One objective: the smallest score wins, ties to the earliest drawn.
TEST(Tournament, SingleObjectiveWinnerTiesGoToTheEarliest) {
  EXPECT_EQ(SingleObjectiveWinner({{3}, {1}, {2}, {1}}), 1);
  EXPECT_EQ(SingleObjectiveWinner({{2}, {2}}), 0);
}

// Fast non-dominated sorting lists the fronts of the peeling example, each
// in ascending index order; equal points share a front.
TEST(Tournament, FastNonDominatedSortListsFronts) {
  const std::vector<Point> points = {{1, 4}, {4, 1}, {2, 2}, {3, 3}, {5, 5}, {3, 3}};
  const std::vector<std::vector<int>> fronts = FastNonDominatedSort(points);
  ASSERT_EQ(fronts.size(), 3u);
  EXPECT_THAT(fronts[0], ElementsAre(0, 1, 2));
  EXPECT_THAT(fronts[1], ElementsAre(3, 5));
  EXPECT_THAT(fronts[2], ElementsAre(4));
  EXPECT_THAT(FastNonDominatedRanks(points), ElementsAre(0, 0, 0, 1, 2, 1));
  EXPECT_TRUE(FastNonDominatedSort({}).empty());
  EXPECT_THAT(FastNonDominatedRanks({{2}, {1}, {2}}), ElementsAre(1, 0, 1));
}

// The fast sort agrees with front peeling on random sets with many ties.
TEST(Tournament, FastNonDominatedRanksMatchPeeling) {
  Rng rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const int dims = 1 + trial % 3;
    std::vector<Point> points(1 + rng.UniformInt(30));
    for (Point& p : points) {
      for (int m = 0; m < dims; ++m) p.push_back(rng.UniformInt(5));
    }
    EXPECT_EQ(FastNonDominatedRanks(points), NonDominatedRanks(points)) << "trial " << trial;
  }
}

// Three objectives, hand-computed: A, C and D are extremes of some objective;
// B sums (2-0)/4 + (4-1)/4 + (4-2)/3.
TEST(Tournament, CrowdingDistanceThreeObjectivesHandComputed) {
  const std::vector<Point> points = {{0, 4, 2}, {1, 2, 3}, {2, 1, 1}, {4, 0, 4}, {5, 5, 5}};
  const std::vector<int> ranks = FastNonDominatedRanks(points);
  EXPECT_THAT(ranks, ElementsAre(0, 0, 0, 0, 1));
  EXPECT_THAT(CrowdingDistances(points, ranks),
              ElementsAre(kInf, DoubleNear(0.5 + 0.75 + 2.0 / 3.0, 1e-12), kInf, kInf, kInf));
}

// The crowded comparison: lower rank first, then larger crowding; ties neither way.
TEST(Tournament, CrowdedLessOrdersByRankThenCrowding) {
  EXPECT_TRUE(CrowdedLess(0, 0.1, 1, kInf));
  EXPECT_FALSE(CrowdedLess(1, kInf, 0, 0.1));
  EXPECT_TRUE(CrowdedLess(2, kInf, 2, 3.0));
  EXPECT_FALSE(CrowdedLess(2, 3.0, 2, kInf));
  EXPECT_FALSE(CrowdedLess(1, 2.0, 1, 2.0));
  EXPECT_FALSE(CrowdedLess(1, kInf, 1, kInf));
}

}  // namespace
}  // namespace edgenas
