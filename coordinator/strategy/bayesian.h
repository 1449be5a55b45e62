// BayesianOptimization ("bayesian"): Gaussian-process Bayesian optimisation
// over an architecture encoding.
//
// Model. One exact GP per modelled objective (gaussian_process.h) on the
// space's preferred encoding (common/encodings.h PredictorEncoding: a cell
// space's path encoding with live-edge one-hot; one-hot for spaces without one). A GP rather than a BANANAS
// ensemble of neural predictors: with the few hundred points a search has,
// the GP's posterior variance is exact and cheap (no training loop, no
// seeds to average), and it needs no LibTorch in the coordinator. Targets
// are rank-transformed to normal scores (a Gaussian copula, as in HEBO)
// by default, so the model does not depend on a table's units or on
// outliers such as untrainable cells; the lengthscale and noise are refit
// by marginal likelihood every `refit_every` observations.
//
// Acquisition. One objective (or lexicographic: the first objective, the
// rest break ties of the incumbent): expected improvement (default), UCB or
// Thompson sampling on the marginals. Several Pareto objectives: one GP per
// objective; suggestions alternate between the probability that a
// candidate is not dominated by the observed front (exact for two
// objectives, Monte Carlo for three; it rewards every new front point
// alike, as front recall does) and a random Chebyshev scalarisation on
// Thompson draws (aims at the front point best for random weights, which
// fills the hypervolume); see mo_acquisition.
//
// Acquisition optimisation by mutation, as the literature does: the
// candidates are first the untried one-edit neighbours of the best observed
// architectures (of the `local_top` best, taking the first that still has
// any; with several objectives, of every front member), so the search
// finishes the neighbourhood of its incumbents — where the optimum of a
// rugged, noisy table hides among near-ties. When those are all tried, the
// candidates are the one- and two-edit neighbours of the ten best plus
// `random_pool` uniform samples.
//
// Pending evaluations: kriging believer — each pending suggestion enters
// the model with its predicted mean, so parallel suggestions spread out.
// Infeasible results enter with the worst observed value of each objective;
// failed ones only count as tried. Until `initial` results (or pending
// suggestions) exist, suggestions are uniform samples. Never suggests an
// architecture equal (canonical key) to one already suggested or observed.
//
// Params (strategy.params.<key>): initial [1, 1000] default 10; explore
// [0, 100000] default 0 (model-guided suggestions chosen among uniform
// samples only, after the initial ones and before the local phase);
// acquisition ei|ucb|ts (one objective) default ei; ucb_beta [0, 100]
// default 2; local_top [0, 100] default 3 (0 = no local phase);
// max_points [16, 5000] default 256 (training points kept: the best half
// and the most recent others); random_pool [0, 100000] default 200;
// refit_every [1, 1000] default 10; transform rank|none default rank;
// patience [1, 100000] default 30 (one objective: evaluations without a
// better result in the current run before it restarts); mo_acquisition
// pnd|parego|mixed default mixed (several objectives: pnd = probability
// of not being dominated by the observed front; parego = a random
// augmented-Chebyshev scalarisation per suggestion scored on Thompson
// draws, ParEGO's idea; mixed uses parego for the first `mo_warmup` [0,
// 100000] default 40 suggestions after the initial ones, to lay out the
// front, then alternates the two by suggestion id. On the public NAS-Bench-201/Pi 5
// table pnd alone gives the better front recall, parego alone the better
// hypervolume, and mixed the best of both at 150+ evaluations).
// Cost per suggestion: O(max_points^3 / refit_every + pool x max_points^2).
#ifndef EDGENAS_COORDINATOR_STRATEGY_BAYESIAN_H_
#define EDGENAS_COORDINATOR_STRATEGY_BAYESIAN_H_

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "common/encodings.h"
#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/gaussian_process.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class BayesianOptimization : public Strategy {
 public:
  struct Settings {
    int initial = 10;
    std::string acquisition = "ei";
    double ucb_beta = 2.0;
    int local_top = 3;
    int max_points = 256;
    int random_pool = 200;
    int refit_every = 10;
    int patience = 30;
    int explore = 0;
    int mo_warmup = 40;
    std::string mo_acquisition = "mixed";
    bool rank_transform = true;
  };

  // Validates options.params (INVALID_ARGUMENT naming strategy.params.<key>)
  // and builds the strategy over `space`, which must outlive it.
  static absl::StatusOr<std::unique_ptr<BayesianOptimization>> Create(
      const StrategyOptions& options, const SearchSpace* space);

  std::string Name() const override { return "bayesian"; }
  // n suggestions (fresh ids), each an architecture not yet tried; kReady,
  // or kExhausted when no untried architecture can be found.
  SuggestBatch Suggest(int n) override;
  void OnPending(const Suggestion& suggestion) override;
  void OnDuplicate(const Suggestion& suggestion, const Observation* known) override;
  void OnCancelled(int64_t suggestion_id) override;
  void Observe(const Observation& observation) override;

  // Number of observations in the model (tests, diagnostics).
  int num_observed() const { return static_cast<int>(observed_.size()); }
  // Runs restarted so far (one objective; diagnostics).
  int restarts() const { return restarts_; }

 private:
  struct Entry {
    Architecture arch;
    SparseVector x;
    std::vector<double> scores;  // oriented, smaller is better
    bool infeasible = false;
  };

  BayesianOptimization(const StrategyOptions& options, const Settings& settings,
                       const SearchSpace* space, std::string encoding);

  SparseVector Features(const Architecture& arch) const;
  std::string Key(const Architecture& arch) const { return space_->CanonicalKey(arch); }
  // A uniform sample whose key is not in tried_ or `taken`; false if none
  // was found in a bounded number of draws.
  bool SampleUntried(const std::unordered_set<std::string>& taken, Architecture* out);
  // Untried candidates for the acquisition (see the header comment).
  std::vector<Architecture> CandidatePool(const std::unordered_set<std::string>& taken);
  // The observation indices ordered best first (one objective,
  // lexicographic) or the front's members (Pareto), up to `limit`.
  // Only observations from index `from` on count.
  std::vector<int> Incumbents(int limit, int from) const;
  // Chooses one architecture by acquisition with `believers` as pending.
  bool ChooseByAcquisition(const std::vector<Entry>& believers,
                           const std::unordered_set<std::string>& taken, Architecture* out);

  const SearchSpace* space_;
  const Settings settings_;
  const std::string encoding_;
  const int num_objectives_;
  const bool lexicographic_;
  const int model_objectives_;  // 1, or num_objectives_ for Pareto
  Rng rng_;
  int64_t next_id_ = 0;
  std::vector<Entry> observed_;
  std::map<int64_t, Entry> pending_;        // by suggestion id
  std::unordered_set<std::string> tried_;   // canonical keys suggested or observed
  std::vector<GpHyper> hyper_;              // per modelled objective
  int fitted_at_ = -1;                      // observed_.size() at the last refit
  // The current run (one objective): observations from run_start_ on, its
  // best first score and the evaluations since that last improved.
  int run_start_ = 0;
  double run_best_ = std::numeric_limits<double>::infinity();
  int run_stale_ = 0;
  int restarts_ = 0;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_BAYESIAN_H_
