#include "coordinator/strategy/nsga2.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/strategy/strategy_params.h"
#include "coordinator/strategy/tournament.h"

namespace edgenas {

absl::StatusOr<std::unique_ptr<Nsga2>> Nsga2::Create(const StrategyOptions& options,
                                                     const SearchSpace* space) {
  if (options.population_size < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategy.population_size: must be >= 2, got ", options.population_size));
  }
  const StrategyParams params(options.params);
  ASSIGN_OR_RETURN(const double crossover_prob, params.Double("crossover_prob", 0.9, 0.0, 1.0));
  ASSIGN_OR_RETURN(const int mutation_edits, params.Int("mutation_edits", 1, 1, 10));
  return std::unique_ptr<Nsga2>(new Nsga2(options, space, crossover_prob, mutation_edits));
}

Nsga2::Nsga2(const StrategyOptions& options, const SearchSpace* space, double crossover_prob,
             int mutation_edits)
    : space_(space),
      num_objectives_(options.num_objectives),
      lexicographic_(options.lexicographic),
      population_size_(options.population_size),
      crossover_prob_(crossover_prob),
      mutation_edits_(mutation_edits),
      rng_(options.seed) {}

SuggestBatch Nsga2::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  batch.suggestions.reserve(n);
  for (int i = 0; i < n; ++i) {
    // Members only change in Observe, so one batch is all samples or all children.
    Architecture arch =
        static_cast<int>(members_.size()) < population_size_ ? space_->Sample(rng_) : MakeChild();
    batch.suggestions.push_back({next_id_++, std::move(arch)});
  }
  return batch;
}

void Nsga2::Observe(const Observation& observation) {
  if (!IsUsableResult(observation, num_objectives_, *space_)) return;
  members_.push_back(observation.arch);
  scores_.push_back(observation.scores);
  Rerank();
  if (static_cast<int>(members_.size()) <= population_size_) return;
  // Drop the worst by the crowded comparison; scanning oldest first and
  // replacing only on strictly worse sends exact ties to the oldest.
  int worst = 0;
  for (int i = 1; i < static_cast<int>(members_.size()); ++i) {
    if (CrowdedLess(ranks_[worst], crowding_[worst], ranks_[i], crowding_[i])) worst = i;
  }
  members_.erase(members_.begin() + worst);
  scores_.erase(scores_.begin() + worst);
  Rerank();
}

void Nsga2::Rerank() {
  // One objective is ordered like a lexicographic job: dense rank by score.
  ranks_ = num_objectives_ == 1 || lexicographic_ ? LexicographicRanks(scores_)
                                                  : FastNonDominatedRanks(scores_);
  crowding_ = CrowdingDistances(scores_, ranks_);
}

int Nsga2::Tournament() {
  const int size = static_cast<int>(members_.size());
  const int a = rng_.UniformInt(size);
  // A second, distinct member: draw among the other size-1.
  const int b = (a + 1 + rng_.UniformInt(size - 1)) % size;
  return CrowdedLess(ranks_[b], crowding_[b], ranks_[a], crowding_[a]) ? b : a;
}

Architecture Nsga2::MakeChild() {
  const int first = Tournament();
  Architecture child = members_[first];
  if (rng_.UniformDouble() < crossover_prob_) {
    const Architecture& other = members_[Tournament()];
    for (size_t g = 0; g < child.genes.size(); ++g) {
      if (rng_.UniformInt(2) == 1) child.genes[g] = other.genes[g];
    }
  }
  for (int i = 0; i < mutation_edits_; ++i) child = space_->Mutate(child, rng_);
  return child;
}

}  // namespace edgenas
