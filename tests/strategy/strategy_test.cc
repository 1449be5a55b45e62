#include "coordinator/strategy/strategy.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "common/nb201_space.h"
#include "common/pareto.h"
#include "coordinator/strategy/regularized_evolution.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

StrategyOptions Options(const std::string& name, uint64_t seed = 1) {
  StrategyOptions o;
  o.name = name;
  o.seed = seed;
  return o;
}

std::unique_ptr<Strategy> MustCreate(const StrategyOptions& options, const SearchSpace* space) {
  absl::StatusOr<std::unique_ptr<Strategy>> s = CreateStrategy(options, space);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// Message of the factory's error for `options`.
std::string FactoryError(const StrategyOptions& options) {
  Nb201Space space;
  absl::StatusOr<std::unique_ptr<Strategy>> s = CreateStrategy(options, &space);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

int GenesDiffering(const Architecture& a, const Architecture& b) {
  int diff = 0;
  for (size_t i = 0; i < a.genes.size(); ++i) diff += a.genes[i] != b.genes[i];
  return diff;
}

// True when `child` is one gene away from some architecture in `parents`.
bool IsMutantOfAny(const Architecture& child, const std::vector<Architecture>& parents) {
  return std::any_of(parents.begin(), parents.end(),
                     [&](const Architecture& p) { return GenesDiffering(child, p) == 1; });
}

// Synthetic objective: how many genes differ from a fixed target (0 is best).
double DistanceToTarget(const Architecture& arch) {
  static const Architecture kTarget{{3, 1, 3, 2, 4, 3}};
  return GenesDiffering(arch, kTarget);
}

// Bad options are refused naming the field; known names are listed.
TEST(StrategyFactory, RefusesBadOptionsNamingTheField) {
  EXPECT_THAT(FactoryError(Options("annealing")),
              HasSubstr("strategy.name: unknown strategy \"annealing\"; known: random, "
                        "regularized_evolution"));
  StrategyOptions o = Options("regularized_evolution");
  o.population_size = 1;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.population_size"));
  o = Options("regularized_evolution");
  o.sample_size = 0;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.sample_size"));
  o.sample_size = o.population_size + 1;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.sample_size"));
  o = Options("random");
  o.num_objectives = 0;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.num_objectives"));
  EXPECT_EQ(CreateStrategy(Options("random"), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Every known name creates a strategy reporting that name.
TEST(StrategyFactory, CreatesEveryKnownStrategy) {
  Nb201Space space;
  for (const std::string& name : KnownStrategies()) {
    std::unique_ptr<Strategy> s = MustCreate(Options(name), &space);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->Name(), name);
  }
}

// Random search gives valid architectures, the same ones for the same seed.
TEST(RandomSearch, IsDeterministicPerSeed) {
  Nb201Space space;
  std::unique_ptr<Strategy> a = MustCreate(Options("random", 5), &space);
  std::unique_ptr<Strategy> b = MustCreate(Options("random", 5), &space);
  std::unique_ptr<Strategy> c = MustCreate(Options("random", 6), &space);
  const std::vector<Architecture> xs = a->Suggest(50);
  ASSERT_EQ(xs.size(), 50u);
  for (const Architecture& x : xs) EXPECT_TRUE(space.Validate(x).ok());
  EXPECT_EQ(xs, b->Suggest(50));
  EXPECT_NE(xs, c->Suggest(50));
  EXPECT_TRUE(a->Suggest(0).empty());
}

// Until the population is full, evolution suggests the same uniform samples
// as random search with the same seed.
TEST(RegularizedEvolution, SamplesRandomlyDuringWarmUp) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 9);
  o.population_size = 4;
  o.sample_size = 2;
  std::unique_ptr<Strategy> evo = MustCreate(o, &space);
  std::unique_ptr<Strategy> rnd = MustCreate(Options("random", 9), &space);
  std::vector<Architecture> first = evo->Suggest(3);
  EXPECT_EQ(first, rnd->Suggest(3));
  for (int i = 0; i < 3; ++i) evo->Observe({first[i], {1.0 * i}, false});
  EXPECT_EQ(evo->Suggest(2), rnd->Suggest(2));  // 3 < 4 observations: still random
}

// After warm-up every suggestion is a one-gene mutant of a population member.
TEST(RegularizedEvolution, SuggestsMutantsOfPopulationAfterWarmUp) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 3);
  o.population_size = 8;
  o.sample_size = 3;
  std::unique_ptr<Strategy> evo = MustCreate(o, &space);
  std::vector<Architecture> population;
  for (const Architecture& a : evo->Suggest(8)) {
    evo->Observe({a, {DistanceToTarget(a)}, false});
    population.push_back(a);
  }
  for (const Architecture& child : evo->Suggest(100)) {
    EXPECT_TRUE(space.Validate(child).ok());
    EXPECT_TRUE(IsMutantOfAny(child, population)) << space.Print(child);
  }
}

// With the tournament covering the whole population, the parent is always the
// single best member (one objective, smaller is better).
TEST(RegularizedEvolution, SingleObjectiveTournamentPicksSmallestScore) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 4);
  o.population_size = 5;
  o.sample_size = 5;
  std::unique_ptr<Strategy> evo = MustCreate(o, &space);
  const std::vector<Architecture> pop = evo->Suggest(5);
  for (int i = 0; i < 5; ++i) evo->Observe({pop[i], {i == 2 ? -1.0 : 10.0 + i}, false});
  for (const Architecture& child : evo->Suggest(50)) EXPECT_EQ(GenesDiffering(child, pop[2]), 1);
}

// With several objectives, parents come only from the non-dominated members,
// and every non-dominated member gets picked.
TEST(RegularizedEvolution, MultiObjectiveParentsAreNonDominated) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 11);
  o.num_objectives = 2;
  o.population_size = 4;
  o.sample_size = 4;
  std::unique_ptr<Strategy> evo = MustCreate(o, &space);
  // Four architectures far apart (every gene differs pairwise), so a
  // mutant's parent is unambiguous.
  const std::vector<Architecture> pop = {
      Architecture{{0, 0, 0, 0, 0, 0}}, Architecture{{1, 1, 1, 1, 1, 1}},
      Architecture{{2, 2, 2, 2, 2, 2}}, Architecture{{3, 3, 3, 3, 3, 3}}};
  const std::vector<std::vector<double>> scores = {{1, 4}, {4, 1}, {3, 3}, {2, 2}};
  for (int i = 0; i < 4; ++i) evo->Observe({pop[i], scores[i], false});
  std::set<int> parents;
  for (const Architecture& child : evo->Suggest(200)) {
    for (int i = 0; i < 4; ++i) {
      if (GenesDiffering(child, pop[i]) == 1) parents.insert(i);
    }
  }
  EXPECT_EQ(parents, (std::set<int>{0, 1, 3}));  // {3,3} is dominated by {2,2}
}

// Failed observations (and malformed ones) never join the population.
TEST(RegularizedEvolution, IgnoresFailedObservations) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 2);
  o.population_size = 3;
  o.sample_size = 2;
  absl::StatusOr<std::unique_ptr<Strategy>> created = CreateStrategy(o, &space);
  ASSERT_TRUE(created.ok());
  auto* evo = dynamic_cast<RegularizedEvolution*>(created->get());
  ASSERT_NE(evo, nullptr);
  const Architecture a{{1, 2, 3, 4, 0, 1}};
  evo->Observe({a, {}, true});
  evo->Observe({a, {0.5}, true});
  evo->Observe({a, {0.5, 0.5}, false});                            // wrong number of scores
  evo->Observe({a, {std::nan("")}, false});                        // not a number
  evo->Observe({Architecture{{9, 0, 0, 0, 0, 0}}, {0.5}, false});  // invalid gene
  EXPECT_TRUE(evo->population().empty());
  // Still warming up: suggestions equal random search's.
  std::unique_ptr<Strategy> rnd = MustCreate(Options("random", 2), &space);
  EXPECT_EQ(evo->Suggest(5), rnd->Suggest(5));
}

// The population keeps the newest population_size members, oldest dropped first.
TEST(RegularizedEvolution, AgesOutOldestMember) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 8);
  o.population_size = 3;
  o.sample_size = 3;
  RegularizedEvolution evo(o, &space);
  std::vector<Architecture> seen;
  for (int i = 0; i < 5; ++i) {
    seen.push_back(Nb201Space::FromIndex(i * 3001));
    evo.Observe({seen.back(), {0.0 + i}, false});
  }
  ASSERT_EQ(evo.population().size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(evo.population()[i].arch, seen[i + 2]);
  // The best-ever member (score 0) aged out, so the best survivor (score 2) is the parent.
  for (const Architecture& child : evo.Suggest(20)) EXPECT_EQ(GenesDiffering(child, seen[2]), 1);
}

// The same seed and call sequence replays the same suggestions.
TEST(RegularizedEvolution, IsDeterministicPerSeedAndCallSequence) {
  Nb201Space space;
  StrategyOptions o = Options("regularized_evolution", 21);
  o.population_size = 6;
  o.sample_size = 2;
  std::unique_ptr<Strategy> a = MustCreate(o, &space);
  std::unique_ptr<Strategy> b = MustCreate(o, &space);
  for (int round = 0; round < 30; ++round) {
    const std::vector<Architecture> xa = a->Suggest(2);
    ASSERT_EQ(xa, b->Suggest(2)) << round;
    for (const Architecture& x : xa) {
      a->Observe({x, {DistanceToTarget(x)}, false});
      b->Observe({x, {DistanceToTarget(x)}, false});
    }
  }
}

// Best score after `budget` sequential evaluations of DistanceToTarget.
double BestAfter(Strategy& strategy, int budget) {
  double best = 1e9;
  for (int i = 0; i < budget; ++i) {
    const Architecture x = strategy.Suggest(1).at(0);
    const double score = DistanceToTarget(x);
    best = std::min(best, score);
    strategy.Observe({x, {score}, false});
  }
  return best;
}

// On a smooth synthetic objective, evolution beats random search over the
// same budget (fixed seeds, so the comparison is deterministic).
TEST(RegularizedEvolution, BeatsRandomSearchOnSyntheticObjective) {
  Nb201Space space;
  double evo_total = 0, random_total = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    StrategyOptions o = Options("regularized_evolution", seed);
    o.population_size = 20;
    o.sample_size = 5;
    evo_total += BestAfter(*MustCreate(o, &space), /*budget=*/150);
    random_total += BestAfter(*MustCreate(Options("random", seed), &space), /*budget=*/150);
  }
  EXPECT_LT(evo_total, random_total);
  EXPECT_EQ(evo_total, 0.0);  // evolution reaches the target on every seed
}

}  // namespace
}  // namespace edgenas
