// Tests of Reinforce: settings, the initial uniform policy, concentration on
// the best op per gene on the synthetic objective, which results update the
// policy (own samples, known duplicates, duplicates waiting on an equal in
// flight, infeasible penalties) and which do not (failed, cancelled,
// unsuggested, malformed), and determinism.
#include "coordinator/strategy/reinforce.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/strategy/strategy_test_util.h"

namespace edgenas {
namespace {

using ::testing::DoubleNear;
using ::testing::Each;
using ::testing::HasSubstr;
using testing_util::Describe;
using testing_util::DistanceToTarget;
using testing_util::MakeObservation;
using testing_util::FactoryError;
using testing_util::Options;
using testing_util::SyntheticScores;

const Architecture kTarget{{3, 1, 3, 2, 4, 3}};  // DistanceToTarget's optimum

std::unique_ptr<Reinforce> MustCreateReinforce(const StrategyOptions& options, const SearchSpace* space) {
  return testing_util::MustCreateTyped<Reinforce>(options, space);
}


StrategyOptions WithParam(const std::string& key, const std::string& value) {
  StrategyOptions o = Options("reinforce");
  o.params[key] = value;
  return o;
}

// All probabilities of all genes, for before/after comparisons.
std::vector<double> Policy(const Reinforce& r) {
  std::vector<double> out;
  for (int g = 0; g < kNb201NumEdges; ++g) {
    for (double p : r.Probabilities(g)) out.push_back(p);
  }
  return out;
}

// Feeds unsuggested observations with scores 0..6 (reward statistics only).
void FeedStatistics(Reinforce& r) {
  for (int i = 0; i < 7; ++i) r.Observe(MakeObservation(Nb201Space::FromIndex(i * 97), {1.0 * i}));
}

// Bad settings are refused naming the field.
TEST(Reinforce, RefusesBadSettingsNamingTheField) {
  EXPECT_THAT(FactoryError(WithParam("temperature", "0")),
              HasSubstr("strategy.params.temperature: must be > 0, got 0"));
  EXPECT_THAT(FactoryError(WithParam("temperature", "-1")),
              HasSubstr("strategy.params.temperature: "));
  EXPECT_THAT(FactoryError(WithParam("entropy_weight", "-0.5")),
              HasSubstr("strategy.params.entropy_weight: must be >= 0"));
  EXPECT_THAT(FactoryError(WithParam("learning_rate", "0")),
              HasSubstr("strategy.params.learning_rate: must be > 0"));
  EXPECT_THAT(FactoryError(WithParam("baseline_decay", "1")),
              HasSubstr("strategy.params.baseline_decay: must be in [0, 1)"));
  EXPECT_THAT(FactoryError(WithParam("learning_rate", "fast")),
              HasSubstr("strategy.params.learning_rate: expected a number"));
  EXPECT_EQ(FactoryError(WithParam("gamma", "0.9")),
            "strategy.params.gamma: unknown setting for reinforce");
  Nb201Space space;
  StrategyOptions ok = Options("reinforce");
  ok.params = {{"learning_rate", "0.5"},
               {"baseline_decay", "0"},
               {"entropy_weight", "0"},
               {"temperature", "2"}};
  EXPECT_TRUE(CreateStrategy(ok, &space).ok());
}

// The policy starts uniform: 1/5 for every op of every edge.
TEST(Reinforce, StartsWithAUniformPolicy) {
  Nb201Space space;
  std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce"), &space);
  EXPECT_THAT(Policy(*r), Each(DoubleNear(0.2, 1e-12)));
}

// Runs `r` on DistanceToTarget with batches of 4 (each observed at once).
void Train(Reinforce& r, int batches, int num_objectives = 1) {
  for (int i = 0; i < batches; ++i) {
    for (const Suggestion& x : r.Suggest(4).suggestions) {
      r.OnPending(x);
      r.Observe(
          MakeObservation(x.arch, SyntheticScores(x.arch, num_objectives), EvalOutcome::kOk, x.id));
    }
  }
}

// On the synthetic objective, each edge's policy concentrates on the
// target's op (the reward is -distance, so each right op adds 1).
TEST(Reinforce, PolicyConcentratesOnTheBestOpPerGene) {
  Nb201Space space;
  for (uint64_t seed : {1, 2, 3}) {
    std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce", seed), &space);
    Train(*r, 150);
    for (int g = 0; g < kNb201NumEdges; ++g) {
      const std::vector<double> p = r->Probabilities(g);
      const int best = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
      EXPECT_EQ(best, kTarget.genes[g]) << "seed " << seed << " gene " << g;
      EXPECT_GT(p[best], 0.6) << "seed " << seed << " gene " << g;
    }
  }
}

// Lexicographic jobs are rewarded by the first objective alone.
TEST(Reinforce, LexicographicRewardIsTheFirstObjective) {
  Nb201Space space;
  StrategyOptions o = Options("reinforce", 4);
  o.num_objectives = 2;
  o.lexicographic = true;
  std::unique_ptr<Reinforce> r = MustCreateReinforce(o, &space);
  Train(*r, 150, /*num_objectives=*/2);
  for (int g = 0; g < kNb201NumEdges; ++g) {
    const std::vector<double> p = r->Probabilities(g);
    EXPECT_EQ(std::max_element(p.begin(), p.end()) - p.begin(), kTarget.genes[g]) << g;
  }
}

// Several Pareto objectives: the scalarized reward still drives the policy
// (it moves away from uniform) and stays deterministic per seed.
TEST(Reinforce, ParetoScalarizationLearnsDeterministically) {
  Nb201Space space;
  StrategyOptions o = Options("reinforce", 5);
  o.num_objectives = 2;
  std::unique_ptr<Reinforce> a = MustCreateReinforce(o, &space);
  std::unique_ptr<Reinforce> b = MustCreateReinforce(o, &space);
  Train(*a, 50, 2);
  Train(*b, 50, 2);
  EXPECT_EQ(Policy(*a), Policy(*b));
  double top = 0;
  for (double p : Policy(*a)) top = std::max(top, p);
  EXPECT_GT(top, 0.3);
}

// Unsuggested, failed, cancelled and malformed results leave the policy
// unchanged.
TEST(Reinforce, IgnoresResultsThatAreNotPolicySamples) {
  Nb201Space space;
  std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce", 6), &space);
  FeedStatistics(*r);
  const std::vector<double> before = Policy(*r);
  EXPECT_THAT(before, Each(DoubleNear(0.2, 1e-12)));
  const SuggestBatch batch = r->Suggest(4);
  for (const Suggestion& x : batch.suggestions) r->OnPending(x);
  r->Observe(MakeObservation(batch.suggestions[0].arch, {}, EvalOutcome::kFailed,
                             batch.suggestions[0].id));
  r->OnCancelled(batch.suggestions[1].id);
  r->Observe(MakeObservation(batch.suggestions[2].arch, {std::nan("")}, EvalOutcome::kOk,
                             batch.suggestions[2].id));
  r->Observe(
      MakeObservation(Architecture{{7, 7}}, {1.0}, EvalOutcome::kOk, batch.suggestions[3].id));
  r->Observe(MakeObservation(kTarget, {-100.0}));  // unsuggested: statistics only
  r->OnDuplicate({99, kTarget}, nullptr);          // never issued
  r->OnCancelled(12345);
  EXPECT_EQ(Policy(*r), before);
}

// Own samples move the policy toward good architectures: after a first
// sample sets the baseline, a much better sample raises its ops' odds, and an
// infeasible one (worst reward so far) lowers them.
TEST(Reinforce, OwnSamplesAndInfeasiblePenaltiesUpdateThePolicy) {
  Nb201Space space;
  std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce", 7), &space);
  FeedStatistics(*r);
  const SuggestBatch batch = r->Suggest(3);
  for (const Suggestion& x : batch.suggestions) r->OnPending(x);
  const Suggestion& first = batch.suggestions[0];
  r->Observe(MakeObservation(first.arch, {3.0}, EvalOutcome::kOk, first.id));  // baseline
  const Suggestion& good = batch.suggestions[1];
  const double before_good = r->Probabilities(0)[good.arch.genes[0]];
  r->Observe(MakeObservation(good.arch, {-3.0}, EvalOutcome::kOk, good.id));
  EXPECT_GT(r->Probabilities(0)[good.arch.genes[0]], before_good);
  const Suggestion& bad = batch.suggestions[2];
  const double before_bad = r->Probabilities(1)[bad.arch.genes[1]];
  r->Observe(MakeObservation(bad.arch, {0.0}, EvalOutcome::kInfeasible, bad.id));
  EXPECT_LT(r->Probabilities(1)[bad.arch.genes[1]], before_bad);
}

// A duplicate with a known observation is a reward sample at once; one whose
// equal is in flight updates when an architecture with the same canonical key
// is observed.
TEST(Reinforce, DuplicatesAreRewardSamples) {
  Nb201Space space;
  std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce", 8), &space);
  FeedStatistics(*r);
  const SuggestBatch batch = r->Suggest(3);
  const Suggestion& first = batch.suggestions[0];
  r->OnPending(first);
  r->Observe(MakeObservation(first.arch, {3.0}, EvalOutcome::kOk, first.id));  // baseline
  const Suggestion& known_dup = batch.suggestions[1];
  const Observation known = MakeObservation(known_dup.arch, {-3.0}, EvalOutcome::kOk, 50);
  std::vector<double> before = Policy(*r);
  r->OnDuplicate(known_dup, &known);
  EXPECT_NE(Policy(*r), before);
  const Suggestion& waiting = batch.suggestions[2];
  before = Policy(*r);
  r->OnDuplicate(waiting, nullptr);
  EXPECT_EQ(Policy(*r), before);
  r->Observe(MakeObservation(waiting.arch, {-3.0}, EvalOutcome::kOk, 60));
  EXPECT_NE(Policy(*r), before);
}

// The same seed and call sequence give the same samples; another seed others.
TEST(Reinforce, IsDeterministicPerSeed) {
  Nb201Space space;
  auto run = [&](uint64_t seed) {
    std::unique_ptr<Reinforce> r = MustCreateReinforce(Options("reinforce", seed), &space);
    std::vector<std::string> out;
    for (int i = 0; i < 20; ++i) {
      const SuggestBatch batch = r->Suggest(3);
      out.push_back(Describe(batch));
      for (const Suggestion& x : batch.suggestions) {
        r->OnPending(x);
        r->Observe(MakeObservation(x.arch, {DistanceToTarget(x.arch)}, EvalOutcome::kOk, x.id));
      }
    }
    return out;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

}  // namespace
}  // namespace edgenas
