// Reinforce: the REINFORCE policy-gradient controller of Zoph & Le (ICLR
// 2017), simplified to an independent categorical policy per gene (softmax
// of logits / temperature; a NAS-Bench-201 cell: 6 edges x 5 ops). Each suggestion samples
// every gene; each result updates the logits by
//   lr * (A * grad log pi(arch) + entropy_weight * grad H(pi)),
// where A = (reward - baseline) / std: the baseline is a moving average of
// the policy's own rewards (baseline_decay) and std the standard deviation
// of all rewards seen, so learning rates do not depend on the objective's
// scale (A is clipped to [-5, 5]).
//
// Rewards: one objective and lexicographic jobs: -scores[0] (scores arrive
// smaller-is-better). Several Pareto objectives: an augmented Chebyshev
// scalarization with a per-job weight vector w (uniform on the simplex,
// drawn from the seed) on objectives normalised by their observed ranges:
//   reward = -(max_i w_i z_i + 0.05 sum_i w_i z_i),  z_i = (s_i - lo_i)/(hi_i - lo_i),
// so one job pursues one region of the front, and Chebyshev (unlike a
// weighted sum) can reach non-convex parts of it. Infeasible results get the
// worst reward seen so far (none yet: no update); failed ones update nothing.
//
// Samples and their rewards: a suggestion's sampled actions are its genes,
// remembered by id until it resolves. A duplicate with a known observation
// is a genuine policy sample whose reward is known: it updates the policy at
// once with that reward. A duplicate whose equal is in flight waits for the
// Observe of an architecture with the same canonical key (dropped when that
// one fails or is cancelled). Observations the strategy did not sample
// (kNoSuggestion, unknown ids) only feed the reward statistics (std, worst,
// ranges), never the gradient, which is only unbiased for on-policy samples.
//
// Params (strategy.params.<key>):
//   learning_rate   > 0, default 0.1.
//   baseline_decay  in [0, 1), default 0.9.
//   entropy_weight  >= 0, default 0.01: keeps the policy from collapsing early.
//   temperature     > 0, default 1: logits are divided by it when sampling.
#ifndef EDGENAS_COORDINATOR_STRATEGY_REINFORCE_H_
#define EDGENAS_COORDINATOR_STRATEGY_REINFORCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/pareto.h"
#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class Reinforce : public Strategy {
 public:
  // Validates the params above and builds the strategy over `space`
  // (non-null, outliving it); INVALID_ARGUMENT naming the field otherwise.
  static absl::StatusOr<std::unique_ptr<Reinforce>> Create(const StrategyOptions& options,
                                                           const SearchSpace* space);

  std::string Name() const override { return "reinforce"; }
  // n architectures sampled from the current policy with the next n ids,
  // state kReady. n < 1 (outside the contract) gives an empty batch, kWait.
  SuggestBatch Suggest(int n) override;
  // Uses `known`'s reward for the sampled actions, or waits for the equal
  // architecture in flight (see the banner).
  void OnDuplicate(const Suggestion& suggestion, const Observation* known) override;
  // Forgets the sampled actions (and duplicates waiting on them).
  void OnCancelled(int64_t suggestion_id) override;
  // Updates reward statistics and, for the strategy's own samples (and
  // duplicates waiting on this architecture), the policy. Invalid
  // architectures and unusable scores are ignored.
  void Observe(const Observation& observation) override;

  // The current sampling probabilities of `gene`'s choices (for tests).
  std::vector<double> Probabilities(int gene) const;

 private:
  Reinforce(const StrategyOptions& options, const SearchSpace* space, double learning_rate,
            double baseline_decay, double entropy_weight, double temperature);

  // The reward of an observation, nullopt when it carries none (failed,
  // invalid, or infeasible before any reward was seen).
  std::optional<double> RewardOf(const Observation& observation) const;
  // Adds a kOk observation's scores to the ranges and its reward to the statistics.
  void Record(const Observation& observation);
  // One policy-gradient step for the sampled `genes` with `reward`.
  void Update(const std::vector<int>& genes, double reward);
  // Duplicates waiting on the canonical key of `arch`, removed from waiting_.
  std::vector<std::vector<int>> TakeWaiting(const Architecture& arch);
  bool UsableScores(const Observation& observation) const;

  const SearchSpace* space_;
  const int num_objectives_;
  const bool scalarize_;  // several Pareto objectives
  const double learning_rate_;
  const double baseline_decay_;
  const double entropy_weight_;
  const double temperature_;
  Rng rng_;
  int64_t next_id_ = 0;
  std::vector<std::vector<double>> logits_;  // per gene, per choice
  std::vector<double> weights_;              // scalarization weights (Pareto)
  Point lo_, hi_;                            // observed score ranges (Pareto)
  bool has_range_ = false;
  // Reward statistics: Welford over all kOk rewards, the worst, the baseline.
  int64_t reward_count_ = 0;
  double reward_mean_ = 0.0;
  double reward_m2_ = 0.0;
  double worst_reward_ = 0.0;
  bool has_baseline_ = false;
  double baseline_ = 0.0;
  absl::flat_hash_map<int64_t, std::vector<int>> issued_;  // id -> sampled genes
  // Canonical key -> sampled genes of duplicates whose equal is in flight.
  absl::flat_hash_map<std::string, std::vector<std::vector<int>>> waiting_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_REINFORCE_H_
