#include "coordinator/strategy/regularized_evolution.h"

#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "common/pareto.h"
#include "coordinator/strategy/tournament.h"

namespace edgenas {

RegularizedEvolution::RegularizedEvolution(const StrategyOptions& options, const SearchSpace* space)
    : space_(space),
      num_objectives_(options.num_objectives),
      lexicographic_(options.lexicographic),
      population_size_(options.population_size),
      sample_size_(options.sample_size),
      rng_(options.seed) {}

SuggestBatch RegularizedEvolution::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  batch.suggestions.reserve(n);
  for (int i = 0; i < n; ++i) {
    // The population only changes in Observe, so one batch is all samples
    // or all mutants.
    Architecture arch = static_cast<int>(population_.size()) < population_size_
                            ? space_->Sample(rng_)
                            : space_->Mutate(population_[SelectParent()].arch, rng_);
    batch.suggestions.push_back({next_id_++, std::move(arch)});
  }
  return batch;
}

void RegularizedEvolution::Observe(const Observation& observation) {
  // Failed and infeasible children neither join nor age the population.
  if (!IsUsableResult(observation, num_objectives_, *space_)) return;
  population_.push_back(observation);
  if (static_cast<int>(population_.size()) > population_size_) population_.pop_front();
}

int RegularizedEvolution::SelectParent() {
  // Draw sample_size distinct members by a partial Fisher-Yates shuffle.
  std::vector<int> order(population_.size());
  std::iota(order.begin(), order.end(), 0);
  for (int i = 0; i < sample_size_; ++i) {
    const int j = i + rng_.UniformInt(static_cast<int>(order.size()) - i);
    std::swap(order[i], order[j]);
  }
  order.resize(sample_size_);

  std::vector<Point> scores;
  scores.reserve(order.size());
  for (int idx : order) scores.push_back(population_[idx].scores);
  const int winner = num_objectives_ == 1 ? SingleObjectiveWinner(scores)
                     : lexicographic_     ? LexicographicWinner(scores)
                                          : MultiObjectiveWinner(scores, rng_);
  return order[winner];
}

}  // namespace edgenas
