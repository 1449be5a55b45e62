// Strategy: the seam between the job manager and a search algorithm.
// The job manager asks for architectures with Suggest(n) and reports every
// finished evaluation with Observe(). A strategy never sees RPC, storage or
// metric names: it gets scores already oriented so that smaller is better.
// Given the same seed and the same sequence of calls, a strategy makes the
// same suggestions, so its state can be rebuilt by replaying observations.
// Not thread-safe: the job manager serialises calls.
#ifndef EDGENAS_COORDINATOR_STRATEGY_STRATEGY_H_
#define EDGENAS_COORDINATOR_STRATEGY_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/search_space.h"

namespace edgenas {

// The outcome of evaluating one suggested architecture.
struct Observation {
  Architecture arch;
  // One entry per objective, in the job's objective order, oriented so that
  // smaller is better (maximised metrics are negated). Empty when failed.
  std::vector<double> scores;
  // True when evaluation failed or the candidate broke a hard constraint;
  // a strategy must not select such an architecture as a parent.
  bool failed = false;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string Name() const = 0;
  // Returns up to n architectures to evaluate next (may repeat earlier ones;
  // the job manager deduplicates by canonical key and asks again).
  virtual std::vector<Architecture> Suggest(int n) = 0;
  // Records a finished evaluation (in any order relative to Suggest).
  virtual void Observe(const Observation& observation) = 0;
};

struct StrategyOptions {
  std::string name;          // "random" | "regularized_evolution"
  uint64_t seed = 0;
  int num_objectives = 1;
  int population_size = 16;  // evolution
  int sample_size = 4;       // evolution tournament size
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
