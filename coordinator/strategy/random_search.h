// RandomSearch: uniform sampling over the search space, the baseline every
// other strategy must beat. Learns nothing from results.
#ifndef EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_
#define EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_

#include <cstdint>
#include <string>

#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class RandomSearch : public Strategy {
 public:
  // `space` must be non-null and outlive the strategy. Prefer CreateStrategy.
  RandomSearch(const SearchSpace* space, uint64_t seed) : space_(space), rng_(seed) {}

  std::string Name() const override { return "random"; }
  // n independent uniform samples with the next n ids, state kReady; the
  // samples depend only on the seed and how many were drawn before.
  // n < 1 (outside the contract) gives an empty batch with state kWait.
  SuggestBatch Suggest(int n) override;
  // Ignored: random search learns nothing from results.
  void Observe(const Observation& observation) override {}

 private:
  const SearchSpace* space_;
  Rng rng_;
  int64_t next_id_ = 0;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_
