// Tests of the strategy factory, random search, and the v2 protocol
// guarantees every strategy gives (ids, determinism, replay).
#include "coordinator/strategy/strategy.h"

#include <memory>
#include <string>
#include <vector>

#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/strategy/strategy_test_util.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using testing_util::Archs;
using testing_util::Call;
using testing_util::Describe;
using testing_util::MustCreate;
using testing_util::FactoryError;
using testing_util::Options;
using testing_util::Replay;
using testing_util::SimulateJob;

// Message of the factory's error for `options`.

// Every option configuration the protocol tests run: each strategy, and
// evolution with one and two objectives and a small population.
std::vector<StrategyOptions> ProtocolConfigs(uint64_t seed) {
  std::vector<StrategyOptions> configs;
  for (const std::string& name : KnownStrategies()) {
    for (int objectives : {1, 2}) {
      StrategyOptions o = Options(name, seed);
      o.num_objectives = objectives;
      o.population_size = 6;
      o.sample_size = 3;
      configs.push_back(o);
    }
  }
  return configs;
}

// The suggestions of every Suggest call in `log`, as text.
std::vector<std::string> Suggested(const std::vector<Call>& log) {
  std::vector<std::string> out;
  for (const Call& c : log) {
    if (c.kind == Call::kSuggest) out.push_back(Describe(c.returned));
  }
  return out;
}

// Bad options are refused naming the field; unknown names list the known ones.
TEST(StrategyFactory, RefusesBadOptionsNamingTheField) {
  EXPECT_THAT(FactoryError(Options("annealing")),
              HasSubstr("strategy.name: unknown strategy \"annealing\"; known: random, "
                        "regularized_evolution"));
  StrategyOptions o = Options("regularized_evolution");
  o.population_size = 1;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.population_size: "));
  o = Options("regularized_evolution");
  o.sample_size = 0;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.sample_size: "));
  o.sample_size = o.population_size + 1;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.sample_size: "));
  o = Options("random");
  o.num_objectives = 0;
  EXPECT_THAT(FactoryError(o), HasSubstr("strategy.num_objectives: "));
  EXPECT_EQ(CreateStrategy(Options("random"), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A key no strategy declares is refused, naming key and strategy.
TEST(StrategyFactory, RefusesUnknownParamsNamingTheKey) {
  for (const std::string& name : KnownStrategies()) {
    StrategyOptions o = Options(name);
    o.params["no_such_setting"] = "0.5";
    EXPECT_EQ(FactoryError(o), "strategy.params.no_such_setting: unknown setting for " + name);
  }
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

// Random search returns n valid samples, ready, with ids 0, 1, 2, ... across calls.
TEST(RandomSearch, ReturnsNValidSamplesWithConsecutiveIds) {
  Nb201Space space;
  std::unique_ptr<Strategy> s = MustCreate(Options("random", 5), &space);
  int64_t expected_id = 0;
  for (int n : {1, 4, 7}) {
    const SuggestBatch batch = s->Suggest(n);
    EXPECT_EQ(batch.state, SuggestState::kReady);
    ASSERT_EQ(batch.suggestions.size(), static_cast<size_t>(n));
    for (const Suggestion& x : batch.suggestions) {
      EXPECT_EQ(x.id, expected_id++);
      EXPECT_TRUE(space.Validate(x.arch).ok());
    }
  }
}

// Random search draws the same samples for the same seed, others for another,
// whatever it is told about results.
TEST(RandomSearch, IsDeterministicPerSeedAndIgnoresObservations) {
  Nb201Space space;
  std::unique_ptr<Strategy> a = MustCreate(Options("random", 5), &space);
  std::unique_ptr<Strategy> b = MustCreate(Options("random", 5), &space);
  std::unique_ptr<Strategy> c = MustCreate(Options("random", 6), &space);
  const SuggestBatch xa = a->Suggest(20);
  b->Observe(testing_util::MakeObservation(Nb201Space::FromIndex(3), {1.0}));
  EXPECT_EQ(Describe(xa), Describe(b->Suggest(20)));
  EXPECT_NE(Archs(xa), Archs(c->Suggest(20)));
}

// Over a whole simulated job, every strategy returns ready batches of exactly
// n suggestions whose ids are 0, 1, 2, ... in issue order.
TEST(StrategyProtocol, IdsAreUniqueAndIncreasingInIssueOrder) {
  Nb201Space space;
  for (const StrategyOptions& o : ProtocolConfigs(/*seed=*/3)) {
    std::unique_ptr<Strategy> s = MustCreate(o, &space);
    int64_t expected_id = 0;
    for (const Call& c : SimulateJob(*s, o.num_objectives, /*rounds=*/60, /*script_seed=*/7)) {
      if (c.kind != Call::kSuggest) continue;
      EXPECT_EQ(c.returned.state, SuggestState::kReady) << o.name;
      EXPECT_EQ(c.returned.suggestions.size(), static_cast<size_t>(c.n)) << o.name;
      for (const Suggestion& x : c.returned.suggestions) EXPECT_EQ(x.id, expected_id++) << o.name;
    }
    EXPECT_GT(expected_id, 60) << o.name;
  }
}

// The same seed and the same call sequence give the same suggestions; another
// seed gives others.
TEST(StrategyProtocol, IsDeterministicPerSeedAndCallSequence) {
  Nb201Space space;
  const std::vector<StrategyOptions> first = ProtocolConfigs(/*seed=*/21);
  const std::vector<StrategyOptions> other = ProtocolConfigs(/*seed=*/22);
  for (size_t i = 0; i < first.size(); ++i) {
    const StrategyOptions& o = first[i];
    std::unique_ptr<Strategy> a = MustCreate(o, &space);
    std::unique_ptr<Strategy> b = MustCreate(o, &space);
    std::unique_ptr<Strategy> c = MustCreate(other[i], &space);
    const std::vector<std::string> xa = Suggested(SimulateJob(*a, o.num_objectives, 50, 9));
    EXPECT_EQ(xa, Suggested(SimulateJob(*b, o.num_objectives, 50, 9))) << o.name;
    EXPECT_NE(xa, Suggested(SimulateJob(*c, o.num_objectives, 50, 9))) << o.name;
  }
}

// A fresh instance fed the logged calls of a job (as after a coordinator
// restart) returns the logged suggestions and then continues identically.
TEST(StrategyProtocol, ReplayOfTheCallLogContinuesIdentically) {
  Nb201Space space;
  for (const StrategyOptions& o : ProtocolConfigs(/*seed=*/31)) {
    std::unique_ptr<Strategy> live = MustCreate(o, &space);
    const std::vector<Call> log = SimulateJob(*live, o.num_objectives, 80, /*script_seed=*/13);
    std::unique_ptr<Strategy> restarted = MustCreate(o, &space);
    Replay(*restarted, log);
    for (int n : {1, 5, 3}) {
      EXPECT_EQ(Describe(restarted->Suggest(n)), Describe(live->Suggest(n))) << o.name;
    }
  }
}

}  // namespace
}  // namespace edgenas
