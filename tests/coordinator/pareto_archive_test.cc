// Tests of coordinator/pareto_archive: the incremental front and its
// hypervolume agree with the brute-force math of common/pareto.h.
#include "coordinator/pareto_archive.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr Sense kMax = Sense::kMaximize;
constexpr Sense kMin = Sense::kMinimize;

struct Candidate {
  std::string id;
  Point point;
};

// Random points in [0, 1]^d; with `grid`, values snap to tenths so ties and
// exact duplicates are common.
std::vector<Candidate> RandomCandidates(size_t n, size_t dims, bool grid, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::uniform_int_distribution<int> tenth(0, 10);
  std::vector<Candidate> out;
  for (size_t i = 0; i < n; ++i) {
    Point p(dims);
    for (double& v : p) v = grid ? tenth(rng) / 10.0 : uniform(rng);
    out.push_back({"c" + std::to_string(i), p});
  }
  return out;
}

// A reference inside the unit box, so some points lie outside it.
Point ReferenceFor(const std::vector<Sense>& senses) {
  Point ref;
  for (Sense s : senses) ref.push_back(s == kMax ? 0.2 : 0.8);
  return ref;
}

// The front in the archive's documented order, computed the old way.
std::vector<ArchiveMember> BruteForceFront(const std::vector<Candidate>& candidates,
                                           const std::vector<Sense>& senses) {
  std::vector<Point> points;
  for (const Candidate& c : candidates) points.push_back(c.point);
  std::vector<ArchiveMember> front;
  for (int i : NonDominatedIndices(points, senses)) {
    front.push_back({candidates[i].id, candidates[i].point});
  }
  const double sign = senses[0] == kMax ? -1.0 : 1.0;
  std::sort(front.begin(), front.end(), [sign](const ArchiveMember& a, const ArchiveMember& b) {
    const double ka = sign * a.point[0];
    const double kb = sign * b.point[0];
    return std::tie(ka, a.id, a.point) < std::tie(kb, b.id, b.point);
  });
  return front;
}

double BruteForceHypervolume(const std::vector<Candidate>& candidates, const Point& reference,
                             const std::vector<Sense>& senses) {
  std::vector<Point> points;
  for (const Candidate& c : candidates) points.push_back(c.point);
  auto hv = edgenas::Hypervolume(points, reference, senses);
  return hv.ok() ? *hv : -1.0;
}

void ExpectSameFront(const std::vector<ArchiveMember>& got,
                     const std::vector<ArchiveMember>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id) << "position " << i;
    EXPECT_EQ(got[i].point, want[i].point) << "position " << i;
  }
}

// Inserts `candidates` in a few shuffled orders and checks each archive
// against the brute-force front and hypervolume.
void CheckAgainstBruteForce(const std::vector<Sense>& senses, size_t n, bool grid,
                            uint64_t seed) {
  SCOPED_TRACE(testing::Message() << "dims=" << senses.size() << " grid=" << grid
                                  << " seed=" << seed);
  std::vector<Candidate> candidates = RandomCandidates(n, senses.size(), grid, seed);
  const Point ref = ReferenceFor(senses);
  const std::vector<ArchiveMember> want_front = BruteForceFront(candidates, senses);
  const double want_hv = BruteForceHypervolume(candidates, ref, senses);
  ASSERT_GT(want_hv, 0.0);
  std::mt19937_64 rng(seed + 1000);
  for (int order = 0; order < 4; ++order) {
    if (order > 0) std::shuffle(candidates.begin(), candidates.end(), rng);
    ParetoArchive archive(senses, ref);
    for (const Candidate& c : candidates) archive.Insert(c.id, c.point);
    ExpectSameFront(archive.Front(), want_front);
    EXPECT_EQ(archive.FrontSize(), want_front.size());
    EXPECT_NEAR(archive.Hypervolume(), want_hv, 1e-12 * std::max(1.0, want_hv));
    EXPECT_EQ(archive.inserted(), static_cast<int64_t>(n));
    for (const ArchiveMember& m : want_front) EXPECT_TRUE(archive.OnFront(m.id)) << m.id;
  }
}

// With 2 objectives, any insert order gives the brute-force front and hypervolume.
TEST(ParetoArchive, MatchesBruteForceInAnyInsertOrderWithTwoObjectives) {
  const std::vector<std::vector<Sense>> sense_sets = {{kMax, kMin}, {kMin, kMin}, {kMax, kMax},
                                                      {kMin, kMax}};
  for (const auto& senses : sense_sets) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      CheckAgainstBruteForce(senses, /*n=*/300, /*grid=*/false, seed);
      CheckAgainstBruteForce(senses, /*n=*/300, /*grid=*/true, seed);
    }
  }
}

// With 3 objectives, any insert order gives the brute-force front and hypervolume.
TEST(ParetoArchive, MatchesBruteForceInAnyInsertOrderWithThreeObjectives) {
  const std::vector<std::vector<Sense>> sense_sets = {{kMax, kMin, kMin}, {kMin, kMax, kMin},
                                                      {kMin, kMin, kMin}};
  for (const auto& senses : sense_sets) {
    for (uint64_t seed = 11; seed <= 15; ++seed) {
      CheckAgainstBruteForce(senses, /*n=*/200, /*grid=*/false, seed);
      CheckAgainstBruteForce(senses, /*n=*/200, /*grid=*/true, seed);
    }
  }
}

// With 1 or 4 objectives the front still matches brute force; 4 has hypervolume 0.
TEST(ParetoArchive, MatchesBruteForceFrontWithOneAndFourObjectives) {
  for (const std::vector<Sense>& senses :
       {std::vector<Sense>{kMax}, std::vector<Sense>{kMax, kMin, kMin, kMax}}) {
    for (bool grid : {false, true}) {
      const auto candidates = RandomCandidates(/*n=*/200, senses.size(), grid, /*seed=*/21);
      ParetoArchive archive(senses, ReferenceFor(senses));
      for (const Candidate& c : candidates) archive.Insert(c.id, c.point);
      ExpectSameFront(archive.Front(), BruteForceFront(candidates, senses));
      if (senses.size() == 4) {
        EXPECT_EQ(archive.Hypervolume(), 0.0);
      } else {
        EXPECT_NEAR(archive.Hypervolume(),
                    BruteForceHypervolume(candidates, ReferenceFor(senses), senses), 1e-12);
      }
    }
  }
}

// A dominated point is counted but leaves the front and hypervolume as they were.
TEST(ParetoArchive, DominatedPointLeavesFrontUnchanged) {
  for (const std::vector<Sense>& senses :
       {std::vector<Sense>{kMax, kMin}, std::vector<Sense>{kMax, kMin, kMin}}) {
    ParetoArchive archive(senses, Point(senses.size(), 10.0));
    Point good(senses.size(), 1.0);
    good[0] = 5.0;
    Point worse = good;
    worse[1] = 2.0;  // same accuracy, higher latency
    ASSERT_TRUE(archive.Insert("good", good));
    const double hv = archive.Hypervolume();
    EXPECT_FALSE(archive.Insert("worse", worse));
    EXPECT_EQ(archive.FrontSize(), 1u);
    EXPECT_EQ(archive.Front()[0].id, "good");
    EXPECT_FALSE(archive.OnFront("worse"));
    EXPECT_EQ(archive.Hypervolume(), hv);
    EXPECT_EQ(archive.inserted(), 2);
  }
}

// Points equal to a member are kept beside it (neither dominates), ordered by id.
TEST(ParetoArchive, EqualPointsAreBothKept) {
  for (const std::vector<Sense>& senses :
       {std::vector<Sense>{kMax, kMin}, std::vector<Sense>{kMax, kMin, kMin}}) {
    ParetoArchive archive(senses, Point(senses.size(), 10.0));
    const Point p(senses.size(), 3.0);
    EXPECT_TRUE(archive.Insert("b", p));
    const double hv = archive.Hypervolume();
    EXPECT_TRUE(archive.Insert("a", p));
    ASSERT_EQ(archive.FrontSize(), 2u);
    EXPECT_EQ(archive.Front()[0].id, "a");
    EXPECT_EQ(archive.Front()[1].id, "b");
    EXPECT_TRUE(archive.OnFront("a"));
    EXPECT_TRUE(archive.OnFront("b"));
    EXPECT_EQ(archive.Hypervolume(), hv);
  }
}

// Insert returns true exactly when the point joins the front; dominated members leave.
TEST(ParetoArchive, InsertReturnsTrueOnlyWhenThePointJoinsTheFront) {
  ParetoArchive archive({kMax, kMin}, {0.0, 100.0});  // accuracy up, latency down
  EXPECT_TRUE(archive.Insert("a", {80.0, 10.0}));
  EXPECT_TRUE(archive.Insert("b", {90.0, 20.0}));   // trade-off: both kept
  EXPECT_FALSE(archive.Insert("c", {85.0, 25.0}));  // dominated by b
  EXPECT_FALSE(archive.Insert("d", {80.0, 10.5}));  // dominated by a
  EXPECT_TRUE(archive.Insert("e", {95.0, 5.0}));    // dominates a and b
  EXPECT_EQ(archive.FrontSize(), 1u);
  EXPECT_FALSE(archive.OnFront("a"));
  EXPECT_FALSE(archive.OnFront("b"));
  EXPECT_TRUE(archive.OnFront("e"));
  EXPECT_EQ(archive.inserted(), 5);
}

// The same as above through the scanning path used for 3 objectives.
TEST(ParetoArchive, InsertReturnValueWithThreeObjectives) {
  ParetoArchive archive({kMax, kMin, kMin}, {0.0, 100.0, 100.0});
  EXPECT_TRUE(archive.Insert("a", {80.0, 10.0, 5.0}));
  EXPECT_TRUE(archive.Insert("b", {80.0, 12.0, 4.0}));
  EXPECT_FALSE(archive.Insert("c", {79.0, 12.0, 4.0}));
  EXPECT_TRUE(archive.Insert("d", {81.0, 10.0, 4.0}));  // dominates a and b
  EXPECT_EQ(archive.FrontSize(), 1u);
  EXPECT_TRUE(archive.OnFront("d"));
  EXPECT_FALSE(archive.OnFront("a"));
}

// The hypervolume never decreases as points arrive, whatever the insert order.
TEST(ParetoArchive, HypervolumeNeverDecreases) {
  const std::vector<std::vector<Sense>> sense_sets = {{kMax, kMin}, {kMax, kMin, kMin}};
  for (const auto& senses : sense_sets) {
    for (uint64_t seed = 31; seed <= 33; ++seed) {
      ParetoArchive archive(senses, ReferenceFor(senses));
      double previous = 0.0;
      for (const Candidate& c : RandomCandidates(/*n=*/400, senses.size(), false, seed)) {
        archive.Insert(c.id, c.point);
        const double hv = archive.Hypervolume();
        EXPECT_GE(hv, previous) << c.id;
        previous = hv;
      }
      EXPECT_GT(previous, 0.0);
    }
  }
}

// A point not strictly better than the reference everywhere joins the front but adds no volume.
TEST(ParetoArchive, PointOutsideReferenceAddsNoHypervolume) {
  ParetoArchive archive({kMax, kMin}, {50.0, 10.0});
  EXPECT_TRUE(archive.Insert("slow", {99.0, 10.0}));  // latency equals the reference
  EXPECT_EQ(archive.Hypervolume(), 0.0);
  EXPECT_TRUE(archive.Insert("fast", {60.0, 4.0}));
  EXPECT_DOUBLE_EQ(archive.Hypervolume(), (60.0 - 50.0) * (10.0 - 4.0));
}

// Front() lists the best first objective first (maximised here), ties by id.
TEST(ParetoArchive, FrontIsSortedByFirstObjectiveThenId) {
  ParetoArchive archive({kMax, kMin}, {0.0, 100.0});
  archive.Insert("z", {70.0, 5.0});
  archive.Insert("m", {90.0, 20.0});
  archive.Insert("y", {80.0, 10.0});
  archive.Insert("b", {90.0, 20.0});
  std::vector<std::string> ids;
  for (const ArchiveMember& m : archive.Front()) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "m", "y", "z"}));
}

// Points of the wrong size or with non-finite values are rejected and not counted.
TEST(ParetoArchive, RejectsMalformedPoints) {
  ParetoArchive archive({kMax, kMin}, {0.0, 100.0});
  EXPECT_FALSE(archive.Insert("short", {1.0}));
  EXPECT_FALSE(archive.Insert("nan", {1.0, std::numeric_limits<double>::quiet_NaN()}));
  EXPECT_FALSE(archive.Insert("inf", {std::numeric_limits<double>::infinity(), 1.0}));
  EXPECT_EQ(archive.inserted(), 0);
  EXPECT_EQ(archive.FrontSize(), 0u);
  EXPECT_TRUE(archive.Front().empty());
  EXPECT_EQ(archive.Hypervolume(), 0.0);
}

// Explicit reference values win; unset ones come from the first point (0 / 2x / 1e-9 floor).
TEST(DeriveReference, UsesExplicitValuesElseTheFirstPoint) {
  const std::vector<Sense> senses = {kMax, kMin, kMin, kMin};
  const Point first = {85.0, 12.5, 0.0, 3.0};
  EXPECT_EQ(DeriveReference(senses, {std::nullopt, std::nullopt, std::nullopt, 7.0}, first),
            (Point{0.0, 25.0, 1e-9, 7.0}));
  EXPECT_EQ(DeriveReference(senses, {60.0, 40.0}, first), (Point{60.0, 40.0, 1e-9, 6.0}));
  EXPECT_EQ(DeriveReference(senses, {}, first), (Point{0.0, 25.0, 1e-9, 6.0}));
}

}  // namespace
}  // namespace edgenas
