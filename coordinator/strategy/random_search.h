// RandomSearch: uniform sampling over the search space, the baseline every
// other strategy must beat. Ignores observations.
#ifndef EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_
#define EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class RandomSearch : public Strategy {
 public:
  // `space` must be non-null and outlive the strategy. Prefer CreateStrategy.
  RandomSearch(const SearchSpace* space, uint64_t seed) : space_(space), rng_(seed) {}

  std::string Name() const override { return "random"; }
  // Returns n independent uniform samples (n <= 0 gives none).
  std::vector<Architecture> Suggest(int n) override;
  // Random search learns nothing from results.
  void Observe(const Observation& observation) override {}

 private:
  const SearchSpace* space_;
  Rng rng_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_RANDOM_SEARCH_H_
