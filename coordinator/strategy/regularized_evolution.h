// RegularizedEvolution: aging evolution (Real et al., AAAI 2019). The
// population is the queue of the most recent `population_size` successful
// observations; each suggestion mutates the winner of a tournament of
// `sample_size` members drawn from it, and the oldest member leaves when a
// new one arrives. Before the population is full, suggestions are uniform
// samples. With several objectives the tournament winner is drawn uniformly
// among the sample's non-dominated members.
#ifndef EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_
#define EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_

#include <deque>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class RegularizedEvolution : public Strategy {
 public:
  // Requires options validated as CreateStrategy does (population_size >= 2,
  // 1 <= sample_size <= population_size, num_objectives >= 1) and a non-null
  // `space` that outlives the strategy. Prefer CreateStrategy.
  RegularizedEvolution(const StrategyOptions& options, const SearchSpace* space);

  std::string Name() const override { return "regularized_evolution"; }
  // Random samples until the population is full, then one mutated
  // tournament winner per requested architecture.
  std::vector<Architecture> Suggest(int n) override;
  // Appends a successful observation to the population (dropping the oldest
  // when full). Ignores failed ones and those whose architecture is invalid
  // or whose scores are not num_objectives finite values.
  void Observe(const Observation& observation) override;

  // The current population, oldest first (for tests and diagnostics).
  const std::deque<Observation>& population() const { return population_; }

 private:
  // Index into population_ of the winner of one tournament.
  int SelectParent();

  const SearchSpace* space_;
  const int num_objectives_;
  const int population_size_;
  const int sample_size_;
  Rng rng_;
  std::deque<Observation> population_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_
