// RegularizedEvolution: aging evolution (Real et al., AAAI 2019). The
// population is the queue of the most recent `population_size` successful
// (kOk) observations, suggested or not; the oldest member leaves when a new
// one arrives. Until the population is full, suggestions are uniform
// samples; then each suggestion mutates the winner of a tournament among
// `sample_size` distinct members drawn from it. One objective: the smallest
// score wins, ties to the earlier drawn. Several: lowest non-dominated rank
// within the sample, then largest crowding distance, then a seeded draw
// (lexicographic jobs: the lexicographically smallest, ties to the earlier).
#ifndef EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_
#define EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_

#include <cstdint>
#include <deque>
#include <string>

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
  // n suggestions with the next n ids, state kReady: uniform samples while
  // the population is not full, else one-gene mutants of tournament
  // winners. n < 1 (outside the contract) gives an empty batch, state kWait.
  SuggestBatch Suggest(int n) override;
  // Appends a kOk observation to the population, dropping the oldest member
  // when full. Failed and infeasible ones, and ok ones with an invalid
  // architecture or not num_objectives finite scores, change nothing.
  void Observe(const Observation& observation) override;
  // OnPending, OnDuplicate and OnCancelled keep the defaults (no-ops): a
  // duplicate is not a new member, and evolution keeps no pending state.

  // The current population, oldest first (for tests and diagnostics).
  const std::deque<Observation>& population() const { return population_; }

 private:
  // Index into population_ of the winner of one tournament.
  int SelectParent();

  const SearchSpace* space_;
  const int num_objectives_;
  const bool lexicographic_;
  const int population_size_;
  const int sample_size_;
  Rng rng_;
  int64_t next_id_ = 0;
  std::deque<Observation> population_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_REGULARIZED_EVOLUTION_H_
