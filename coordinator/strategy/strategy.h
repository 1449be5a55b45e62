// Strategy (interface v2): the seam between the job runtime and a search
// algorithm. A strategy never sees RPC, storage or proto types.
//
// The call protocol, driven by the job runtime (one job, one thread at a time):
//   Suggest(n)        -> up to n Suggestions, each with an id unique within
//                        this strategy instance (0, 1, 2, ... in issue order),
//                        or none with a state saying why (kWait / kExhausted).
//   for each suggestion, exactly one of:
//     OnPending(s)    -> it became a candidate; its evaluation is in flight.
//     OnDuplicate(s, known)
//                     -> not evaluated: its architecture is already in the
//                        job (known = that candidate's observation when it is
//                        finished, nullptr while it is still in flight), or
//                        invalid. It is NOT a new population member.
//   later, for each pending suggestion, exactly one of:
//     Observe(obs)    -> its evaluation finished (ok, infeasible or failed),
//                        in completion order;
//     OnCancelled(id) -> it was revoked (job cancelled, wall-time budget).
//   Observe(obs) with suggestion_id == kNoSuggestion reports an architecture
//   the strategy did not suggest (e.g. the job's initial architectures).
//
// Determinism: given the same options (seed included) and the same sequence
// of calls, a strategy returns the same suggestions. The job runtime logs
// every call and rebuilds a strategy after a restart by replaying the log,
// so a restarted job continues exactly where it was.
// Not thread-safe: the job runtime serialises calls.
#ifndef EDGENAS_COORDINATOR_STRATEGY_STRATEGY_H_
#define EDGENAS_COORDINATOR_STRATEGY_STRATEGY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/search_space.h"

namespace edgenas {

inline constexpr int64_t kNoSuggestion = -1;

// One architecture proposed by a strategy.
struct Suggestion {
  int64_t id = kNoSuggestion;
  Architecture arch;
};

// Why Suggest returned what it did.
enum class SuggestState {
  kReady,      // suggestions is non-empty
  kWait,       // nothing to suggest until more results arrive (ask again later)
  kExhausted,  // nothing more, ever (e.g. a finite space fully enumerated)
};

struct SuggestBatch {
  std::vector<Suggestion> suggestions;  // at most n
  SuggestState state = SuggestState::kReady;
};

// How an evaluation ended.
enum class EvalOutcome {
  kOk,          // every objective measured, every constraint satisfied
  kInfeasible,  // measured, but a hard constraint was broken
  kFailed,      // not measured (task failures, missing objective, ...)
};

// One raw metric as reported, with where it came from.
struct ObservedMetric {
  std::string name;          // "accuracy", "latency_ms", ...
  std::string device_class;  // "" for device-independent metrics
  double value = 0.0;        // unoriented, as measured
  std::string source;        // e.g. "worker:full_train", "agent:libtorch-cpu"
  std::string fidelity;      // e.g. "proxy", "full"; "" when not given
  // The device agent could not measure the value to the job's precision
  // (latency.target_ci_rel) even after a re-measurement; the value is the
  // median it did measure. No strategy treats it differently today; one that
  // wants to (e.g. re-measure, or widen a model's noise) can.
  bool unstable = false;
};

// The outcome of one hard constraint on measured values.
struct ConstraintOutcome {
  std::string metric;
  std::string device_class;
  bool measured = false;
  double value = 0.0;      // when measured
  bool satisfied = false;
  double violation = 0.0;  // >= 0: how far past the bound (0 when satisfied)
};

// The outcome of evaluating one architecture.
struct Observation {
  int64_t suggestion_id = kNoSuggestion;
  Architecture arch;
  EvalOutcome outcome = EvalOutcome::kFailed;
  // One entry per objective, in the job's objective order, oriented so that
  // smaller is better (maximised metrics negated). Filled whenever every
  // objective was measured (kOk, and kInfeasible when measured); else empty.
  std::vector<double> scores;
  std::vector<ObservedMetric> metrics;
  std::vector<ConstraintOutcome> constraints;
  std::string failure_reason;  // for kFailed and kInfeasible

  bool ok() const { return outcome == EvalOutcome::kOk; }
};

// True when `o` has exactly num_objectives scores, all finite.
bool HasFiniteScores(const Observation& o, int num_objectives);

// True for a kOk observation with num_objectives finite scores and an
// architecture `space` accepts: a result fit to join a population or be a
// parent (an invalid architecture would be undefined behaviour in Mutate).
bool IsUsableResult(const Observation& o, int num_objectives, const SearchSpace& space);

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string Name() const = 0;
  // Up to n (>= 1) suggestions with fresh ids; see SuggestState for an
  // empty batch. May repeat architectures; the runtime deduplicates.
  virtual SuggestBatch Suggest(int n) = 0;
  // The suggestion is now being evaluated (Bayesian optimisation treats it
  // as a pending point; REINFORCE remembers its sampled actions).
  virtual void OnPending(const Suggestion& suggestion) {}
  // The suggestion will not be evaluated; `known` is the observation of the
  // equal architecture already in the job, or nullptr while that one is in
  // flight or when the suggestion was invalid.
  virtual void OnDuplicate(const Suggestion& suggestion, const Observation* known) {}
  // A pending suggestion was revoked; no Observe will follow for it.
  virtual void OnCancelled(int64_t suggestion_id) {}
  // A finished evaluation, in completion order.
  virtual void Observe(const Observation& observation) = 0;
};

struct StrategyOptions {
  std::string name;          // see KnownStrategies()
  uint64_t seed = 0;
  int num_objectives = 1;
  // With several objectives: rank them lexicographically (objectives[0]
  // first, later ones break exact ties; job objective_mode lexicographic)
  // instead of by Pareto dominance. Scalarized jobs reach strategies as one
  // objective (the negated reward), so they need nothing here.
  bool lexicographic = false;
  int population_size = 16;  // evolution
  int sample_size = 4;       // evolution tournament size
  // Strategy-specific settings by name (job spec strategy.params); unknown
  // keys are refused by the factory naming "strategy.params.<key>"; read
  // them with StrategyParams (strategy_params.h).
  std::map<std::string, std::string> params;
};

// Creates the named strategy over `space` (which must outlive it);
// INVALID_ARGUMENT naming "strategy.name" (listing known names) or the bad
// option otherwise.
absl::StatusOr<std::unique_ptr<Strategy>> CreateStrategy(const StrategyOptions& options,
                                                         const SearchSpace* space);

// Names accepted by CreateStrategy.
std::vector<std::string> KnownStrategies();

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_STRATEGY_H_
