#include "coordinator/strategy/regularized_evolution.h"

#include <cmath>
#include <numeric>
#include <utility>

#include "common/pareto.h"

namespace edgenas {

RegularizedEvolution::RegularizedEvolution(const StrategyOptions& options, const SearchSpace* space)
    : space_(space),
      num_objectives_(options.num_objectives),
      population_size_(options.population_size),
      sample_size_(options.sample_size),
      rng_(options.seed) {}

std::vector<Architecture> RegularizedEvolution::Suggest(int n) {
  std::vector<Architecture> out;
  for (int i = 0; i < n; ++i) {
    if (static_cast<int>(population_.size()) < population_size_) {
      out.push_back(space_->Sample(rng_));
    } else {
      out.push_back(space_->Mutate(population_[SelectParent()].arch, rng_));
    }
  }
  return out;
}

void RegularizedEvolution::Observe(const Observation& observation) {
  if (observation.failed) return;
  if (static_cast<int>(observation.scores.size()) != num_objectives_) return;
  for (double s : observation.scores) {
    if (!std::isfinite(s)) return;
  }
  // A parent must be mutable by the space; an invalid one would be UB there.
  if (!space_->Validate(observation.arch).ok()) return;
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

  if (num_objectives_ == 1) {
    // Ties go to the earlier-drawn member, which keeps the choice seeded.
    int best = order[0];
    for (int idx : order) {
      if (population_[idx].scores[0] < population_[best].scores[0]) best = idx;
    }
    return best;
  }
  std::vector<Point> points;
  points.reserve(order.size());
  for (int idx : order) points.push_back(population_[idx].scores);
  const std::vector<int> front =
      NonDominatedIndices(points, std::vector<Sense>(num_objectives_, Sense::kMinimize));
  return order[front[rng_.UniformInt(static_cast<int>(front.size()))]];
}

}  // namespace edgenas
