// Tests of RegularizedEvolution: population rules (what joins, what ages
// out), warm-up, mutation, tournaments with one and several objectives, and
// that it beats random search on a synthetic objective.
#include "coordinator/strategy/regularized_evolution.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "spaces/nb201/nb201_space.h"
#include "gtest/gtest.h"
#include "tests/coordinator/strategy/strategy_test_util.h"

namespace edgenas {
namespace {

using testing_util::Archs;
using testing_util::DistanceToTarget;
using testing_util::GenesDiffering;
using testing_util::MakeObservation;
using testing_util::MustCreate;
using testing_util::Options;

StrategyOptions EvolutionOptions(uint64_t seed, int population_size, int sample_size,
                                 int num_objectives = 1) {
  StrategyOptions o = Options("regularized_evolution", seed);
  o.population_size = population_size;
  o.sample_size = sample_size;
  o.num_objectives = num_objectives;
  return o;
}

// Member x*5+y of a code whose words pairwise differ in at least 4 genes, so
// a one-gene mutant has exactly one possible parent.
Architecture Codeword(int x, int y) {
  Architecture a;
  a.genes.push_back(y);
  for (int k = 0; k < 5; ++k) a.genes.push_back((x + k * y) % 5);
  return a;
}

// Index of the member of `members` that `child` is a one-gene mutant of, or -1.
int ParentOf(const Architecture& child, const std::vector<Architecture>& members) {
  for (size_t i = 0; i < members.size(); ++i) {
    if (GenesDiffering(child, members[i]) == 1) return static_cast<int>(i);
  }
  return -1;
}

// Indices of the members chosen as parents over `n` suggestions.
std::set<int> ParentsOver(Strategy& evo, int n, const std::vector<Architecture>& members) {
  std::set<int> parents;
  for (const Architecture& child : Archs(evo.Suggest(n))) parents.insert(ParentOf(child, members));
  return parents;
}

// Until the population is full, suggestions are the uniform samples random
// search with the same seed would give.
TEST(RegularizedEvolution, SamplesUniformlyDuringWarmUp) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(9, 4, 2), &space);
  std::unique_ptr<Strategy> rnd = MustCreate(Options("random", 9), &space);
  const SuggestBatch first = evo.Suggest(3);
  EXPECT_EQ(Archs(first), Archs(rnd->Suggest(3)));
  for (const Suggestion& s : first.suggestions) {
    evo.OnPending(s);
    evo.Observe(MakeObservation(s.arch, {1.0 * s.id}, EvalOutcome::kOk, s.id));
  }
  EXPECT_EQ(Archs(evo.Suggest(2)), Archs(rnd->Suggest(2)));  // 3 < 4 members: still sampling
}

// Failed and infeasible observations neither join the population nor push
// members out of it, before or after it is full.
TEST(RegularizedEvolution, FailedAndInfeasibleNeitherEnterNorFlush) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(2, 3, 2), &space);
  const Architecture bad = Nb201Space::FromIndex(42);
  evo.Observe(MakeObservation(bad, {}, EvalOutcome::kFailed, 0));
  evo.Observe(MakeObservation(bad, {0.1}, EvalOutcome::kInfeasible, 1));
  EXPECT_TRUE(evo.population().empty());
  std::vector<Architecture> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(Nb201Space::FromIndex(100 + i));
    evo.Observe(MakeObservation(members.back(), {1.0 + i}, EvalOutcome::kOk, 2 + i));
  }
  for (int i = 0; i < 5; ++i) {
    evo.Observe(MakeObservation(bad, {}, EvalOutcome::kFailed, 10 + i));
    evo.Observe(MakeObservation(bad, {-5.0}, EvalOutcome::kInfeasible, 20 + i));
  }
  ASSERT_EQ(evo.population().size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(evo.population()[i].arch, members[i]);
}

// Ok observations that could not serve as parents (wrong number of scores,
// non-finite scores, invalid genes) are ignored too.
TEST(RegularizedEvolution, IgnoresMalformedOkObservations) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(2, 3, 2), &space);
  const Architecture a{{1, 2, 3, 4, 0, 1}};
  evo.Observe(MakeObservation(a, {}));
  evo.Observe(MakeObservation(a, {0.5, 0.5}));
  evo.Observe(MakeObservation(a, {std::nan("")}));
  evo.Observe(MakeObservation(a, {std::numeric_limits<double>::infinity()}));
  evo.Observe(MakeObservation(Architecture{{9, 0, 0, 0, 0, 0}}, {0.5}));
  evo.Observe(MakeObservation(Architecture{{1, 2}}, {0.5}));
  EXPECT_TRUE(evo.population().empty());
}

// A duplicate suggestion is not a new member, whether the known candidate
// has finished or is still in flight.
TEST(RegularizedEvolution, DuplicatesDoNotAddMembers) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(5, 3, 2), &space);
  const SuggestBatch batch = evo.Suggest(3);
  evo.OnPending(batch.suggestions[0]);
  const Observation known =
      MakeObservation(batch.suggestions[0].arch, {0.5}, EvalOutcome::kOk, batch.suggestions[0].id);
  evo.OnDuplicate(batch.suggestions[1], nullptr);  // while the first is in flight
  evo.Observe(known);
  evo.OnDuplicate(batch.suggestions[2], &known);
  for (int i = 0; i < 4; ++i) evo.OnDuplicate({100 + i, known.arch}, &known);
  ASSERT_EQ(evo.population().size(), 1u);
  EXPECT_EQ(evo.population()[0].arch, known.arch);
  // Still warming up: the next suggestions are random search's.
  std::unique_ptr<Strategy> rnd = MustCreate(Options("random", 5), &space);
  rnd->Suggest(3);
  EXPECT_EQ(Archs(evo.Suggest(4)), Archs(rnd->Suggest(4)));
}

// Architectures the strategy did not suggest (kNoSuggestion, e.g. the job's
// initial architectures) join the population like any other.
TEST(RegularizedEvolution, AcceptsUnsuggestedArchitecturesAsMembers) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(5, 2, 2), &space);
  const Architecture a = Nb201Space::FromIndex(1234);
  const Architecture b = Nb201Space::FromIndex(4321);
  evo.Observe(MakeObservation(a, {2.0}));
  evo.Observe(MakeObservation(b, {1.0}));
  ASSERT_EQ(evo.population().size(), 2u);
  EXPECT_EQ(evo.population()[0].suggestion_id, kNoSuggestion);
  // Full now: suggestions mutate a or b.
  for (const Architecture& child : Archs(evo.Suggest(20))) {
    EXPECT_EQ(std::min(GenesDiffering(child, a), GenesDiffering(child, b)), 1);
  }
}

// The population never exceeds population_size and keeps the newest
// members, oldest first; the best-ever member ages out like any other.
TEST(RegularizedEvolution, KeepsOnlyTheNewestPopulationSizeMembers) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(8, 3, 3), &space);
  std::vector<Architecture> seen;
  for (int i = 0; i < 10; ++i) {
    seen.push_back(Nb201Space::FromIndex(i * 1501));
    evo.Observe(MakeObservation(seen.back(), {0.0 + i}));
    EXPECT_EQ(evo.population().size(), static_cast<size_t>(std::min(i + 1, 3)));
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(evo.population()[i].arch, seen[7 + i]);
  // Scores 0..6 aged out, so the best survivor (score 7) is every parent.
  for (const Architecture& child : Archs(evo.Suggest(20))) {
    EXPECT_EQ(GenesDiffering(child, seen[7]), 1);
  }
}

// Once the population is full, every suggestion is a valid one-gene mutant
// of a member.
TEST(RegularizedEvolution, SuggestsOneGeneMutantsOfMembersOnceFull) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(3, 8, 3), &space);
  std::vector<Architecture> members;
  for (const Suggestion& s : evo.Suggest(8).suggestions) {
    evo.OnPending(s);
    evo.Observe(MakeObservation(s.arch, {DistanceToTarget(s.arch)}, EvalOutcome::kOk, s.id));
    members.push_back(s.arch);
  }
  const SuggestBatch children = evo.Suggest(100);
  EXPECT_EQ(children.state, SuggestState::kReady);
  for (const Suggestion& child : children.suggestions) {
    EXPECT_TRUE(space.Validate(child.arch).ok());
    EXPECT_NE(ParentOf(child.arch, members), -1) << space.Print(child.arch);
  }
}

// One objective, tournament over the whole population: the parent is always
// the member with the smallest score.
TEST(RegularizedEvolution, SingleObjectiveTournamentPicksSmallestScore) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(4, 5, 5), &space);
  std::vector<Architecture> members;
  for (int i = 0; i < 5; ++i) {
    members.push_back(Codeword(i, i));
    evo.Observe(MakeObservation(members.back(), {i == 2 ? -1.0 : 10.0 + i}));
  }
  EXPECT_EQ(ParentsOver(evo, 50, members), std::set<int>{2});
}

// Several objectives: a member dominating the rest of the sample always wins.
TEST(RegularizedEvolution, MultiObjectiveTournamentPicksTheDominatingMember) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(4, 4, 4, /*num_objectives=*/2), &space);
  const std::vector<std::vector<double>> scores = {{3, 3}, {2, 5}, {1, 1}, {5, 2}};
  std::vector<Architecture> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(Codeword(i, 1));
    evo.Observe(MakeObservation(members.back(), scores[i]));
  }
  EXPECT_EQ(ParentsOver(evo, 50, members), std::set<int>{2});
}

// Several objectives, partial samples: a member that every possible sample
// holding it also holds a dominator of never wins; non-dominated ones do.
TEST(RegularizedEvolution, MultiObjectiveTournamentPrefersNonDominatedMembers) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(6, 6, 4, /*num_objectives=*/2), &space);
  // 0-3: a front; 4: dominated by 0-3 (any 4-sample holding 4 holds one of
  // them); 5: dominated by everything.
  const std::vector<std::vector<double>> scores = {{1, 8}, {2, 6}, {4, 3}, {7, 1}, {8, 8}, {9, 9}};
  std::vector<Architecture> members;
  for (int i = 0; i < 6; ++i) {
    members.push_back(Codeword(i % 5, 1 + i / 5));
    evo.Observe(MakeObservation(members.back(), scores[i]));
  }
  const std::set<int> parents = ParentsOver(evo, 400, members);
  EXPECT_EQ(parents, (std::set<int>{0, 1, 2, 3}));
}

// Several objectives, whole-population sample: within the non-dominated
// front, crowding distance prefers the extremes over the middle member, and
// the seeded draw between the two extremes picks each of them.
TEST(RegularizedEvolution, MultiObjectiveTournamentBreaksFrontTiesByCrowding) {
  Nb201Space space;
  RegularizedEvolution evo(EvolutionOptions(11, 4, 4, /*num_objectives=*/2), &space);
  const std::vector<std::vector<double>> scores = {{1, 4}, {4, 1}, {3, 3}, {2, 2}};
  std::vector<Architecture> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(Codeword(i, 2));
    evo.Observe(MakeObservation(members.back(), scores[i]));
  }
  EXPECT_EQ(ParentsOver(evo, 200, members), (std::set<int>{0, 1}));  // not 3 (middle), not 2
}

// Best DistanceToTarget after `budget` distinct evaluations, driving the
// strategy as the runtime does: a repeated architecture is reported with
// OnDuplicate and costs no evaluation.
double BestAfter(Strategy& strategy, int budget) {
  std::map<std::vector<int>, Observation> seen;
  double best = std::numeric_limits<double>::infinity();
  for (int draws = 0; static_cast<int>(seen.size()) < budget && draws < 50 * budget; ++draws) {
    const Suggestion x = strategy.Suggest(1).suggestions.at(0);
    auto it = seen.find(x.arch.genes);
    if (it != seen.end()) {
      strategy.OnDuplicate(x, &it->second);
      continue;
    }
    strategy.OnPending(x);
    const Observation obs =
        MakeObservation(x.arch, {DistanceToTarget(x.arch)}, EvalOutcome::kOk, x.id);
    best = std::min(best, obs.scores[0]);
    seen.emplace(x.arch.genes, obs);
    strategy.Observe(obs);
  }
  return best;
}

// On a smooth synthetic objective, evolution beats random search over the
// same evaluation budget: it reaches the optimum on more seeds and ends
// closer on the sum (fixed seeds, so the comparison is deterministic).
TEST(RegularizedEvolution, BeatsRandomSearchOnSyntheticObjective) {
  Nb201Space space;
  double evo_total = 0, random_total = 0;
  int evo_optima = 0, random_optima = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const double evo = BestAfter(*MustCreate(EvolutionOptions(seed, 20, 5), &space), 150);
    const double rnd = BestAfter(*MustCreate(Options("random", seed), &space), 150);
    evo_total += evo;
    random_total += rnd;
    evo_optima += evo == 0.0;
    random_optima += rnd == 0.0;
  }
  EXPECT_LT(evo_total, random_total);
  EXPECT_GT(evo_optima, random_optima);
  EXPECT_GE(evo_optima, 5) << "evolution should reach the target on most seeds";
}

}  // namespace
}  // namespace edgenas
