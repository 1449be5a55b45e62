// Tests of BayesianOptimization ("bayesian"): settings, the uniform initial
// phase, never repeating a canonical key, parallel suggestions, reaching
// the synthetic optimum, infeasible results never being incumbents,
// restarts, lexicographic and Pareto modes, exhaustion of a small space and
// determinism per seed.
#include "coordinator/strategy/bayesian.h"

#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/strategy/strategy_test_util.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using testing_util::Describe;
using testing_util::DistanceToTarget;
using testing_util::GenesDiffering;
using testing_util::MakeObservation;
using testing_util::Options;
using testing_util::SyntheticScores;

const Architecture kTarget{{3, 1, 3, 2, 4, 3}};  // DistanceToTarget's optimum

using ScoreFn = std::function<std::vector<double>(const Architecture&)>;

StrategyOptions BayesOptions(uint64_t seed, std::map<std::string, std::string> params = {},
                             int num_objectives = 1, bool lexicographic = false) {
  StrategyOptions o = Options("bayesian", seed);
  o.params = std::move(params);
  o.num_objectives = num_objectives;
  o.lexicographic = lexicographic;
  return o;
}

std::unique_ptr<BayesianOptimization> MustCreateBayes(const StrategyOptions& options, const SearchSpace* space) {
  return testing_util::MustCreateTyped<BayesianOptimization>(options, space);
}

std::string CreateError(const StrategyOptions& options) {
  Nb201Space space;
  absl::StatusOr<std::unique_ptr<Strategy>> s = CreateStrategy(options, &space);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

std::vector<double> Distance(const Architecture& arch) { return {DistanceToTarget(arch)}; }

// One suggestion at a time: Suggest(1) -> OnPending -> Observe(ok, score).
// Stops after `rounds` or when `stop` says so; returns the suggestions.
std::vector<Architecture> RunSequential(Strategy& s, int rounds, const ScoreFn& score,
                                        const std::function<bool(const Architecture&)>& stop =
                                            nullptr) {
  std::vector<Architecture> out;
  for (int r = 0; r < rounds; ++r) {
    const SuggestBatch batch = s.Suggest(1);
    if (batch.suggestions.empty()) break;
    EXPECT_EQ(batch.suggestions.size(), 1u);
    const Suggestion& sg = batch.suggestions[0];
    s.OnPending(sg);
    s.Observe(MakeObservation(sg.arch, score(sg.arch), EvalOutcome::kOk, sg.id));
    out.push_back(sg.arch);
    if (stop && stop(sg.arch)) break;
  }
  return out;
}

// Expects the canonical keys of `archs` to be pairwise distinct and valid.
void ExpectDistinctValidKeys(const Nb201Space& space, const std::vector<Architecture>& archs) {
  std::set<std::string> keys;
  for (size_t i = 0; i < archs.size(); ++i) {
    ASSERT_TRUE(space.Validate(archs[i]).ok()) << "suggestion " << i;
    EXPECT_TRUE(keys.insert(space.CanonicalKey(archs[i])).second)
        << "suggestion " << i << " repeats key " << space.CanonicalKey(archs[i]);
  }
}

// Observes `arch` with `scores` as an architecture the strategy did not suggest.
void ObserveExternal(Strategy& s, const Architecture& arch, std::vector<double> scores,
                     EvalOutcome outcome = EvalOutcome::kOk) {
  s.Observe(MakeObservation(arch, std::move(scores), outcome));
}

TEST(BayesianTest, RefusesBadParamsNamingTheField) {
  EXPECT_THAT(CreateError(BayesOptions(1, {{"acquisition", "foo"}})),
              HasSubstr("strategy.params.acquisition: unknown value \"foo\"; known: ei, ucb, ts"));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"initial", "0"}})),
              HasSubstr("strategy.params.initial: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"patience", "0"}})),
              HasSubstr("strategy.params.patience: "));
  EXPECT_THAT(CreateError(BayesOptions(2, {{"mo_acquisition", "ehvi"}}, 2)),
              HasSubstr("strategy.params.mo_acquisition: unknown value \"ehvi\""));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"transform", "x"}})),
              HasSubstr("strategy.params.transform: unknown value \"x\""));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"ucb_beta", "-1"}})),
              HasSubstr("strategy.params.ucb_beta: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"local_top", "many"}})),
              HasSubstr("strategy.params.local_top: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"max_points", "8"}})),
              HasSubstr("strategy.params.max_points: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"random_pool", "-5"}})),
              HasSubstr("strategy.params.random_pool: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"refit_every", "0"}})),
              HasSubstr("strategy.params.refit_every: "));
  EXPECT_THAT(CreateError(BayesOptions(1, {{"kernel", "rbf"}})),
              HasSubstr("strategy.params.kernel: unknown setting for bayesian"));
  EXPECT_THAT(CreateError(BayesOptions(1, {}, /*num_objectives=*/4)),
              HasSubstr("strategy.num_objectives: bayesian supports at most 3 objectives, got 4"));
}

TEST(BayesianTest, CreatedByTheFactoryWithEveryParam) {
  Nb201Space space;
  std::unique_ptr<Strategy> s = testing_util::MustCreate(
      BayesOptions(1, {{"initial", "5"},
                       {"acquisition", "ucb"},
                       {"ucb_beta", "1.5"},
                       {"local_top", "0"},
                       {"max_points", "64"},
                       {"random_pool", "50"},
                       {"refit_every", "3"},
                       {"transform", "none"},
                       {"patience", "10"}}),
      &space);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Name(), "bayesian");
  ExpectDistinctValidKeys(space, RunSequential(*s, 20, Distance));
}

TEST(BayesianTest, SuggestZeroWaits) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(1), &space);
  const SuggestBatch batch = s->Suggest(0);
  EXPECT_TRUE(batch.suggestions.empty());
  EXPECT_EQ(batch.state, SuggestState::kWait);
}

TEST(BayesianTest, InitialSuggestionsAreUniformDistinctAndIgnoreScores) {
  Nb201Space space;
  // The first `initial` suggestions do not depend on the results: the same
  // seed gives the same ones whatever the objective.
  auto a = MustCreateBayes(BayesOptions(3, {{"initial", "12"}}), &space);
  auto b = MustCreateBayes(BayesOptions(3, {{"initial", "12"}}), &space);
  const std::vector<Architecture> first_a = RunSequential(*a, 12, Distance);
  const std::vector<Architecture> first_b = RunSequential(*b, 12, [](const Architecture& x) {
    return std::vector<double>{-DistanceToTarget(x)};
  });
  ASSERT_EQ(first_a.size(), 12u);
  EXPECT_EQ(first_a, first_b);
  ExpectDistinctValidKeys(space, first_a);
  // Spread out like uniform samples (expected pairwise distance 4.8 of 6),
  // not a neighbourhood.
  double total = 0.0;
  int pairs = 0;
  for (size_t i = 0; i < first_a.size(); ++i) {
    for (size_t j = i + 1; j < first_a.size(); ++j, ++pairs) {
      total += GenesDiffering(first_a[i], first_a[j]);
    }
  }
  EXPECT_GT(total / pairs, 3.5);

  // One batch of `initial` at the start: the same kind of samples, ready.
  auto c = MustCreateBayes(BayesOptions(4, {{"initial", "10"}}), &space);
  const SuggestBatch batch = c->Suggest(10);
  EXPECT_EQ(batch.state, SuggestState::kReady);
  ASSERT_EQ(batch.suggestions.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(batch.suggestions[i].id, i);
  ExpectDistinctValidKeys(space, testing_util::Archs(batch));
}

TEST(BayesianTest, NeverRepeatsACanonicalKeySequentially) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(5), &space);
  std::vector<Architecture> all = {Nb201Space::FromIndex(0), Nb201Space::FromIndex(7777)};
  for (const Architecture& a : all) ObserveExternal(*s, a, Distance(a));
  const std::vector<Architecture> suggested = RunSequential(*s, 200, Distance);
  EXPECT_EQ(suggested.size(), 200u);
  all.insert(all.end(), suggested.begin(), suggested.end());
  ExpectDistinctValidKeys(space, all);
  EXPECT_EQ(s->num_observed(), 202);
}

TEST(BayesianTest, NeverRepeatsACanonicalKeyInAScriptedJob) {
  // Batches of 1-3, duplicates, cancellations, failures, infeasible results.
  Nb201Space space;
  for (int objectives : {1, 2}) {
    auto s = MustCreateBayes(BayesOptions(6, {}, objectives), &space);
    const std::vector<testing_util::Call> log =
        testing_util::SimulateJob(*s, objectives, /*rounds=*/120, /*script_seed=*/9);
    std::vector<Architecture> all = {Nb201Space::FromIndex(0), Nb201Space::FromIndex(7777)};
    int64_t expected_id = 0;
    for (const testing_util::Call& c : log) {
      if (c.kind != testing_util::Call::kSuggest) continue;
      for (const Suggestion& sg : c.returned.suggestions) {
        EXPECT_EQ(sg.id, expected_id++);
        all.push_back(sg.arch);
      }
    }
    EXPECT_GT(all.size(), 150u);
    ExpectDistinctValidKeys(space, all);
  }
}

TEST(BayesianTest, ParallelSuggestionsAreDistinct) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(7), &space);
  std::vector<Architecture> all = RunSequential(*s, 15, Distance);
  // Kriging believer: each pending point enters the model, so four
  // suggestions of one call (and of calls while they are pending) differ.
  std::vector<Suggestion> pending;
  for (int call = 0; call < 3; ++call) {
    const SuggestBatch batch = s->Suggest(4);
    EXPECT_EQ(batch.state, SuggestState::kReady);
    ASSERT_EQ(batch.suggestions.size(), 4u);
    for (const Suggestion& sg : batch.suggestions) {
      s->OnPending(sg);
      pending.push_back(sg);
      all.push_back(sg.arch);
    }
  }
  ExpectDistinctValidKeys(space, all);
  for (const Suggestion& sg : pending) {
    s->Observe(MakeObservation(sg.arch, Distance(sg.arch), EvalOutcome::kOk, sg.id));
  }
  EXPECT_EQ(s->num_observed(), 27);
}

TEST(BayesianTest, ReachesTheSyntheticOptimum) {
  Nb201Space space;
  // The target is the only cell of its class, so reaching it means
  // suggesting it.
  int same_key = 0;
  for (int i = 0; i < 15625; ++i) {
    same_key += space.CanonicalKey(Nb201Space::FromIndex(i)) == space.CanonicalKey(kTarget);
  }
  ASSERT_EQ(same_key, 1);
  std::string counts;
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    auto s = MustCreateBayes(BayesOptions(seed), &space);
    const std::vector<Architecture> run = RunSequential(
        *s, 400, Distance, [](const Architecture& a) { return DistanceToTarget(a) == 0; });
    ASSERT_FALSE(run.empty());
    EXPECT_EQ(DistanceToTarget(run.back()), 0) << "seed " << seed;
    EXPECT_LE(run.size(), 120u) << "seed " << seed;
    absl::StrAppend(&counts, counts.empty() ? "" : ", ", "seed ", seed, ": ", run.size());
  }
  std::cout << "evaluations to reach the target: " << counts << "\n";
  ::testing::Test::RecordProperty("evaluations_to_target", counts);
}

TEST(BayesianTest, InfeasibleResultIsNeverTheIncumbent) {
  Nb201Space space;
  const Architecture a{{1, 2, 3, 4, 1, 2}};
  const Architecture far{{4, 4, 1, 1, 3, 3}};  // 6 edits from a
  ASSERT_EQ(GenesDiffering(a, far), 6);
  for (EvalOutcome far_outcome : {EvalOutcome::kInfeasible, EvalOutcome::kOk}) {
    auto s = MustCreateBayes(BayesOptions(8, {{"initial", "2"}}), &space);
    ObserveExternal(*s, a, {1.0});
    ObserveExternal(*s, Architecture{{0, 0, 2, 3, 0, 1}}, {3.0});
    ObserveExternal(*s, Architecture{{2, 3, 0, 0, 4, 4}}, {4.0});
    // The best score by far, but (first) infeasible.
    ObserveExternal(*s, far, {-100.0}, far_outcome);
    EXPECT_EQ(s->num_observed(), 4);
    const Architecture& incumbent = far_outcome == EvalOutcome::kOk ? far : a;
    for (int i = 0; i < 6; ++i) {
      const SuggestBatch batch = s->Suggest(1);
      ASSERT_EQ(batch.suggestions.size(), 1u);
      s->OnPending(batch.suggestions[0]);
      // The local phase searches the incumbent's neighbours.
      EXPECT_EQ(GenesDiffering(batch.suggestions[0].arch, incumbent), 1)
          << "suggestion " << i << (far_outcome == EvalOutcome::kOk ? " (feasible)" : "");
    }
  }
}

TEST(BayesianTest, FailedAndMalformedObservationsStayOutOfTheModel) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(9), &space);
  ObserveExternal(*s, Nb201Space::FromIndex(1), {}, EvalOutcome::kFailed);
  ObserveExternal(*s, Nb201Space::FromIndex(2), {1.0, 2.0});  // wrong count
  ObserveExternal(*s, Nb201Space::FromIndex(3), {std::nan("")});
  ObserveExternal(*s, Architecture{{9, 9, 9, 9, 9, 9}}, {1.0});  // invalid
  EXPECT_EQ(s->num_observed(), 0);
  ObserveExternal(*s, Nb201Space::FromIndex(4), {2.0}, EvalOutcome::kInfeasible);
  ObserveExternal(*s, Nb201Space::FromIndex(5), {2.0});
  EXPECT_EQ(s->num_observed(), 2);
  // Only infeasible results so far: still suggests (samples) without failing.
  auto t = MustCreateBayes(BayesOptions(9, {{"initial", "1"}}), &space);
  for (int i = 0; i < 5; ++i) {
    ObserveExternal(*t, Nb201Space::FromIndex(100 + i), {1.0 * i}, EvalOutcome::kInfeasible);
  }
  EXPECT_EQ(t->Suggest(2).suggestions.size(), 2u);
}

TEST(BayesianTest, RestartsAfterPatienceStaleEvaluations) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(10, {{"initial", "2"}, {"patience", "3"}}), &space);
  // The optimum first: nothing can improve on it, so the run goes stale.
  ObserveExternal(*s, kTarget, {0.0});
  const Architecture far{{0, 0, 0, 0, 0, 0}};
  ObserveExternal(*s, far, Distance(far));  // stale 1
  std::vector<Architecture> seq = RunSequential(*s, 2, Distance);  // stale 2, 3
  ASSERT_EQ(seq.size(), 2u);
  for (const Architecture& x : seq) EXPECT_EQ(GenesDiffering(x, kTarget), 1);
  // Stale for `patience` evaluations: the next suggestion starts a new run,
  // whose own best (the restart point) is the centre of the local phase.
  const std::vector<Architecture> restart = RunSequential(*s, 1, Distance);
  ASSERT_EQ(restart.size(), 1u);
  const std::vector<Architecture> next = RunSequential(*s, 1, Distance);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(GenesDiffering(next[0], restart[0]), 1);
}

TEST(BayesianTest, LexicographicBreaksTiesWithTheSecondObjective) {
  Nb201Space space;
  const Architecture a{{1, 2, 3, 4, 1, 2}};
  const Architecture b{{4, 4, 1, 1, 3, 3}};
  for (bool b_wins : {true, false}) {
    auto s = MustCreateBayes(
        BayesOptions(11, {{"initial", "2"}}, /*num_objectives=*/2, /*lexicographic=*/true),
        &space);
    ObserveExternal(*s, a, {1.0, b_wins ? 5.0 : 2.0});
    ObserveExternal(*s, b, {1.0, b_wins ? 2.0 : 5.0});
    ObserveExternal(*s, Architecture{{0, 0, 2, 3, 0, 1}}, {3.0, 0.0});
    const SuggestBatch batch = s->Suggest(1);
    ASSERT_EQ(batch.suggestions.size(), 1u);
    EXPECT_EQ(GenesDiffering(batch.suggestions[0].arch, b_wins ? b : a), 1);
  }
}

TEST(BayesianTest, LexicographicReachesTheOptimum) {
  Nb201Space space;
  auto s = MustCreateBayes(BayesOptions(12, {}, /*num_objectives=*/2, /*lexicographic=*/true),
                           &space);
  const std::vector<Architecture> run =
      RunSequential(*s, 400, [](const Architecture& x) { return SyntheticScores(x, 2); },
                    [](const Architecture& x) { return DistanceToTarget(x) == 0; });
  ASSERT_FALSE(run.empty());
  EXPECT_EQ(DistanceToTarget(run.back()), 0);
  EXPECT_LE(run.size(), 150u);
  std::cout << "lexicographic: " << run.size() << " evaluations to reach the target\n";
  ExpectDistinctValidKeys(space, run);
}

TEST(BayesianTest, ParetoModeSuggestsValidDistinctArchitectures) {
  Nb201Space space;
  for (int objectives : {2, 3, -2, -3}) {
    // Negative: the same with mo_acquisition parego.
    const bool parego = objectives < 0;
    objectives = std::abs(objectives);
    auto s = MustCreateBayes(
        BayesOptions(13, parego ? std::map<std::string, std::string>{{"mo_acquisition", "parego"}}
                                : std::map<std::string, std::string>{},
                     objectives),
        &space);
    auto score = [objectives](const Architecture& x) {
      std::vector<double> v = SyntheticScores(x, 2);
      if (objectives == 3) v.push_back(x.genes[0] + x.genes[5]);
      return v;
    };
    std::vector<Architecture> all = RunSequential(*s, 60, score);
    ASSERT_EQ(all.size(), 60u);
    const SuggestBatch batch = s->Suggest(3);
    ASSERT_EQ(batch.suggestions.size(), 3u);
    for (const Suggestion& sg : batch.suggestions) all.push_back(sg.arch);
    ExpectDistinctValidKeys(space, all);
    EXPECT_EQ(s->num_observed(), 60);
  }
}

TEST(BayesianTest, ParetoLocalPhaseSearchesAroundTheFront) {
  Nb201Space space;
  const Architecture a{{1, 2, 3, 4, 1, 2}};
  const Architecture b{{4, 4, 1, 1, 3, 3}};
  const Architecture dominated{{0, 0, 2, 3, 0, 1}};
  auto s = MustCreateBayes(BayesOptions(14, {{"initial", "2"}}, /*num_objectives=*/2), &space);
  ObserveExternal(*s, a, {0.0, 5.0});
  ObserveExternal(*s, b, {5.0, 0.0});
  ObserveExternal(*s, dominated, {6.0, 6.0});
  ObserveExternal(*s, Architecture{{2, 3, 0, 0, 4, 4}}, {-9.0, -9.0}, EvalOutcome::kInfeasible);
  for (int i = 0; i < 8; ++i) {
    const SuggestBatch batch = s->Suggest(1);
    ASSERT_EQ(batch.suggestions.size(), 1u);
    s->OnPending(batch.suggestions[0]);
    const Architecture& x = batch.suggestions[0].arch;
    EXPECT_TRUE(GenesDiffering(x, a) == 1 || GenesDiffering(x, b) == 1) << Describe(batch);
  }
}

TEST(BayesianTest, AcquisitionVariantsRun) {
  Nb201Space space;
  for (const char* acquisition : {"ei", "ucb", "ts"}) {
    for (const char* transform : {"rank", "none"}) {
      auto s = MustCreateBayes(
          BayesOptions(15, {{"acquisition", acquisition}, {"transform", transform}}), &space);
      const std::vector<Architecture> run = RunSequential(*s, 40, Distance);
      EXPECT_EQ(run.size(), 40u) << acquisition << " " << transform;
      ExpectDistinctValidKeys(space, run);
    }
  }
}

TEST(BayesianTest, DeterministicPerSeed) {
  Nb201Space space;
  auto run = [&](uint64_t seed, int objectives) {
    auto s = MustCreateBayes(BayesOptions(seed, {}, objectives), &space);
    std::vector<std::string> out;
    for (int r = 0; r < 25; ++r) {
      const SuggestBatch batch = s->Suggest(1 + r % 3);
      out.push_back(Describe(batch));
      for (const Suggestion& sg : batch.suggestions) {
        s->OnPending(sg);
        s->Observe(MakeObservation(sg.arch, SyntheticScores(sg.arch, objectives),
                                   EvalOutcome::kOk, sg.id));
      }
    }
    return out;
  };
  for (int objectives : {1, 2}) {
    EXPECT_EQ(run(21, objectives), run(21, objectives));
    EXPECT_NE(run(21, objectives), run(22, objectives));
  }
  // Replaying a scripted job's calls into a fresh instance gives the same suggestions.
  auto s = MustCreateBayes(BayesOptions(23), &space);
  const std::vector<testing_util::Call> log = testing_util::SimulateJob(*s, 1, 60, 4);
  auto fresh = MustCreateBayes(BayesOptions(23), &space);
  testing_util::Replay(*fresh, log);
}

// A 3-gene space with 3 choices each (27 cells, each its own class); not
// NB201, so the model uses the one-hot encoding.
class SmallSpace : public SearchSpace {
 public:
  std::string Name() const override { return "small"; }
  int NumGenes() const override { return 3; }
  int Cardinality(int gene) const override { return 3; }
  int64_t Size() const override { return 27; }
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override {
    return absl::UnimplementedError("small");
  }
  std::string Print(const Architecture& arch) const override { return CanonicalKey(arch); }
  std::string CanonicalKey(const Architecture& arch) const override {
    return absl::StrCat(arch.genes[0], arch.genes[1], arch.genes[2]);
  }
  int64_t DistinctCount() const override { return 27; }
};

TEST(BayesianTest, ExhaustsASmallSpaceWithoutRepeats) {
  SmallSpace space;
  auto s = MustCreateBayes(BayesOptions(16, {{"initial", "3"}}), &space);
  std::set<std::string> keys;
  for (int r = 0; r < 40; ++r) {
    const SuggestBatch batch = s->Suggest(2);
    if (batch.suggestions.empty()) {
      EXPECT_EQ(batch.state, SuggestState::kExhausted);
      break;
    }
    for (const Suggestion& sg : batch.suggestions) {
      EXPECT_TRUE(keys.insert(space.CanonicalKey(sg.arch)).second) << Describe(batch);
      s->OnPending(sg);
      const double sum = sg.arch.genes[0] + sg.arch.genes[1] + sg.arch.genes[2];
      s->Observe(MakeObservation(sg.arch, {sum}, EvalOutcome::kOk, sg.id));
    }
  }
  EXPECT_EQ(keys.size(), 27u);
  EXPECT_EQ(s->Suggest(1).state, SuggestState::kExhausted);
}

}  // namespace
}  // namespace edgenas
