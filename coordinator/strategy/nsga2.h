// Nsga2: NSGA-II (Deb et al., IEEE TEC 2002) in its steady-state (mu+1)
// form. The population holds up to `population_size` successful (kOk)
// observations, suggested or not; each new one is inserted and, when the
// population overflows, the worst member by (non-dominated rank, crowding
// distance) leaves (exact ties: the oldest). Until the population is full,
// suggestions are uniform samples; then each child is the uniform crossover
// of two binary-tournament winners (with probability crossover_prob, else a
// copy of one winner) followed by `mutation_edits` one-edit mutations.
//
// Why steady-state: generational NSGA-II needs a whole generation of
// evaluations back before it can select again. Here evaluations finish
// asynchronously and in parallel, some fail or are cancelled, so a
// generational barrier would idle workers waiting for stragglers (or select
// from stale, short generations). Inserting each result as it arrives keeps
// every Suggest ready and uses every result at once.
//
// One objective: rank = dense order by score (ties share a rank).
// Lexicographic jobs: Ranks(points, /*lexicographic=*/true). Otherwise:
// Pareto ranks by fast non-dominated sorting, and crowding within fronts.
//
// Params (strategy.params.<key>):
//   crossover_prob  in [0, 1], default 0.9: chance a child is the uniform
//                   crossover of two parents rather than a copy of one.
//   mutation_edits  in [1, 10], default 1: one-edit mutations (SearchSpace::
//                   Mutate) applied to every child, so it differs from its
//                   parents and is rarely a duplicate.
#ifndef EDGENAS_COORDINATOR_STRATEGY_NSGA2_H_
#define EDGENAS_COORDINATOR_STRATEGY_NSGA2_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pareto.h"
#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class Nsga2 : public Strategy {
 public:
  // Validates options (population_size >= 2, the params above) and builds
  // the strategy over `space` (non-null, outliving it); INVALID_ARGUMENT
  // naming the field otherwise.
  static absl::StatusOr<std::unique_ptr<Nsga2>> Create(const StrategyOptions& options,
                                                       const SearchSpace* space);

  std::string Name() const override { return "nsga2"; }
  // n suggestions with the next n ids, state kReady: uniform samples while
  // the population is not full, else children of tournament winners.
  // n < 1 (outside the contract) gives an empty batch, state kWait.
  SuggestBatch Suggest(int n) override;
  // Inserts a kOk observation and truncates the population back to
  // population_size. Failed and infeasible ones, and ok ones with an invalid
  // architecture or not num_objectives finite scores, change nothing.
  void Observe(const Observation& observation) override;
  // OnPending, OnDuplicate and OnCancelled keep the defaults (no-ops): a
  // duplicate is not a new member, and selection keeps no pending state.

  // Members oldest first, with their ranks and crowding distances (same
  // order), for tests and diagnostics.
  const std::vector<Architecture>& members() const { return members_; }
  const std::vector<Point>& scores() const { return scores_; }
  const std::vector<int>& ranks() const { return ranks_; }
  const std::vector<double>& crowding() const { return crowding_; }

 private:
  Nsga2(const StrategyOptions& options, const SearchSpace* space, double crossover_prob,
        int mutation_edits);

  // Recomputes ranks_ and crowding_ for the current members.
  void Rerank();
  // Index of the winner of a binary tournament (two distinct members).
  int Tournament();
  Architecture MakeChild();

  const SearchSpace* space_;
  const int num_objectives_;
  const bool lexicographic_;
  const int population_size_;
  const double crossover_prob_;
  const int mutation_edits_;
  Rng rng_;
  int64_t next_id_ = 0;
  std::vector<Architecture> members_;  // oldest first
  std::vector<Point> scores_;
  std::vector<int> ranks_;
  std::vector<double> crowding_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_NSGA2_H_
