#include "coordinator/strategy/bayesian.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "coordinator/strategy/acquisition.h"
#include "coordinator/strategy/strategy_params.h"
#include "coordinator/strategy/tournament.h"

namespace edgenas {
namespace {

constexpr int kGlobalIncumbents = 10;
constexpr int kMaxSampleDraws = 1000;

// Every architecture that differs from `arch` in exactly one gene.
std::vector<Architecture> Neighbours(const SearchSpace& space, const Architecture& arch) {
  std::vector<Architecture> out;
  for (int g = 0; g < space.NumGenes(); ++g) {
    for (int c = 0; c < space.Cardinality(g); ++c) {
      if (c == arch.genes[g]) continue;
      Architecture n = arch;
      n.genes[g] = c;
      out.push_back(std::move(n));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BayesianOptimization>> BayesianOptimization::Create(
    const StrategyOptions& options, const SearchSpace* space) {
  StrategyParams p(options.params);
  Settings s;
  auto initial = p.Int("initial", s.initial, 1, 1000);
  if (!initial.ok()) return initial.status();
  s.initial = *initial;
  auto acquisition = p.Choice("acquisition", s.acquisition, {"ei", "ucb", "ts"});
  if (!acquisition.ok()) return acquisition.status();
  s.acquisition = *acquisition;
  auto beta = p.Double("ucb_beta", s.ucb_beta, 0.0, 100.0);
  if (!beta.ok()) return beta.status();
  s.ucb_beta = *beta;
  auto local_top = p.Int("local_top", s.local_top, 0, 100);
  if (!local_top.ok()) return local_top.status();
  s.local_top = *local_top;
  auto max_points = p.Int("max_points", s.max_points, 16, 5000);
  if (!max_points.ok()) return max_points.status();
  s.max_points = *max_points;
  auto random_pool = p.Int("random_pool", s.random_pool, 0, 100000);
  if (!random_pool.ok()) return random_pool.status();
  s.random_pool = *random_pool;
  auto refit = p.Int("refit_every", s.refit_every, 1, 1000);
  if (!refit.ok()) return refit.status();
  s.refit_every = *refit;
  auto patience = p.Int("patience", s.patience, 1, 100000);
  if (!patience.ok()) return patience.status();
  s.patience = *patience;
  auto explore = p.Int("explore", s.explore, 0, 100000);
  if (!explore.ok()) return explore.status();
  s.explore = *explore;
  auto warmup = p.Int("mo_warmup", s.mo_warmup, 0, 100000);
  if (!warmup.ok()) return warmup.status();
  s.mo_warmup = *warmup;
  auto mo = p.Choice("mo_acquisition", s.mo_acquisition, {"pnd", "parego", "mixed"});
  if (!mo.ok()) return mo.status();
  s.mo_acquisition = *mo;
  auto transform = p.Choice("transform", "rank", {"rank", "none"});
  if (!transform.ok()) return transform.status();
  s.rank_transform = *transform == "rank";
  if (options.num_objectives > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "strategy.num_objectives: bayesian supports at most 3 objectives, got ",
        options.num_objectives));
  }
  const std::string encoding = PredictorEncoding(*space);
  return std::unique_ptr<BayesianOptimization>(
      new BayesianOptimization(options, s, space, encoding));
}

BayesianOptimization::BayesianOptimization(const StrategyOptions& options,
                                           const Settings& settings, const SearchSpace* space,
                                           std::string encoding)
    : space_(space),
      settings_(settings),
      encoding_(std::move(encoding)),
      num_objectives_(options.num_objectives),
      lexicographic_(options.lexicographic),
      model_objectives_(options.num_objectives > 1 && !options.lexicographic
                            ? options.num_objectives
                            : 1),
      rng_(options.seed) {}

SparseVector BayesianOptimization::Features(const Architecture& arch) const {
  auto dense = Encode(*space_, arch, encoding_);
  return dense.ok() ? ToSparse(*dense) : SparseVector{};
}

bool BayesianOptimization::SampleUntried(const std::unordered_set<std::string>& taken,
                                         Architecture* out) {
  for (int i = 0; i < kMaxSampleDraws; ++i) {
    Architecture a = space_->Sample(rng_);
    const std::string key = Key(a);
    if (tried_.count(key) == 0 && taken.count(key) == 0) {
      *out = std::move(a);
      return true;
    }
  }
  return false;
}

std::vector<int> BayesianOptimization::Incumbents(int limit, int from) const {
  std::vector<int> feasible;
  for (int i = from; i < static_cast<int>(observed_.size()); ++i) {
    if (!observed_[i].infeasible) feasible.push_back(i);
  }
  if (model_objectives_ == 1) {
    std::stable_sort(feasible.begin(), feasible.end(), [&](int a, int b) {
      return lexicographic_ ? LexicographicLess(observed_[a].scores, observed_[b].scores)
                            : observed_[a].scores[0] < observed_[b].scores[0];
    });
    if (static_cast<int>(feasible.size()) > limit) feasible.resize(limit);
    return feasible;
  }
  std::vector<Point> points;
  for (int i : feasible) points.push_back(observed_[i].scores);
  const std::vector<int> front = ParetoFrontIndices(points);
  std::vector<int> members;
  for (int f : front) members.push_back(feasible[f]);
  // Spread `limit` picks evenly along the front (sorted by first score).
  std::stable_sort(members.begin(), members.end(), [&](int a, int b) {
    return observed_[a].scores[0] < observed_[b].scores[0];
  });
  if (static_cast<int>(members.size()) <= limit) return members;
  std::vector<int> picked;
  for (int k = 0; k < limit; ++k) {
    picked.push_back(members[static_cast<size_t>(k) * (members.size() - 1) / (limit - 1)]);
  }
  return picked;
}

std::vector<Architecture> BayesianOptimization::CandidatePool(
    const std::unordered_set<std::string>& taken) {
  std::vector<Architecture> pool;
  std::unordered_set<std::string> seen;
  auto add = [&](const Architecture& a) {
    const std::string key = Key(a);
    if (tried_.count(key) || taken.count(key) || !seen.insert(key).second) return;
    pool.push_back(a);
  };
  if (model_objectives_ == 1) {
    // Local phase: the untried neighbours of the current run's best.
    const bool run_has_results = static_cast<int>(observed_.size()) > run_start_;
    // Exploration: the first `explore` model-guided suggestions choose among
    // uniform samples only, so the first run starts in the basin the model
    // likes best rather than next to the best initial sample.
    if (static_cast<int>(observed_.size()) < settings_.initial + settings_.explore) {
      for (int i = 0; i < std::max(1, 5 * settings_.random_pool); ++i) add(space_->Sample(rng_));
      return pool;
    }
    if (settings_.local_top > 0 && run_stale_ < settings_.patience) {
      for (int i : Incumbents(settings_.local_top, run_start_)) {
        for (const Architecture& n : Neighbours(*space_, observed_[i].arch)) add(n);
        if (!pool.empty()) return pool;
      }
    }
    // The run is stuck (no better result in `patience` evaluations) or its
    // neighbourhoods are all tried: restart from the random sample the
    // acquisition likes best, unless the restart point is still out.
    if (run_has_results) {
      run_start_ = static_cast<int>(observed_.size());
      run_stale_ = 0;
      run_best_ = std::numeric_limits<double>::infinity();
      ++restarts_;
    }
    for (int i = 0; i < std::max(1, settings_.random_pool); ++i) add(space_->Sample(rng_));
    return pool;
  }
  if (settings_.local_top > 0) {
    for (int i : Incumbents(static_cast<int>(observed_.size()), 0)) {
      for (const Architecture& n : Neighbours(*space_, observed_[i].arch)) add(n);
    }
    if (!pool.empty()) return pool;
  }
  for (int i : Incumbents(kGlobalIncumbents, 0)) {
    for (const Architecture& n : Neighbours(*space_, observed_[i].arch)) {
      add(n);
      for (const Architecture& m : Neighbours(*space_, n)) add(m);
    }
  }
  for (int i = 0; i < settings_.random_pool; ++i) add(space_->Sample(rng_));
  return pool;
}

bool BayesianOptimization::ChooseByAcquisition(const std::vector<Entry>& believers,
                                               const std::unordered_set<std::string>& taken,
                                               Architecture* out) {
  const int n_obs = static_cast<int>(observed_.size());
  // Training subset: all, or the best half by rank plus the most recent.
  std::vector<int> train;
  if (n_obs <= settings_.max_points) {
    train.resize(n_obs);
    std::iota(train.begin(), train.end(), 0);
  } else {
    // Quality = the sum over modelled objectives of the observation's rank
    // (O(n log n); infeasible ones last).
    std::vector<double> quality(n_obs, 0.0);
    for (int j = 0; j < model_objectives_; ++j) {
      std::vector<int> by(n_obs);
      std::iota(by.begin(), by.end(), 0);
      std::stable_sort(by.begin(), by.end(), [&](int a, int b) {
        return observed_[a].scores[j] < observed_[b].scores[j];
      });
      for (int r = 0; r < n_obs; ++r) quality[by[r]] += r;
    }
    std::vector<double> ranks(n_obs);
    for (int i = 0; i < n_obs; ++i) {
      ranks[i] = observed_[i].infeasible ? std::numeric_limits<double>::infinity() : quality[i];
    }
    std::vector<int> order(n_obs);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return ranks[a] < ranks[b]; });
    std::vector<char> in(n_obs, 0);
    for (int k = 0; k < settings_.max_points / 2; ++k) in[order[k]] = 1;
    int count = settings_.max_points / 2;
    for (int i = n_obs - 1; i >= 0 && count < settings_.max_points; --i) {
      if (!in[i]) {
        in[i] = 1;
        ++count;
      }
    }
    for (int i = 0; i < n_obs; ++i) {
      if (in[i]) train.push_back(i);
    }
  }

  // Targets per modelled objective: larger is better.
  const bool refit = fitted_at_ < 0 || n_obs - fitted_at_ >= settings_.refit_every ||
                     static_cast<int>(hyper_.size()) != model_objectives_;
  if (refit) {
    hyper_.assign(model_objectives_, GpHyper{});
    fitted_at_ = n_obs;
  }
  std::vector<const SparseVector*> x;
  for (int i : train) x.push_back(&observed_[i].x);
  std::vector<GaussianProcess> models(model_objectives_);
  std::vector<std::vector<double>> targets(model_objectives_);
  for (int j = 0; j < model_objectives_; ++j) {
    double worst = std::numeric_limits<double>::infinity();
    for (int i : train) {
      if (!observed_[i].infeasible) worst = std::min(worst, -observed_[i].scores[j]);
    }
    if (!std::isfinite(worst)) return false;  // nothing feasible yet
    std::vector<double> y;
    for (int i : train) y.push_back(observed_[i].infeasible ? worst : -observed_[i].scores[j]);
    if (settings_.rank_transform) y = NormalScores(y);
    targets[j] = y;
    if (!models[j].Fit(x, y, refit ? nullptr : &hyper_[j])) return false;
    hyper_[j] = models[j].hyper();
  }
  // Kriging believer: pending points enter with their predicted means.
  if (!believers.empty()) {
    std::vector<const SparseVector*> xb = x;
    for (const Entry& b : believers) xb.push_back(&b.x);
    for (int j = 0; j < model_objectives_; ++j) {
      std::vector<double> yb = targets[j];
      for (const Entry& b : believers) yb.push_back(models[j].Predict(b.x).mean);
      GaussianProcess with_believers;
      if (with_believers.Fit(xb, yb, &hyper_[j])) models[j] = std::move(with_believers);
    }
  }

  std::vector<Architecture> pool = CandidatePool(taken);
  if (pool.empty()) return false;
  // Shuffle so that ties are broken by the seed, not by generation order.
  for (int i = static_cast<int>(pool.size()) - 1; i > 0; --i) {
    std::swap(pool[i], pool[rng_.UniformInt(i + 1)]);
  }
  std::vector<std::vector<GpPrediction>> pred(pool.size());
  for (size_t c = 0; c < pool.size(); ++c) {
    const SparseVector f = Features(pool[c]);
    for (int j = 0; j < model_objectives_; ++j) pred[c].push_back(models[j].Predict(f));
  }

  std::vector<double> score(pool.size());
  if (model_objectives_ == 1) {
    double best = -std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < train.size(); ++k) {
      if (!observed_[train[k]].infeasible) best = std::max(best, targets[0][k]);
    }
    for (size_t c = 0; c < pool.size(); ++c) {
      const GpPrediction& p = pred[c][0];
      if (settings_.acquisition == "ucb") {
        score[c] = p.mean + settings_.ucb_beta * p.stddev;
      } else if (settings_.acquisition == "ts") {
        score[c] = p.mean + p.stddev * StandardNormal(rng_);
      } else {
        score[c] = ExpectedImprovement(p.mean, p.stddev, best);
      }
    }
  } else {
    std::vector<Point> front_points;
    for (size_t k = 0; k < train.size(); ++k) {
      if (observed_[train[k]].infeasible) continue;
      Point p;
      for (int j = 0; j < model_objectives_; ++j) p.push_back(targets[j][k]);
      front_points.push_back(std::move(p));
    }
    // ParetoFrontIndices minimises; the targets are maximised.
    std::vector<Point> negated = front_points;
    for (Point& p : negated) {
      for (double& v : p) v = -v;
    }
    std::vector<Point> front;
    for (int f : ParetoFrontIndices(negated)) front.push_back(front_points[f]);
    const bool parego = settings_.mo_acquisition == "parego" ||
                        (settings_.mo_acquisition == "mixed" &&
                         ((next_id_ & 1) == 1 || next_id_ < settings_.initial + settings_.mo_warmup));
    if (parego) {
      // A random augmented-Chebyshev scalarisation per suggestion, scored
      // on one Thompson draw per candidate: each suggestion aims at the
      // front point that is best for its weights.
      std::vector<double> weights(model_objectives_);
      double sum = 0.0;
      for (double& w : weights) {
        w = -std::log(std::max(rng_.UniformDouble(), 1e-300));
        sum += w;
      }
      for (double& w : weights) w /= sum;
      std::vector<double> ideal(model_objectives_, -std::numeric_limits<double>::infinity());
      for (const Point& p : front) {
        for (int j = 0; j < model_objectives_; ++j) ideal[j] = std::max(ideal[j], p[j]);
      }
      for (size_t c = 0; c < pool.size(); ++c) {
        double worst = -std::numeric_limits<double>::infinity(), total = 0.0;
        for (int j = 0; j < model_objectives_; ++j) {
          const double v = pred[c][j].mean + pred[c][j].stddev * StandardNormal(rng_);
          const double gap = weights[j] * (ideal[j] - v);
          worst = std::max(worst, gap);
          total += gap;
        }
        score[c] = -(worst + 0.05 * total);
      }
    } else {
      for (size_t c = 0; c < pool.size(); ++c) {
        score[c] = ProbabilityNotDominated(pred[c], front, rng_);
      }
    }
  }
  const size_t best =
      static_cast<size_t>(std::max_element(score.begin(), score.end()) - score.begin());
  *out = pool[best];
  return true;
}

SuggestBatch BayesianOptimization::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  std::unordered_set<std::string> taken;
  std::vector<Entry> believers;
  for (const auto& [id, e] : pending_) believers.push_back(e);
  int feasible = 0;
  for (const Entry& e : observed_) feasible += e.infeasible ? 0 : 1;
  for (int i = 0; i < n; ++i) {
    Architecture arch;
    const int known = static_cast<int>(observed_.size() + pending_.size()) + i;
    bool found = false;
    if (known >= settings_.initial && feasible >= 2) {
      found = ChooseByAcquisition(believers, taken, &arch);
    }
    if (!found) found = SampleUntried(taken, &arch);
    if (!found) break;
    const std::string key = Key(arch);
    taken.insert(key);
    tried_.insert(key);
    believers.push_back(Entry{arch, Features(arch), {}, false});
    batch.suggestions.push_back({next_id_++, std::move(arch)});
  }
  if (batch.suggestions.empty()) {
    const int64_t distinct = space_->DistinctCount();
    batch.state = distinct >= 0 && static_cast<int64_t>(tried_.size()) >= distinct
                      ? SuggestState::kExhausted
                      : SuggestState::kWait;
  }
  return batch;
}

void BayesianOptimization::OnPending(const Suggestion& suggestion) {
  if (!space_->Validate(suggestion.arch).ok()) return;
  pending_[suggestion.id] = Entry{suggestion.arch, Features(suggestion.arch), {}, false};
}

void BayesianOptimization::OnDuplicate(const Suggestion& suggestion, const Observation* known) {
  // Its key is already in tried_; the equal candidate's own Observe (past
  // or future) is what enters the model.
}

void BayesianOptimization::OnCancelled(int64_t suggestion_id) { pending_.erase(suggestion_id); }

void BayesianOptimization::Observe(const Observation& observation) {
  pending_.erase(observation.suggestion_id);
  if (!space_->Validate(observation.arch).ok()) return;
  tried_.insert(Key(observation.arch));
  if (observation.outcome == EvalOutcome::kFailed) return;
  if (!HasFiniteScores(observation, num_objectives_)) return;
  Entry e{observation.arch, Features(observation.arch), observation.scores,
          observation.outcome == EvalOutcome::kInfeasible};
  if (!e.infeasible && e.scores[0] < run_best_) {
    run_best_ = e.scores[0];
    run_stale_ = 0;
  } else {
    ++run_stale_;
  }
  observed_.push_back(std::move(e));
}

}  // namespace edgenas
