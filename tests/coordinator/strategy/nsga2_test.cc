// Tests of Nsga2: settings, warm-up, steady-state truncation by rank and
// crowding (Pareto, lexicographic, one objective), binary tournaments,
// variation, and search progress on the synthetic objective.
#include "coordinator/strategy/nsga2.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/strategy/strategy_test_util.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::Archs;
using testing_util::Describe;
using testing_util::DistanceToTarget;
using testing_util::GenesDiffering;
using testing_util::MakeObservation;
using testing_util::MustCreate;
using testing_util::FactoryError;
using testing_util::Options;

StrategyOptions Nsga2Options(uint64_t seed, int population_size, int num_objectives = 1) {
  StrategyOptions o = Options("nsga2", seed);
  o.population_size = population_size;
  o.num_objectives = num_objectives;
  return o;
}

std::unique_ptr<Nsga2> MustCreateNsga2(const StrategyOptions& options, const SearchSpace* space) {
  return testing_util::MustCreateTyped<Nsga2>(options, space);
}


// Member x*5+y of a code whose words pairwise differ in at least 4 genes, so
// a one-gene mutant has exactly one possible parent.
Architecture Codeword(int x, int y) {
  Architecture a;
  a.genes.push_back(y);
  for (int k = 0; k < 5; ++k) a.genes.push_back((x + k * y) % 5);
  return a;
}

// Observes `scores[i]` for Codeword(i, 1), in order.
void ObserveCodewords(Strategy& s, const std::vector<std::vector<double>>& scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    s.Observe(MakeObservation(Codeword(static_cast<int>(i), 1), scores[i]));
  }
}

// Bad settings are refused naming the field; unknown keys are refused too.
TEST(Nsga2, RefusesBadSettingsNamingTheField) {
  StrategyOptions o = Nsga2Options(1, 1);
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.population_size: must be >= 2, got 1"));
  o = Nsga2Options(1, 8);
  o.params["crossover_prob"] = "1.5";
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.params.crossover_prob: "));
  o.params["crossover_prob"] = "often";
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.params.crossover_prob: "));
  o = Nsga2Options(1, 8);
  o.params["mutation_edits"] = "0";
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.params.mutation_edits: "));
  o = Nsga2Options(1, 8);
  o.params["sample_size"] = "3";
  EXPECT_EQ(FactoryError(o), "strategy.params.sample_size: unknown setting for nsga2");
  o = Nsga2Options(1, 8);
  o.params = {{"crossover_prob", "0"}, {"mutation_edits", "2"}};
  Nb201Space space;
  EXPECT_TRUE(CreateStrategy(o, &space).ok());
}

// Until population_size ok observations have arrived, suggestions are the
// uniform samples random search with the same seed would give.
TEST(Nsga2, SamplesUniformlyUntilThePopulationIsFull) {
  Nb201Space space;
  std::unique_ptr<Strategy> nsga = MustCreate(Nsga2Options(9, 4), &space);
  std::unique_ptr<Strategy> rnd = MustCreate(Options("random", 9), &space);
  const SuggestBatch first = nsga->Suggest(3);
  EXPECT_EQ(Archs(first), Archs(rnd->Suggest(3)));
  for (const Suggestion& s : first.suggestions) {
    nsga->OnPending(s);
    nsga->Observe(MakeObservation(s.arch, {1.0 * s.id}, EvalOutcome::kOk, s.id));
  }
  EXPECT_EQ(Archs(nsga->Suggest(2)), Archs(rnd->Suggest(2)));  // 3 < 4 members
}

// Steady state, one objective: each new member is inserted and the worst
// score leaves; exact ties send the oldest away.
TEST(Nsga2, SingleObjectiveTruncationDropsTheWorstThenTheOldest) {
  Nb201Space space;
  std::unique_ptr<Nsga2> nsga = MustCreateNsga2(Nsga2Options(1, 3), &space);
  ObserveCodewords(*nsga, {{5}, {1}, {3}, {2}});
  EXPECT_THAT(nsga->members(), ElementsAre(Codeword(1, 1), Codeword(2, 1), Codeword(3, 1)));
  EXPECT_THAT(nsga->ranks(), ElementsAre(0, 2, 1));
  nsga->Observe(MakeObservation(Codeword(4, 1), {3}));  // ties with the member scoring 3
  EXPECT_THAT(nsga->members(), ElementsAre(Codeword(1, 1), Codeword(3, 1), Codeword(4, 1)));
}

// Steady state, two objectives: a dominated newcomer leaves at once; within
// one front the least crowded member leaves (hand-computed distances).
TEST(Nsga2, ParetoTruncationDropsHighestRankThenLeastCrowded) {
  Nb201Space space;
  std::unique_ptr<Nsga2> nsga = MustCreateNsga2(Nsga2Options(1, 4, 2), &space);
  ObserveCodewords(*nsga, {{0, 10}, {10, 0}, {5, 5}, {1, 9}, {6, 6}});
  // (6,6) is dominated by (5,5): rank 1, dropped.
  EXPECT_THAT(nsga->members(),
              ElementsAre(Codeword(0, 1), Codeword(1, 1), Codeword(2, 1), Codeword(3, 1)));
  // Front {(0,10),(10,0),(5,5),(1,9)}: (5,5) gets 9/10 + 9/10, (1,9) gets
  // 5/10 + 5/10, the extremes infinity.
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THAT(nsga->crowding(), ElementsAre(inf, inf, ::testing::DoubleNear(1.8, 1e-12),
                                            ::testing::DoubleNear(1.0, 1e-12)));
  nsga->Observe(MakeObservation(Codeword(0, 2), {2, 7}));
  // Now (1,9): (2-0)/10 + (10-7)/10 = 0.5; (2,7): (5-1)/10 + (9-5)/10 = 0.8;
  // (5,5): (10-2)/10 + (7-0)/10 = 1.5: (1,9) leaves.
  EXPECT_THAT(nsga->members(),
              ElementsAre(Codeword(0, 1), Codeword(1, 1), Codeword(2, 1), Codeword(0, 2)));
}

// Lexicographic jobs rank by Ranks(points, true): (2,0) is last there even
// though it is a Pareto extreme.
TEST(Nsga2, LexicographicTruncationFollowsLexicographicOrder) {
  Nb201Space space;
  StrategyOptions pareto = Nsga2Options(1, 2, 2);
  StrategyOptions lex = pareto;
  lex.lexicographic = true;
  std::unique_ptr<Nsga2> a = MustCreateNsga2(pareto, &space);
  std::unique_ptr<Nsga2> b = MustCreateNsga2(lex, &space);
  for (Nsga2* s : {a.get(), b.get()}) ObserveCodewords(*s, {{0, 9}, {1, 1}, {2, 0}});
  // Pareto: one front of three, the middle (1,1) is least crowded.
  EXPECT_THAT(a->members(), ElementsAre(Codeword(0, 1), Codeword(2, 1)));
  EXPECT_THAT(b->members(), ElementsAre(Codeword(0, 1), Codeword(1, 1)));
}

// Failed, infeasible and malformed observations never join the population.
TEST(Nsga2, IgnoresUnusableObservations) {
  Nb201Space space;
  std::unique_ptr<Nsga2> nsga = MustCreateNsga2(Nsga2Options(1, 3), &space);
  const Architecture a = Nb201Space::FromIndex(77);
  nsga->Observe(MakeObservation(a, {}, EvalOutcome::kFailed, 0));
  nsga->Observe(MakeObservation(a, {0.1}, EvalOutcome::kInfeasible, 1));
  nsga->Observe(MakeObservation(a, {}));
  nsga->Observe(MakeObservation(a, {0.5, 0.5}));
  nsga->Observe(MakeObservation(a, {std::nan("")}));
  nsga->Observe(MakeObservation(Architecture{{9, 0, 0, 0, 0, 0}}, {0.5}));
  nsga->Observe(MakeObservation(Architecture{{1, 2}}, {0.5}));
  nsga->OnDuplicate({5, a}, nullptr);
  nsga->OnCancelled(6);
  EXPECT_TRUE(nsga->members().empty());
  EXPECT_EQ(nsga->Suggest(2).state, SuggestState::kReady);
}

// Binary tournaments between distinct members: the worst member never wins,
// so (without crossover) no child is its one-gene mutant; the others are
// parents.
TEST(Nsga2, BinaryTournamentNeverPicksTheWorstMember) {
  Nb201Space space;
  StrategyOptions o = Nsga2Options(4, 4);
  o.params["crossover_prob"] = "0";
  std::unique_ptr<Nsga2> nsga = MustCreateNsga2(o, &space);
  std::vector<Architecture> members;
  for (int i = 0; i < 4; ++i) members.push_back(Codeword(i, 2));
  for (int i = 0; i < 4; ++i) nsga->Observe(MakeObservation(members[i], {10.0 - i}));  // 0 worst
  std::set<int> parents;
  for (const Architecture& child : Archs(nsga->Suggest(200))) {
    int parent = -1;
    for (int i = 0; i < 4; ++i) {
      if (GenesDiffering(child, members[i]) == 1) parent = i;
    }
    parents.insert(parent);
  }
  EXPECT_EQ(parents, (std::set<int>{1, 2, 3}));
}

// With crossover, every gene of a child comes from one of two members except
// at most mutation_edits genes, and children are valid.
TEST(Nsga2, ChildrenAreCrossoversOfMembersPlusMutations) {
  Nb201Space space;
  StrategyOptions o = Nsga2Options(5, 4);
  o.params = {{"crossover_prob", "1"}, {"mutation_edits", "1"}};
  std::unique_ptr<Nsga2> nsga = MustCreateNsga2(o, &space);
  std::vector<Architecture> members = {
      Architecture{{0, 0, 0, 0, 0, 0}}, Architecture{{1, 1, 1, 1, 1, 1}},
      Architecture{{2, 2, 2, 2, 2, 2}}, Architecture{{3, 3, 3, 3, 3, 3}}};
  for (int i = 0; i < 4; ++i) nsga->Observe(MakeObservation(members[i], {1.0 * i}));
  int mixed = 0;
  for (const Architecture& child : Archs(nsga->Suggest(200))) {
    ASSERT_TRUE(space.Validate(child).ok());
    int best_foreign = 99;  // fewest genes from neither parent of any pair
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        int foreign = 0;
        for (int g = 0; g < 6; ++g) {
          foreign += child.genes[g] != members[i].genes[g] && child.genes[g] != members[j].genes[g];
        }
        best_foreign = std::min(best_foreign, foreign);
      }
    }
    EXPECT_LE(best_foreign, 1);
    std::set<int> values(child.genes.begin(), child.genes.end());
    mixed += values.size() >= 3;  // two parents' values plus a mutation at least once
  }
  EXPECT_GT(mixed, 0);
}

// The same seed and observations give the same children; another seed others.
TEST(Nsga2, IsDeterministicPerSeed) {
  Nb201Space space;
  auto run = [&](uint64_t seed) {
    std::unique_ptr<Strategy> s = MustCreate(Nsga2Options(seed, 4, 2), &space);
    std::vector<std::string> out;
    for (int round = 0; round < 10; ++round) {
      const SuggestBatch batch = s->Suggest(3);
      out.push_back(Describe(batch));
      for (const Suggestion& x : batch.suggestions) {
        s->OnPending(x);
        s->Observe(MakeObservation(x.arch, testing_util::SyntheticScores(x.arch, 2),
                                   EvalOutcome::kOk, x.id));
      }
    }
    return out;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

// On the synthetic objective, NSGA-II (one objective) reaches the target
// within 200 evaluations on most seeds (fixed seeds: deterministic).
TEST(Nsga2, FindsTheSyntheticOptimum) {
  Nb201Space space;
  int optima = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::unique_ptr<Strategy> s = MustCreate(Nsga2Options(seed, 12), &space);
    std::map<std::vector<int>, Observation> seen;
    double best = std::numeric_limits<double>::infinity();
    for (int draws = 0; seen.size() < 200 && draws < 5000; ++draws) {
      const Suggestion x = s->Suggest(1).suggestions.at(0);
      auto it = seen.find(x.arch.genes);
      if (it != seen.end()) {
        s->OnDuplicate(x, &it->second);
        continue;
      }
      s->OnPending(x);
      const Observation obs =
          MakeObservation(x.arch, {DistanceToTarget(x.arch)}, EvalOutcome::kOk, x.id);
      best = std::min(best, obs.scores[0]);
      seen.emplace(x.arch.genes, obs);
      s->Observe(obs);
    }
    optima += best == 0.0;
  }
  EXPECT_GE(optima, 4);
}

}  // namespace
}  // namespace edgenas
