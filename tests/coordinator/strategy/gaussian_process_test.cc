// Tests of GaussianProcess: sparse vectors, interpolation of training points,
// reversion to the prior far from data, hyperparameter choice on the grid,
// refusal of unusable input, and results pinned on a seeded dataset (the
// values the hand-written Cholesky gave before the port to Eigen).
#include "coordinator/strategy/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <memory>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Owns the sparse vectors a GaussianProcess points into.
struct Data {
  std::vector<std::unique_ptr<SparseVector>> owned;
  std::vector<const SparseVector*> x;
  std::vector<double> y;
  void Add(const std::vector<float>& dense, double target) {
    owned.push_back(std::make_unique<SparseVector>(ToSparse(dense)));
    x.push_back(owned.back().get());
    y.push_back(target);
  }
};

double Mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / v.size();
}

double PopulationStddev(const std::vector<double>& v) {
  const double m = Mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

TEST(SparseVectorTest, ToSparseDropsZerosAndKeepsNorm) {
  const SparseVector v = ToSparse({0.f, 1.5f, 0.f, -2.f, 0.f});
  EXPECT_THAT(v.entries, ElementsAre(Pair(1, 1.5f), Pair(3, -2.f)));
  EXPECT_DOUBLE_EQ(v.norm2, 1.5 * 1.5 + 4.0);
  const SparseVector empty = ToSparse({0.f, 0.f});
  EXPECT_TRUE(empty.entries.empty());
  EXPECT_EQ(empty.norm2, 0.0);
}

TEST(SparseVectorTest, DotMatchesDense) {
  const std::vector<float> a = {0.f, 1.5f, 0.f, -2.f, 3.f, 0.f, 1.f};
  const std::vector<float> b = {1.f, 2.f, 5.f, 4.f, 0.f, 0.f, 1.f};
  double dense = 0.0;
  for (size_t i = 0; i < a.size(); ++i) dense += a[i] * b[i];
  EXPECT_DOUBLE_EQ(Dot(ToSparse(a), ToSparse(b)), dense);
  EXPECT_DOUBLE_EQ(Dot(ToSparse(b), ToSparse(a)), dense);
  EXPECT_DOUBLE_EQ(Dot(ToSparse(a), ToSparse(a)), ToSparse(a).norm2);
  EXPECT_EQ(Dot(ToSparse({1.f, 0.f}), ToSparse({0.f, 1.f})), 0.0);
  EXPECT_EQ(Dot(ToSparse(a), SparseVector{}), 0.0);
}

TEST(GaussianProcessTest, InterpolatesTrainingPointsWithSmallNoise) {
  Data d;
  for (int i = 0; i < 6; ++i) {
    const float t = 0.5f * i;
    d.Add({t, 1.f - t}, std::sin(t) * 10.0 + 3.0);
  }
  GaussianProcess gp;
  const GpHyper hyper{/*lengthscale=*/1.0, /*noise=*/1e-6};
  ASSERT_TRUE(gp.Fit(d.x, d.y, &hyper));
  EXPECT_TRUE(gp.fitted());
  EXPECT_EQ(gp.hyper().lengthscale, 1.0);
  EXPECT_EQ(gp.hyper().noise, 1e-6);
  const double scale = PopulationStddev(d.y);
  for (size_t i = 0; i < d.x.size(); ++i) {
    const GpPrediction p = gp.Predict(*d.x[i]);
    EXPECT_NEAR(p.mean, d.y[i], 1e-2 * scale) << "point " << i;
    EXPECT_LT(p.stddev, 1e-2 * scale) << "point " << i;
  }
  // Between training points the uncertainty is larger than at them.
  const GpPrediction between = gp.Predict(ToSparse({0.25f, 0.75f}));
  EXPECT_GT(between.stddev, gp.Predict(*d.x[0]).stddev);
}

TEST(GaussianProcessTest, RevertsToThePriorFarFromData) {
  Data d;
  d.Add({1.f, 0.f, 0.f}, 2.0);
  d.Add({0.f, 1.f, 0.f}, 5.0);
  d.Add({0.f, 0.f, 1.f}, -1.0);
  d.Add({1.f, 1.f, 0.f}, 4.0);
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  const GpPrediction far = gp.Predict(ToSparse({50.f, -50.f, 50.f}));
  EXPECT_NEAR(far.mean, Mean(d.y), 1e-9);
  EXPECT_NEAR(far.stddev, PopulationStddev(d.y), 1e-6);
  // Near the data the posterior is tighter than the prior.
  EXPECT_LT(gp.Predict(*d.x[1]).stddev, far.stddev);
}

TEST(GaussianProcessTest, GridChoosesAFiniteHyperFromTheGrid) {
  Data d;
  for (int i = 0; i < 12; ++i) {
    std::vector<float> dense(8, 0.f);
    dense[i % 8] = 1.f;
    dense[(i * 3 + 1) % 8] += 1.f;
    d.Add(dense, (i * 7) % 5 + 0.1 * i);
  }
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  const GpHyper h = gp.hyper();
  EXPECT_TRUE(std::isfinite(h.lengthscale));
  EXPECT_TRUE(std::isfinite(h.noise));
  bool on_grid = false;
  for (const GpHyper& g : GaussianProcess::Grid()) {
    on_grid = on_grid || (g.lengthscale == h.lengthscale && g.noise == h.noise);
  }
  EXPECT_TRUE(on_grid);
  EXPECT_EQ(GaussianProcess::Grid().size(), 20u);
  for (const SparseVector* x : d.x) {
    const GpPrediction p = gp.Predict(*x);
    EXPECT_TRUE(std::isfinite(p.mean));
    EXPECT_TRUE(std::isfinite(p.stddev));
    EXPECT_GT(p.stddev, 0.0);
  }
}

TEST(GaussianProcessTest, GridPrefersLargestNoiseForContradictoryRepeats) {
  // The same input with alternating targets: only noise can explain them.
  Data d;
  for (int i = 0; i < 10; ++i) d.Add({1.f, 2.f}, i % 2);
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  double largest = 0.0;
  for (const GpHyper& g : GaussianProcess::Grid()) largest = std::max(largest, g.noise);
  EXPECT_EQ(gp.hyper().noise, largest);
  EXPECT_NEAR(gp.Predict(*d.x[0]).mean, 0.5, 0.05);
}

TEST(GaussianProcessTest, ConstantTargetsPredictTheConstant) {
  Data d;
  d.Add({1.f}, 7.0);
  d.Add({2.f}, 7.0);
  d.Add({4.f}, 7.0);
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  EXPECT_NEAR(gp.Predict(ToSparse({3.f})).mean, 7.0, 1e-9);
  EXPECT_NEAR(gp.Predict(ToSparse({100.f})).mean, 7.0, 1e-9);
}

TEST(GaussianProcessTest, SinglePoint) {
  Data d;
  d.Add({1.f, 1.f}, 3.0);
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  EXPECT_NEAR(gp.Predict(*d.x[0]).mean, 3.0, 1e-9);
}

TEST(GaussianProcessTest, FitRefusesEmptyOrMismatchedInput) {
  GaussianProcess gp;
  EXPECT_FALSE(gp.Fit({}, {}));
  EXPECT_FALSE(gp.fitted());
  Data d;
  d.Add({1.f}, 1.0);
  d.Add({2.f}, 2.0);
  EXPECT_FALSE(gp.Fit(d.x, {1.0}));
  EXPECT_FALSE(gp.fitted());
  // A failed Fit leaves a previously fitted model unfitted, not stale.
  ASSERT_TRUE(gp.Fit(d.x, d.y));
  EXPECT_TRUE(gp.fitted());
  EXPECT_FALSE(gp.Fit({}, {}));
  EXPECT_FALSE(gp.fitted());
}

TEST(GaussianProcessTest, UnfactorisableHyperFails) {
  // Two identical inputs with a zero-noise kernel: the matrix is singular
  // up to the 1e-9 jitter, which still factorises; a negative noise does not.
  Data d;
  d.Add({1.f}, 1.0);
  d.Add({1.f}, 2.0);
  GaussianProcess gp;
  const GpHyper bad{/*lengthscale=*/1.0, /*noise=*/-1.0};
  EXPECT_FALSE(gp.Fit(d.x, d.y, &bad));
  EXPECT_FALSE(gp.fitted());
  const GpHyper jitter_only{/*lengthscale=*/1.0, /*noise=*/0.0};
  EXPECT_TRUE(gp.Fit(d.x, d.y, &jitter_only));
}

TEST(GaussianProcessTest, NanKernelFails) {
  // A zero lengthscale makes the kernel of identical inputs 0 * inf = NaN:
  // a NaN pivot is refused like a non-positive one.
  Data d;
  d.Add({1.f}, 1.0);
  d.Add({1.f}, 2.0);
  GaussianProcess gp;
  const GpHyper nan_kernel{/*lengthscale=*/0.0, /*noise=*/1e-2};
  EXPECT_FALSE(gp.Fit(d.x, d.y, &nan_kernel));
  EXPECT_FALSE(gp.fitted());
}

// A uniform double in [0, 1) from the engine's raw output (the standard
// fixes mt19937_64's sequence but not uniform_real_distribution's).
double Uniform(std::mt19937_64* gen) { return static_cast<double>((*gen)() >> 11) * 0x1.0p-53; }

// 14 sparse 12-dimensional inputs (one repeated) with noisy linear targets,
// then 7 query points: 3 training inputs, 3 fresh ones and the origin.
struct Golden {
  Data d;
  std::vector<SparseVector> queries;
};

Golden MakeGolden() {
  std::mt19937_64 gen(22);
  constexpr int kDim = 12;
  auto draw = [&gen]() {
    std::vector<float> dense(kDim, 0.f);
    for (int j = 0; j < kDim; ++j) {
      if (Uniform(&gen) < 0.35) dense[j] = static_cast<float>(2.0 * Uniform(&gen));
    }
    return dense;
  };
  Golden g;
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < 13; ++i) inputs.push_back(draw());
  inputs.push_back(inputs[4]);
  for (const std::vector<float>& x : inputs) {
    double y = 0.1 * (Uniform(&gen) - 0.5);
    for (int j = 0; j < kDim; ++j) y += ((j % 5) - 2.0 + 0.3 * j) * x[j];
    g.d.Add(x, y);
  }
  for (int i : {0, 4, 9}) g.queries.push_back(*g.d.x[i]);
  for (int i = 0; i < 3; ++i) g.queries.push_back(ToSparse(draw()));
  g.queries.push_back(SparseVector{});
  return g;
}

// |actual - expected| <= 1e-9 * max(1, |expected|); prints 17 digits.
void ExpectClose(double actual, double expected, const char* what, int i) {
  EXPECT_LE(std::abs(actual - expected), 1e-9 * std::max(1.0, std::abs(expected)))
      << what << " " << i << ": actual " << std::setprecision(17) << actual << ", expected "
      << expected;
}

struct GoldenPrediction {
  double mean, stddev;
};

void ExpectGolden(const GaussianProcess& gp, const Golden& g, double log_ml,
                  const std::vector<GoldenPrediction>& expected) {
  ExpectClose(gp.log_marginal_likelihood(), log_ml, "log_ml", -1);
  ASSERT_EQ(expected.size(), g.queries.size());
  for (size_t i = 0; i < g.queries.size(); ++i) {
    const GpPrediction p = gp.Predict(g.queries[i]);
    ExpectClose(p.mean, expected[i].mean, "mean", static_cast<int>(i));
    ExpectClose(p.stddev, expected[i].stddev, "stddev", static_cast<int>(i));
  }
}

// The expected values below were printed by the hand-written Cholesky and
// triangular solves (main at bbce445) and must survive changes to the linear
// algebra up to rounding.
TEST(GaussianProcessGoldenTest, GridFitMatchesPinnedValues) {
  const Golden g = MakeGolden();
  GaussianProcess gp;
  ASSERT_TRUE(gp.Fit(g.d.x, g.d.y));
  EXPECT_EQ(gp.hyper().lengthscale, 2.0);
  EXPECT_EQ(gp.hyper().noise, 1e-3);
  ExpectGolden(gp, g, -14.214585113910051,
               {{9.4019177558967044, 0.12523070903598074},
                {4.4520694426133458, 0.088655203854921413},
                {1.3076381272757276, 0.12504651927373647},
                {5.7783512757193032, 1.6920436502177312},
                {9.5271974248738012, 2.4942166278217135},
                {3.6293288480282091, 2.6536748370246666},
                {0.72365130944984468, 0.615141720964552}});
}

TEST(GaussianProcessGoldenTest, FixedHyperFitMatchesPinnedValues) {
  const Golden g = MakeGolden();
  GaussianProcess gp;
  const GpHyper hyper{/*lengthscale=*/1.5, /*noise=*/1e-3};
  ASSERT_TRUE(gp.Fit(g.d.x, g.d.y, &hyper));
  ExpectGolden(gp, g, -14.352665520094252,
               {{9.4026182213292486, 0.12532937075094114},
                {4.452869405699829, 0.088672611699928072},
                {1.3026356795897591, 0.12524702440575794},
                {5.9161849563197073, 2.3523718929477369},
                {8.6657629622812919, 3.2527926835123906},
                {4.1413049740402146, 3.3364484522801137},
                {0.88954526381080967, 0.88551645161673931}});
}

}  // namespace
}  // namespace edgenas
