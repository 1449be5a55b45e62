// Tests of the acquisition helpers: the normal CDF, density and quantile,
// standard normal draws, normal scores, expected improvement, probability
// of non-domination (exact 2-D, Monte Carlo 3-D) and Pareto front indices.
#include "coordinator/strategy/acquisition.h"

#include <cmath>
#include <vector>

#include "common/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const double kInvSqrt2Pi = 1.0 / std::sqrt(2.0 * M_PI);

GpPrediction N(double mean, double stddev) { return GpPrediction{mean, stddev}; }

TEST(NormalTest, CdfAndPdfKnownValues) {
  EXPECT_DOUBLE_EQ(NormalCdf(0.0), 0.5);
  EXPECT_NEAR(NormalCdf(1.0), 0.8413447460685429, 1e-12);
  EXPECT_NEAR(NormalCdf(-1.959963984540054), 0.025, 1e-12);
  EXPECT_NEAR(NormalCdf(-1.0) + NormalCdf(1.0), 1.0, 1e-15);
  EXPECT_DOUBLE_EQ(NormalPdf(0.0), kInvSqrt2Pi);
  EXPECT_NEAR(NormalPdf(1.0), kInvSqrt2Pi * std::exp(-0.5), 1e-15);
  EXPECT_DOUBLE_EQ(NormalPdf(-2.0), NormalPdf(2.0));
}

TEST(NormalTest, QuantileInvertsCdf) {
  for (double p : {1e-6, 1e-4, 0.01, 0.02425, 0.05, 0.2, 0.5, 0.7, 0.95, 0.97575, 0.99,
                   1 - 1e-4, 1 - 1e-6}) {
    const double z = NormalQuantile(p);
    ASSERT_TRUE(std::isfinite(z)) << p;
    // Compare in the smaller tail, where relative accuracy matters.
    if (p <= 0.5) {
      EXPECT_NEAR(NormalCdf(z) / p, 1.0, 1e-6) << "p=" << p;
    } else {
      EXPECT_NEAR(NormalCdf(-z) / (1 - p), 1.0, 1e-6) << "p=" << p;
    }
    EXPECT_NEAR(NormalQuantile(1 - p), -z, 1e-6 * std::max(1.0, std::fabs(z))) << "p=" << p;
  }
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-8);
  // Monotone across the region boundaries of the approximation.
  double previous = NormalQuantile(1e-9);
  for (double p = 1e-3; p < 1.0; p += 1e-3) {
    const double z = NormalQuantile(p);
    EXPECT_GT(z, previous) << "p=" << p;
    previous = z;
  }
}

TEST(NormalTest, StandardNormalMoments) {
  Rng rng(42);
  const int n = 20000;
  double sum = 0.0, sum2 = 0.0;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    const double z = StandardNormal(rng);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum2 += z * z;
    below += z < 1.0 ? 1 : 0;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.05);                     // ~7 standard errors
  EXPECT_NEAR(sum2 / n - mean * mean, 1.0, 0.07);
  EXPECT_NEAR(static_cast<double>(below) / n, NormalCdf(1.0), 0.02);
}

TEST(NormalScoresTest, OrderPreservingAndSymmetric) {
  const std::vector<double> values = {3.0, -10.0, 7.5, 0.0, 1e6};
  const std::vector<double> s = NormalScores(values);
  ASSERT_EQ(s.size(), values.size());
  // Ranks: -10 (0), 0 (1), 3 (2), 7.5 (3), 1e6 (4).
  EXPECT_NEAR(s[1], NormalQuantile(0.5 / 5), 1e-12);
  EXPECT_NEAR(s[3], NormalQuantile(1.5 / 5), 1e-12);
  EXPECT_NEAR(s[0], 0.0, 1e-12);
  EXPECT_NEAR(s[2], -s[3], 1e-9);
  EXPECT_NEAR(s[4], -s[1], 1e-9);
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      if (values[i] < values[j]) {
        EXPECT_LT(s[i], s[j]) << i << " " << j;
      }
    }
  }
  double sum = 0.0;
  for (double v : s) sum += v;
  EXPECT_NEAR(sum, 0.0, 1e-9);
  // Free of units: a monotone transform of the values gives the same scores.
  std::vector<double> scaled;
  for (double v : values) scaled.push_back(std::cbrt(v) * 1000.0 - 5.0);
  EXPECT_EQ(NormalScores(scaled), s);
}

TEST(NormalScoresTest, TiesShareTheirMeanRank) {
  const std::vector<double> s = NormalScores({2.0, 1.0, 2.0, 5.0});
  // 1 -> rank 0, the two 2s -> mean rank 1.5, 5 -> rank 3.
  EXPECT_DOUBLE_EQ(s[0], s[2]);
  EXPECT_NEAR(s[0], NormalQuantile(2.0 / 4), 1e-12);  // (1.5 + 0.5) / 4 = 0.5
  EXPECT_NEAR(s[1], NormalQuantile(0.5 / 4), 1e-12);
  EXPECT_NEAR(s[3], -s[1], 1e-9);
  EXPECT_THAT(NormalScores({4.0, 4.0, 4.0}), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_THAT(NormalScores({}), IsEmpty());
  EXPECT_THAT(NormalScores({-3.0}), ElementsAre(0.0));
}

TEST(ExpectedImprovementTest, HandValues) {
  EXPECT_NEAR(ExpectedImprovement(/*mean=*/0.0, /*stddev=*/1.0, /*best=*/0.0), kInvSqrt2Pi,
              1e-15);
  EXPECT_NEAR(ExpectedImprovement(5.0, 2.0, 5.0), 2.0 * kInvSqrt2Pi, 1e-15);
  // mean - best = 1, sd = 1: 1 * Phi(1) + phi(1).
  EXPECT_NEAR(ExpectedImprovement(1.0, 1.0, 0.0), NormalCdf(1.0) + NormalPdf(1.0), 1e-15);
  // mean - best = -1, sd = 2: -1 * Phi(-0.5) + 2 * phi(-0.5).
  EXPECT_NEAR(ExpectedImprovement(-1.0, 2.0, 0.0), -NormalCdf(-0.5) + 2.0 * NormalPdf(0.5),
              1e-15);
  // Far below the best: tiny but non-negative; far above: about mean - best.
  EXPECT_GE(ExpectedImprovement(-50.0, 1.0, 0.0), 0.0);
  EXPECT_LT(ExpectedImprovement(-50.0, 1.0, 0.0), 1e-12);
  EXPECT_NEAR(ExpectedImprovement(50.0, 1.0, 0.0), 50.0, 1e-9);
  // Increasing in mean and in stddev.
  EXPECT_GT(ExpectedImprovement(0.5, 1.0, 0.0), ExpectedImprovement(0.0, 1.0, 0.0));
  EXPECT_GT(ExpectedImprovement(0.0, 2.0, 0.0), ExpectedImprovement(0.0, 1.0, 0.0));
}

TEST(ExpectedImprovementTest, ZeroStddevIsThePlainImprovement) {
  EXPECT_EQ(ExpectedImprovement(3.0, 0.0, 1.0), 2.0);
  EXPECT_EQ(ExpectedImprovement(1.0, 0.0, 3.0), 0.0);
  EXPECT_EQ(ExpectedImprovement(3.0, 1e-13, 3.0), 0.0);
}

TEST(ProbabilityNotDominatedTest, EmptyFrontIsOne) {
  Rng rng(1);
  EXPECT_EQ(ProbabilityNotDominated({N(0, 1), N(0, 1)}, {}, rng), 1.0);
  EXPECT_EQ(ProbabilityNotDominated({N(0, 1), N(0, 1), N(0, 1)}, {}, rng), 1.0);
}

TEST(ProbabilityNotDominatedTest, TwoDimensionsOnePoint) {
  Rng rng(1);
  // Dominated iff c0 <= 0 and c1 <= 0: 1/4.
  EXPECT_NEAR(ProbabilityNotDominated({N(0, 1), N(0, 1)}, {{0.0, 0.0}}, rng), 0.75, 1e-12);
  // General case: 1 - Phi((a - m0) / s0) * Phi((b - m1) / s1).
  const double expected = 1.0 - NormalCdf((1.0 - 0.5) / 2.0) * NormalCdf((-1.0 - 0.0) / 0.5);
  EXPECT_NEAR(ProbabilityNotDominated({N(0.5, 2.0), N(0.0, 0.5)}, {{1.0, -1.0}}, rng), expected,
              1e-12);
}

TEST(ProbabilityNotDominatedTest, TwoDimensionsTwoPointsByInclusionExclusion) {
  Rng rng(1);
  const std::vector<GpPrediction> pred = {N(0.2, 1.0), N(-0.3, 1.5)};
  auto f0 = [&](double t) { return NormalCdf((t - 0.2) / 1.0); };
  auto f1 = [&](double t) { return NormalCdf((t + 0.3) / 1.5); };
  // Front (1, -1) and (-1, 1): P(A or B) = P(A) + P(B) - P(A and B), where
  // A and B = c0 <= -1 and c1 <= -1.
  const double dominated = f0(1) * f1(-1) + f0(-1) * f1(1) - f0(-1) * f1(-1);
  const double expected = 1.0 - dominated;
  EXPECT_NEAR(ProbabilityNotDominated(pred, {{1.0, -1.0}, {-1.0, 1.0}}, rng), expected, 1e-12);
  // The order of the front does not matter.
  EXPECT_NEAR(ProbabilityNotDominated(pred, {{-1.0, 1.0}, {1.0, -1.0}}, rng), expected, 1e-12);
}

TEST(ProbabilityNotDominatedTest, TwoDimensionsThreePointsAgainstSampling) {
  const std::vector<GpPrediction> pred = {N(0.0, 1.0), N(0.5, 0.7)};
  const std::vector<Point> front = {{1.5, -0.5}, {-0.5, 1.2}, {0.4, 0.6}};
  Rng rng(7);
  const double exact = ProbabilityNotDominated(pred, front, rng);
  int not_dominated = 0;
  const int n = 200000;
  for (int s = 0; s < n; ++s) {
    const double c0 = pred[0].mean + pred[0].stddev * StandardNormal(rng);
    const double c1 = pred[1].mean + pred[1].stddev * StandardNormal(rng);
    bool dominated = false;
    for (const Point& p : front) dominated = dominated || (p[0] >= c0 && p[1] >= c1);
    not_dominated += dominated ? 0 : 1;
  }
  EXPECT_NEAR(exact, static_cast<double>(not_dominated) / n, 0.005);
}

TEST(ProbabilityNotDominatedTest, FarBetterOrWorse) {
  Rng rng(3);
  const std::vector<Point> front = {{1.0, -1.0}, {-1.0, 1.0}};
  EXPECT_NEAR(ProbabilityNotDominated({N(10, 1), N(10, 1)}, front, rng), 1.0, 1e-9);
  EXPECT_NEAR(ProbabilityNotDominated({N(-10, 1), N(-10, 1)}, front, rng), 0.0, 1e-9);
  // Better in one coordinate only is enough.
  EXPECT_NEAR(ProbabilityNotDominated({N(10, 1), N(-10, 1)}, front, rng), 1.0, 1e-9);
  const std::vector<Point> front3 = {{0.0, 0.0, 0.0}};
  EXPECT_EQ(ProbabilityNotDominated({N(10, 1), N(10, 1), N(10, 1)}, front3, rng), 1.0);
  EXPECT_EQ(ProbabilityNotDominated({N(-10, 1), N(-10, 1), N(-10, 1)}, front3, rng), 0.0);
}

TEST(ProbabilityNotDominatedTest, ZeroStddevIsDeterministic) {
  Rng rng(3);
  const std::vector<Point> front = {{1.0, 1.0}};
  EXPECT_EQ(ProbabilityNotDominated({N(2, 0), N(0, 0)}, front, rng), 1.0);
  EXPECT_EQ(ProbabilityNotDominated({N(0, 0), N(0, 0)}, front, rng), 0.0);
  // Equal to a front point counts as dominated (>= everywhere).
  EXPECT_EQ(ProbabilityNotDominated({N(1, 0), N(1, 0)}, front, rng), 0.0);
}

TEST(ProbabilityNotDominatedTest, ThreeDimensionsMonteCarlo) {
  // Independent coordinates, one front point at the means: P(dominated) = 1/8.
  const std::vector<GpPrediction> pred = {N(0, 1), N(0, 1), N(0, 1)};
  const std::vector<Point> front = {{0.0, 0.0, 0.0}};
  Rng rng(11);
  const double one = ProbabilityNotDominated(pred, front, rng);
  EXPECT_NEAR(one, 0.875, 0.1);
  double sum = 0.0;
  const int calls = 50;
  for (int i = 0; i < calls; ++i) sum += ProbabilityNotDominated(pred, front, rng);
  EXPECT_NEAR(sum / calls, 0.875, 0.015);  // 6400 draws: ~0.004 standard error
  // Two front points: 1 - (1/8 + 1/8 - P(both)), both = c <= (0, -1, 0) and
  // c <= (-1, 0, 0)'s intersection c <= (-1, -1, 0).
  const std::vector<Point> front2 = {{0.0, -1.0, 0.0}, {-1.0, 0.0, 0.0}};
  const double a = NormalCdf(0.0) * NormalCdf(-1.0) * NormalCdf(0.0);
  const double both = NormalCdf(-1.0) * NormalCdf(-1.0) * NormalCdf(0.0);
  sum = 0.0;
  for (int i = 0; i < calls; ++i) sum += ProbabilityNotDominated(pred, front2, rng);
  EXPECT_NEAR(sum / calls, 1.0 - (2 * a - both), 0.015);
}

TEST(ProbabilityNotDominatedTest, SameRngSameAnswer) {
  const std::vector<GpPrediction> pred = {N(0, 1), N(0.3, 1), N(-0.2, 2)};
  const std::vector<Point> front = {{0.0, 0.5, 0.0}, {0.5, 0.0, -1.0}};
  Rng a(5), b(5);
  EXPECT_EQ(ProbabilityNotDominated(pred, front, a), ProbabilityNotDominated(pred, front, b));
}

TEST(ParetoFrontIndicesTest, HandCases) {
  EXPECT_THAT(ParetoFrontIndices({}), IsEmpty());
  EXPECT_THAT(ParetoFrontIndices({{1.0, 2.0}}), ElementsAre(0));
  // (2, 2) is dominated by (1, 2) and (2, 1); (0, 5) trades off.
  EXPECT_THAT(ParetoFrontIndices({{1.0, 2.0}, {2.0, 1.0}, {2.0, 2.0}, {0.0, 5.0}}),
              ElementsAre(0, 1, 3));
  // A later point removes earlier ones it dominates.
  EXPECT_THAT(ParetoFrontIndices({{3.0, 3.0}, {2.0, 4.0}, {1.0, 1.0}, {0.0, 9.0}}),
              ElementsAre(2, 3));
  // One coordinate: the first minimum.
  EXPECT_THAT(ParetoFrontIndices({{3.0}, {1.0}, {2.0}, {1.0}}), ElementsAre(1));
  // Three coordinates.
  EXPECT_THAT(ParetoFrontIndices({{1, 2, 3}, {3, 2, 1}, {2, 2, 2}, {3, 3, 3}, {1, 2, 4}}),
              ElementsAre(0, 1, 2));
}

TEST(ParetoFrontIndicesTest, DuplicatesKeepTheFirst) {
  EXPECT_THAT(ParetoFrontIndices({{1.0, 1.0}, {1.0, 1.0}, {0.0, 2.0}}), ElementsAre(0, 2));
  EXPECT_THAT(ParetoFrontIndices({{0.0, 2.0}, {1.0, 1.0}, {1.0, 1.0}, {1.0, 1.0}}),
              ElementsAre(0, 1));
  // The duplicates are dominated by a later point: neither is kept.
  EXPECT_THAT(ParetoFrontIndices({{2.0, 2.0}, {2.0, 2.0}, {1.0, 1.0}, {1.0, 1.0}}),
              ElementsAre(2));
}

}  // namespace
}  // namespace edgenas
