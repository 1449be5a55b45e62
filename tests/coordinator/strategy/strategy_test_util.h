// Helpers shared by the strategy tests: option and observation builders, a
// synthetic objective over NAS-Bench-201 genes, and a scripted job runtime
// that drives a strategy through the whole v2 call protocol, logging every
// call so that the log can be replayed into a fresh instance.
#ifndef EDGENAS_TESTS_COORDINATOR_STRATEGY_STRATEGY_TEST_UTIL_H_
#define EDGENAS_TESTS_COORDINATOR_STRATEGY_STRATEGY_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spaces/nb201/nb201_space.h"
#include "common/random.h"
#include "coordinator/strategy/strategy.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace testing_util {

inline StrategyOptions Options(const std::string& name, uint64_t seed = 1) {
  StrategyOptions o;
  o.name = name;
  o.seed = seed;
  return o;
}

// Creates the strategy, failing the test (and returning null) on error.
inline std::unique_ptr<Strategy> MustCreate(const StrategyOptions& options,
                                            const SearchSpace* space) {
  absl::StatusOr<std::unique_ptr<Strategy>> s = CreateStrategy(options, space);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// T::Create(options, space) for a concrete strategy type, failing the test
// (and returning null) on error.
template <typename T>
std::unique_ptr<T> MustCreateTyped(const StrategyOptions& options, const SearchSpace* space) {
  absl::StatusOr<std::unique_ptr<T>> s = T::Create(options, space);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// The message of the INVALID_ARGUMENT that CreateStrategy must return.
inline std::string FactoryError(const StrategyOptions& options) {
  Nb201Space space;
  absl::StatusOr<std::unique_ptr<Strategy>> s = CreateStrategy(options, &space);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

inline int GenesDiffering(const Architecture& a, const Architecture& b) {
  int diff = 0;
  for (size_t i = 0; i < a.genes.size(); ++i) diff += a.genes[i] != b.genes[i];
  return diff;
}

// Synthetic objective: how many genes differ from a fixed target (0 is best).
inline double DistanceToTarget(const Architecture& arch) {
  static const Architecture kTarget{{3, 1, 3, 2, 4, 3}};
  return GenesDiffering(arch, kTarget);
}

// Oriented scores for the synthetic job: distance to the target, then (with
// two objectives) a second, conflicting-ish score derived from the index.
inline std::vector<double> SyntheticScores(const Architecture& arch, int num_objectives) {
  std::vector<double> scores = {DistanceToTarget(arch)};
  if (num_objectives > 1) scores.push_back(Nb201Space::Index(arch) % 7);
  return scores;
}

inline Observation MakeObservation(const Architecture& arch, std::vector<double> scores,
                                   EvalOutcome outcome = EvalOutcome::kOk,
                                   int64_t suggestion_id = kNoSuggestion) {
  Observation o;
  o.suggestion_id = suggestion_id;
  o.arch = arch;
  o.outcome = outcome;
  o.scores = std::move(scores);
  if (outcome != EvalOutcome::kOk) o.failure_reason = "synthetic";
  return o;
}

// The architectures of a batch, in order.
inline std::vector<Architecture> Archs(const SuggestBatch& batch) {
  std::vector<Architecture> out;
  for (const Suggestion& s : batch.suggestions) out.push_back(s.arch);
  return out;
}

// A batch as text ("ready: 0=[1,2,...] 1=[...]"), for comparisons with readable failures.
inline std::string Describe(const SuggestBatch& batch) {
  std::string out = batch.state == SuggestState::kReady  ? "ready:"
                    : batch.state == SuggestState::kWait ? "wait:"
                                                         : "exhausted:";
  for (const Suggestion& s : batch.suggestions) {
    absl::StrAppend(&out, " ", s.id, "=[");
    for (size_t i = 0; i < s.arch.genes.size(); ++i) {
      absl::StrAppend(&out, i ? "," : "", s.arch.genes[i]);
    }
    absl::StrAppend(&out, "]");
  }
  return out;
}

// One call of the v2 protocol, as the job runtime would log it.
struct Call {
  enum Kind { kSuggest, kPending, kDuplicate, kObserve, kCancelled } kind = kSuggest;
  int n = 0;                                 // kSuggest: requested
  SuggestBatch returned;                     // kSuggest: what the strategy gave
  Suggestion suggestion;                     // kPending, kDuplicate
  std::optional<Observation> observation;    // kObserve; kDuplicate's `known`
  int64_t cancelled_id = kNoSuggestion;      // kCancelled
};

// Drives `strategy` for `rounds` rounds as a job runtime would: two initial
// architectures, then batches of 1-3 suggestions; repeats are reported with
// OnDuplicate (known or still in flight), the rest go pending and finish in
// a shuffled order as ok, failed, infeasible or cancelled. The script
// depends only on `script_seed` and on what the strategy suggests.
inline std::vector<Call> SimulateJob(Strategy& strategy, int num_objectives, int rounds,
                                     uint64_t script_seed) {
  Rng rng(script_seed);
  std::vector<Call> log;
  std::map<std::vector<int>, std::optional<Observation>> known;  // nullopt: in flight
  std::vector<Suggestion> in_flight;
  auto observe = [&](const Observation& obs) {
    log.push_back({Call::kObserve, 0, {}, {}, obs, kNoSuggestion});
    strategy.Observe(obs);
  };
  for (int index : {0, 7777}) {
    const Architecture arch = Nb201Space::FromIndex(index);
    known[arch.genes] = MakeObservation(arch, SyntheticScores(arch, num_objectives));
    observe(*known[arch.genes]);
  }
  for (int round = 0; round < rounds; ++round) {
    const int n = 1 + rng.UniformInt(3);
    SuggestBatch batch = strategy.Suggest(n);
    log.push_back({Call::kSuggest, n, batch, {}, std::nullopt, kNoSuggestion});
    for (const Suggestion& s : batch.suggestions) {
      auto it = known.find(s.arch.genes);
      if (it != known.end()) {
        log.push_back({Call::kDuplicate, 0, {}, s, it->second, kNoSuggestion});
        strategy.OnDuplicate(s, it->second ? &*it->second : nullptr);
        continue;
      }
      known[s.arch.genes] = std::nullopt;
      log.push_back({Call::kPending, 0, {}, s, std::nullopt, kNoSuggestion});
      strategy.OnPending(s);
      in_flight.push_back(s);
    }
    // Finish a random number of in-flight evaluations, in random order.
    for (int done = rng.UniformInt(4); done > 0 && !in_flight.empty(); --done) {
      const int j = rng.UniformInt(static_cast<int>(in_flight.size()));
      const Suggestion s = in_flight[j];
      in_flight.erase(in_flight.begin() + j);
      const int roll = rng.UniformInt(10);
      if (roll == 0) {
        known.erase(s.arch.genes);
        log.push_back({Call::kCancelled, 0, {}, {}, std::nullopt, s.id});
        strategy.OnCancelled(s.id);
        continue;
      }
      const EvalOutcome outcome = roll == 1   ? EvalOutcome::kFailed
                                  : roll == 2 ? EvalOutcome::kInfeasible
                                              : EvalOutcome::kOk;
      std::vector<double> scores;
      if (outcome != EvalOutcome::kFailed) scores = SyntheticScores(s.arch, num_objectives);
      known[s.arch.genes] = MakeObservation(s.arch, scores, outcome, s.id);
      observe(*known[s.arch.genes]);
    }
  }
  return log;
}

// Feeds `log` to `strategy` call by call, expecting every Suggest to return
// exactly what the logged one did.
inline void Replay(Strategy& strategy, const std::vector<Call>& log) {
  for (size_t i = 0; i < log.size(); ++i) {
    const Call& c = log[i];
    switch (c.kind) {
      case Call::kSuggest:
        EXPECT_EQ(Describe(strategy.Suggest(c.n)), Describe(c.returned)) << "call " << i;
        break;
      case Call::kPending:
        strategy.OnPending(c.suggestion);
        break;
      case Call::kDuplicate:
        strategy.OnDuplicate(c.suggestion, c.observation ? &*c.observation : nullptr);
        break;
      case Call::kObserve:
        strategy.Observe(*c.observation);
        break;
      case Call::kCancelled:
        strategy.OnCancelled(c.cancelled_id);
        break;
    }
  }
}

}  // namespace testing_util
}  // namespace edgenas

#endif  // EDGENAS_TESTS_COORDINATOR_STRATEGY_STRATEGY_TEST_UTIL_H_
