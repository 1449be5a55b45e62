// Tests of LocalSearch: settings, first-improvement moves, restarts at local
// optima, parallel hand-out of neighbourhoods (wait and sample modes),
// duplicates and cancellations, Pareto local search over a front, malformed
// observations, and exhaustion of a small space.
#include "coordinator/strategy/local_search.h"

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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
using testing_util::FactoryError;
using testing_util::Options;

const Architecture kTarget{{3, 1, 3, 2, 4, 3}};  // DistanceToTarget's optimum

std::unique_ptr<LocalSearch> MustCreateLocal(const StrategyOptions& options, const SearchSpace* space) {
  return testing_util::MustCreateTyped<LocalSearch>(options, space);
}

StrategyOptions LocalOptions(uint64_t seed, const std::string& on_busy = "sample",
                             int num_objectives = 1) {
  StrategyOptions o = Options("local_search", seed);
  o.params["on_busy"] = on_busy;
  o.num_objectives = num_objectives;
  return o;
}


// A 2-gene space with 2 choices each (4 architectures), for exhaustion.
class TinySpace : public SearchSpace {
 public:
  std::string Name() const override { return "tiny"; }
  int NumGenes() const override { return 2; }
  int Cardinality(int gene) const override { return 2; }
  int64_t Size() const override { return 4; }
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override {
    return absl::UnimplementedError("tiny");
  }
  std::string Print(const Architecture& arch) const override {
    return absl::StrJoin(arch.genes, ",");
  }
  std::string CanonicalKey(const Architecture& arch) const override { return Print(arch); }
};

// Bad settings are refused naming the field.
TEST(LocalSearch, RefusesBadSettingsNamingTheField) {
  StrategyOptions o = Options("local_search");
  o.params["initial"] = "0";
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.params.initial: "));
  o = Options("local_search");
  o.params["on_busy"] = "nap";
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.params.on_busy: unknown value \"nap\""));
  o = Options("local_search");
  o.params["radius"] = "2";
  EXPECT_EQ(FactoryError(o), "strategy.params.radius: unknown setting for local_search");
}

// Before `initial` ok observations, suggestions are uniform samples (in wait
// mode: only as many as are still missing).
TEST(LocalSearch, SamplesUntilInitialObservationsArrive) {
  Nb201Space space;
  StrategyOptions o = LocalOptions(2, "wait");
  o.params["initial"] = "3";
  std::unique_ptr<LocalSearch> s = MustCreateLocal(o, &space);
  const SuggestBatch first = s->Suggest(5);
  ASSERT_EQ(first.suggestions.size(), 3u);
  EXPECT_EQ(s->Suggest(1).state, SuggestState::kWait);
  s->Observe(MakeObservation(first.suggestions[0].arch, {}, EvalOutcome::kFailed, 0));
  EXPECT_EQ(s->Suggest(5).suggestions.size(), 1u);  // one more sample replaces the failure
  s->Observe(MakeObservation(first.suggestions[1].arch, {4.0}, EvalOutcome::kOk, 1));
  s->Observe(MakeObservation(first.suggestions[2].arch, {2.0}, EvalOutcome::kOk, 2));
  s->Suggest(1);
  EXPECT_TRUE(s->Archive().empty());
  s->Observe(MakeObservation(Nb201Space::FromIndex(5), {3.0}));  // a third, unsuggested
  EXPECT_TRUE(s->Archive().empty());  // the run starts at the next Suggest
  s->Suggest(1);
  EXPECT_THAT(s->Archive(), ElementsAre(first.suggestions[2].arch));  // from the best
}

// One at a time on the synthetic objective: every suggestion is a neighbour
// of the current point, the search moves to each better neighbour observed,
// reaches the optimum, and restarts only once all its neighbours are evaluated.
TEST(LocalSearch, MovesToBetterNeighboursAndRestartsAtTheOptimum) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(4, "wait"), &space);
  s->Observe(
      MakeObservation(Nb201Space::FromIndex(0), {DistanceToTarget(Nb201Space::FromIndex(0))}));
  std::set<std::vector<int>> evaluated;
  int moves = 0;
  Architecture previous;  // the current point before this step's Suggest
  for (int step = 0; step < 400; ++step) {
    const SuggestBatch batch = s->Suggest(1);
    ASSERT_EQ(batch.suggestions.size(), 1u) << Describe(batch);
    const Suggestion& x = batch.suggestions[0];
    if (s->restarts() > 0) {
      // The restart point: only after every neighbour of the optimum.
      EXPECT_EQ(previous, kTarget);
      EXPECT_TRUE(s->Archive().empty());  // until the restart point comes back
      Architecture n = kTarget;
      for (int g = 0; g < 6; ++g) {
        for (int v = 0; v < 5; ++v) {
          n.genes = kTarget.genes;
          n.genes[g] = v;
          EXPECT_TRUE(n == kTarget || evaluated.count(n.genes)) << g << "=" << v;
        }
      }
      break;
    }
    ASSERT_EQ(s->Archive().size(), 1u);
    const Architecture current = s->Archive()[0];
    EXPECT_EQ(GenesDiffering(x.arch, current), 1);
    EXPECT_FALSE(evaluated.count(x.arch.genes)) << "no neighbour is evaluated twice";
    evaluated.insert(x.arch.genes);
    s->OnPending(x);
    s->Observe(MakeObservation(x.arch, {DistanceToTarget(x.arch)}, EvalOutcome::kOk, x.id));
    previous = s->Archive()[0];
    if (DistanceToTarget(x.arch) < DistanceToTarget(current)) {
      EXPECT_EQ(previous, x.arch);
      ++moves;
    } else {
      EXPECT_EQ(previous, current);
    }
  }
  EXPECT_EQ(moves, 6);  // one gene fixed per move from all-wrong
  EXPECT_EQ(s->restarts(), 1);
}

// Parallel hand-out: Suggest(n) gives the untried neighbours, each once; in
// wait mode it waits while all are in flight; a better neighbour moves the
// search at once and its neighbourhood is handed out next.
TEST(LocalSearch, HandsOutNeighbourhoodInParallelAndWaitsWhenAllInFlight) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(6, "wait"), &space);
  const Architecture start = Nb201Space::FromIndex(0);
  s->Observe(MakeObservation(start, {6.0}));
  const SuggestBatch all = s->Suggest(30);
  EXPECT_EQ(all.state, SuggestState::kReady);
  ASSERT_EQ(all.suggestions.size(), 24u);
  std::set<std::vector<int>> distinct;
  for (const Suggestion& x : all.suggestions) {
    EXPECT_EQ(GenesDiffering(x.arch, start), 1);
    distinct.insert(x.arch.genes);
    s->OnPending(x);
  }
  EXPECT_EQ(distinct.size(), 24u);
  EXPECT_EQ(s->Suggest(3).state, SuggestState::kWait);
  // A worse result changes nothing; a better one moves the search.
  s->Observe(MakeObservation(all.suggestions[0].arch, {7.0}, EvalOutcome::kOk, 0));
  EXPECT_EQ(s->Suggest(3).state, SuggestState::kWait);
  s->Observe(MakeObservation(all.suggestions[1].arch, {5.0}, EvalOutcome::kOk, 1));
  EXPECT_THAT(s->Archive(), ElementsAre(all.suggestions[1].arch));
  const SuggestBatch next = s->Suggest(2);
  ASSERT_EQ(next.suggestions.size(), 2u);
  for (const Suggestion& x : next.suggestions) {
    EXPECT_EQ(GenesDiffering(x.arch, all.suggestions[1].arch), 1);
    EXPECT_GE(x.id, 24);
  }
}

// Sample mode never leaves workers idle: a busy neighbourhood is topped up
// with uniform samples, so every batch has exactly n.
TEST(LocalSearch, SampleModeFillsBusyBatches) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(6, "sample"), &space);
  const Architecture start = Nb201Space::FromIndex(0);
  s->Observe(MakeObservation(start, {6.0}));
  const SuggestBatch batch = s->Suggest(30);
  ASSERT_EQ(batch.suggestions.size(), 30u);
  int neighbours = 0;
  for (const Suggestion& x : batch.suggestions) neighbours += GenesDiffering(x.arch, start) == 1;
  EXPECT_GE(neighbours, 24);
  EXPECT_EQ(s->Suggest(4).suggestions.size(), 4u);
}

// A cancelled neighbour is handed out again; a duplicate with a known
// observation counts with that result (and can move the search); one whose
// equal is in flight counts as evaluated without improvement.
TEST(LocalSearch, HandlesCancellationAndDuplicates) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(8, "wait"), &space);
  const Architecture start = Nb201Space::FromIndex(0);
  s->Observe(MakeObservation(start, {6.0}));
  const SuggestBatch all = s->Suggest(24);
  ASSERT_EQ(all.suggestions.size(), 24u);
  s->OnPending(all.suggestions[0]);
  s->OnCancelled(all.suggestions[0].id);
  const SuggestBatch again = s->Suggest(5);
  ASSERT_EQ(again.suggestions.size(), 1u);
  EXPECT_EQ(again.suggestions[0].arch, all.suggestions[0].arch);
  EXPECT_EQ(again.suggestions[0].id, 24);
  // Every other neighbour: a duplicate in flight (null) or known and worse.
  const Observation worse = MakeObservation(Nb201Space::FromIndex(9999), {9.0});
  for (int i = 1; i < 24; ++i) {
    s->OnDuplicate(all.suggestions[i], i % 2 ? nullptr : &worse);
  }
  EXPECT_EQ(s->restarts(), 0);
  // The last one is a duplicate of a better known architecture: a move.
  const Observation better = MakeObservation(Nb201Space::FromIndex(1), {2.0});
  s->OnDuplicate(again.suggestions[0], &better);
  EXPECT_THAT(s->Archive(), ElementsAre(again.suggestions[0].arch));
}

// With all neighbours evaluated and none better, the next Suggest restarts
// from a fresh point (wait mode: it is suggested and the run starts when it
// comes back).
TEST(LocalSearch, RestartsFromAFreshPointAtALocalOptimum) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(10, "wait"), &space);
  const Architecture start = Nb201Space::FromIndex(0);
  s->Observe(MakeObservation(start, {0.0}));
  for (const Suggestion& x : s->Suggest(24).suggestions) {
    s->OnPending(x);
    s->Observe(MakeObservation(x.arch, {1.0}, EvalOutcome::kOk, x.id));
  }
  const SuggestBatch restart = s->Suggest(3);
  ASSERT_EQ(restart.suggestions.size(), 1u);  // the restart point, then wait for it
  EXPECT_EQ(s->restarts(), 1);
  EXPECT_TRUE(s->Archive().empty());
  EXPECT_EQ(s->Suggest(1).state, SuggestState::kWait);
  const Suggestion& seed = restart.suggestions[0];
  s->OnPending(seed);
  s->Observe(MakeObservation(seed.arch, {5.0}, EvalOutcome::kOk, seed.id));  // worse is fine
  EXPECT_THAT(s->Archive(), ElementsAre(seed.arch));
  for (const Suggestion& x : s->Suggest(3).suggestions) {
    EXPECT_EQ(GenesDiffering(x.arch, seed.arch), 1);
  }
}

// Pareto local search: every non-dominated member's neighbourhood is handed
// out; a non-dominated neighbour joins the archive and its neighbourhood
// follows; a dominating one evicts what it dominates; once every member is
// explored the search restarts.
TEST(LocalSearch, ParetoLocalSearchExploresTheFrontNeighbourhoods) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(12, "wait", 2), &space);
  const Architecture a{{0, 0, 0, 0, 0, 0}};
  const Architecture b{{4, 4, 4, 4, 4, 4}};
  s->Observe(MakeObservation(a, {1.0, 5.0}));
  s->Observe(MakeObservation(b, {5.0, 1.0}));
  s->Observe(MakeObservation(Nb201Space::FromIndex(3000), {6.0, 6.0}));  // dominated
  const SuggestBatch batch = s->Suggest(100);
  EXPECT_THAT(s->Archive(), ElementsAre(a, b));
  ASSERT_EQ(batch.suggestions.size(), 48u);
  int near_a = 0, near_b = 0;
  for (const Suggestion& x : batch.suggestions) {
    near_a += GenesDiffering(x.arch, a) == 1;
    near_b += GenesDiffering(x.arch, b) == 1;
    s->OnPending(x);
  }
  EXPECT_EQ(near_a, 24);
  EXPECT_EQ(near_b, 24);
  // Neighbour c of a is non-dominated (3, 3): it joins; d of b dominates b.
  Architecture c, d;
  for (const Suggestion& x : batch.suggestions) {
    if (GenesDiffering(x.arch, a) == 1 && c.genes.empty()) {
      c = x.arch;
      s->Observe(MakeObservation(x.arch, {3.0, 3.0}, EvalOutcome::kOk, x.id));
    } else if (GenesDiffering(x.arch, b) == 1 && d.genes.empty()) {
      d = x.arch;
      s->Observe(MakeObservation(x.arch, {4.0, 1.0}, EvalOutcome::kOk, x.id));
    }
  }
  EXPECT_THAT(s->Archive(), ElementsAre(a, c, d));
  const SuggestBatch more = s->Suggest(100);
  int near_c = 0, near_d = 0;
  for (const Suggestion& x : more.suggestions) {
    near_c += GenesDiffering(x.arch, c) == 1;
    near_d += GenesDiffering(x.arch, d) == 1;
  }
  EXPECT_GT(near_c, 0);
  EXPECT_GT(near_d, 0);
  // Everything else comes back dominated: all members get explored, restart.
  std::vector<Suggestion> pending;
  for (const Suggestion& x : batch.suggestions) {
    if (x.arch != c && x.arch != d) pending.push_back(x);
  }
  for (const Suggestion& x : more.suggestions) pending.push_back(x);
  for (const Suggestion& x : pending) {
    s->Observe(MakeObservation(x.arch, {9.0, 9.0}, EvalOutcome::kOk, x.id));
  }
  EXPECT_EQ(s->restarts(), 0);
  EXPECT_EQ(s->Suggest(1).suggestions.size(), 1u);
  EXPECT_EQ(s->restarts(), 1);
}

// Malformed and failed observations, suggested or not, are ignored without
// crashing; infeasible ones count as evaluated, never as improvements.
TEST(LocalSearch, IgnoresMalformedObservations) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(14, "wait"), &space);
  const Architecture a = Nb201Space::FromIndex(100);
  s->Observe(MakeObservation(Architecture{{9, 0, 0, 0, 0, 0}}, {0.5}));
  s->Observe(MakeObservation(Architecture{{1, 2}}, {0.5}));
  s->Observe(MakeObservation(a, {std::nan("")}));
  s->Observe(MakeObservation(a, {0.5, 0.5}));
  s->Observe(MakeObservation(a, {}, EvalOutcome::kFailed));
  s->OnDuplicate({77, Architecture{{1}}}, nullptr);
  s->OnCancelled(1234);
  EXPECT_EQ(s->Suggest(1).suggestions.size(), 1u);  // a sample: nothing usable yet
  EXPECT_TRUE(s->Archive().empty());
  s->Observe(MakeObservation(a, {3.0}));
  const Suggestion x = s->Suggest(1).suggestions.at(0);
  EXPECT_THAT(s->Archive(), ElementsAre(a));
  s->OnPending(x);
  s->Observe(MakeObservation(x.arch, {0.0}, EvalOutcome::kInfeasible, x.id));
  EXPECT_THAT(s->Archive(), ElementsAre(a));
}

// Once every architecture of the space is evaluated, Suggest says kExhausted.
TEST(LocalSearch, ExhaustsAFullyEvaluatedSpace) {
  TinySpace space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(1, "sample"), &space);
  std::set<std::vector<int>> seen;
  for (int round = 0; round < 100 && seen.size() < 4; ++round) {
    const SuggestBatch batch = s->Suggest(2);
    ASSERT_EQ(batch.state, SuggestState::kReady);
    for (const Suggestion& x : batch.suggestions) {
      s->OnPending(x);
      s->Observe(MakeObservation(x.arch, {1.0 * x.arch.genes[0]}, EvalOutcome::kOk, x.id));
      seen.insert(x.arch.genes);
    }
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(s->Suggest(1).state, SuggestState::kExhausted);
}

// Many observations: suggestions keep coming and stay valid (a smoke test
// of the indexed bookkeeping; timings are printed by benchmarks, not here).
TEST(LocalSearch, KeepsSuggestingAfterThousandsOfObservations) {
  Nb201Space space;
  std::unique_ptr<LocalSearch> s = MustCreateLocal(LocalOptions(16, "sample", 2), &space);
  std::map<std::vector<int>, Observation> seen;
  for (int i = 0; i < 3000; ++i) {
    const SuggestBatch batch = s->Suggest(4);
    ASSERT_EQ(batch.suggestions.size(), 4u);
    for (const Suggestion& x : batch.suggestions) {
      ASSERT_TRUE(space.Validate(x.arch).ok());
      auto it = seen.find(x.arch.genes);
      if (it != seen.end()) {
        s->OnDuplicate(x, &it->second);
        continue;
      }
      s->OnPending(x);
      const Observation obs =
          MakeObservation(x.arch, testing_util::SyntheticScores(x.arch, 2), EvalOutcome::kOk, x.id);
      seen.emplace(x.arch.genes, obs);
      s->Observe(obs);
    }
  }
  EXPECT_GT(seen.size(), 2000u);
  EXPECT_GT(s->restarts(), 0);
}

}  // namespace
}  // namespace edgenas
