#include "coordinator/strategy/reinforce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/strategy/strategy_params.h"

namespace edgenas {
namespace {

constexpr double kMaxAdvantage = 5.0;
constexpr double kChebyshevAugment = 0.05;

// The finite number under `key`, `def` when absent; callers check the range.
absl::StatusOr<double> Number(const StrategyParams& params, const std::string& key, double def) {
  return params.Double(key, def, std::numeric_limits<double>::lowest(),
                       std::numeric_limits<double>::max());
}

absl::Status Refused(const std::string& key, const std::string& rule, double value) {
  return absl::InvalidArgumentError(
      absl::StrCat("strategy.params.", key, ": must be ", rule, ", got ", value));
}

// Softmax of logits / temperature and its logarithm.
void Policy(const std::vector<double>& logits, double temperature, std::vector<double>* probs,
            std::vector<double>* log_probs) {
  const double top = *std::max_element(logits.begin(), logits.end()) / temperature;
  double sum = 0.0;
  for (double l : logits) sum += std::exp(l / temperature - top);
  const double log_sum = top + std::log(sum);
  probs->resize(logits.size());
  log_probs->resize(logits.size());
  for (size_t k = 0; k < logits.size(); ++k) {
    (*log_probs)[k] = logits[k] / temperature - log_sum;
    (*probs)[k] = std::exp((*log_probs)[k]);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Reinforce>> Reinforce::Create(const StrategyOptions& options,
                                                             const SearchSpace* space) {
  const StrategyParams params(options.params);
  ASSIGN_OR_RETURN(const double learning_rate, Number(params, "learning_rate", 0.1));
  if (!(learning_rate > 0)) return Refused("learning_rate", "> 0", learning_rate);
  ASSIGN_OR_RETURN(const double baseline_decay, Number(params, "baseline_decay", 0.9));
  if (!(baseline_decay >= 0 && baseline_decay < 1)) {
    return Refused("baseline_decay", "in [0, 1)", baseline_decay);
  }
  ASSIGN_OR_RETURN(const double entropy_weight, Number(params, "entropy_weight", 0.01));
  if (!(entropy_weight >= 0)) return Refused("entropy_weight", ">= 0", entropy_weight);
  ASSIGN_OR_RETURN(const double temperature, Number(params, "temperature", 1.0));
  if (!(temperature > 0)) return Refused("temperature", "> 0", temperature);
  return std::unique_ptr<Reinforce>(
      new Reinforce(options, space, learning_rate, baseline_decay, entropy_weight, temperature));
}

Reinforce::Reinforce(const StrategyOptions& options, const SearchSpace* space, double learning_rate,
                     double baseline_decay, double entropy_weight, double temperature)
    : space_(space),
      num_objectives_(options.num_objectives),
      scalarize_(options.num_objectives > 1 && !options.lexicographic),
      learning_rate_(learning_rate),
      baseline_decay_(baseline_decay),
      entropy_weight_(entropy_weight),
      temperature_(temperature),
      rng_(options.seed) {
  for (int g = 0; g < space_->NumGenes(); ++g) logits_.emplace_back(space_->Cardinality(g), 0.0);
  if (scalarize_) {
    // Normalised exponential draws are uniform on the simplex.
    double sum = 0.0;
    for (int i = 0; i < num_objectives_; ++i) {
      weights_.push_back(-std::log(1.0 - rng_.UniformDouble()));
      sum += weights_.back();
    }
    for (double& w : weights_) w = sum > 0 ? w / sum : 1.0 / num_objectives_;
  }
}

SuggestBatch Reinforce::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  std::vector<double> probs, log_probs;
  for (int i = 0; i < n; ++i) {
    Architecture arch;
    for (const std::vector<double>& logits : logits_) {
      Policy(logits, temperature_, &probs, &log_probs);
      const double u = rng_.UniformDouble();
      int choice = static_cast<int>(probs.size()) - 1;  // rounding leaves u past the sum
      double cumulative = 0.0;
      for (size_t k = 0; k < probs.size(); ++k) {
        cumulative += probs[k];
        if (u < cumulative) {
          choice = static_cast<int>(k);
          break;
        }
      }
      arch.genes.push_back(choice);
    }
    issued_[next_id_] = arch.genes;
    batch.suggestions.push_back({next_id_++, std::move(arch)});
  }
  return batch;
}

void Reinforce::OnDuplicate(const Suggestion& suggestion, const Observation* known) {
  auto it = issued_.find(suggestion.id);
  if (it == issued_.end()) return;
  const std::vector<int> genes = std::move(it->second);
  issued_.erase(it);
  if (!space_->Validate(suggestion.arch).ok()) return;
  if (known != nullptr) {
    if (const std::optional<double> reward = RewardOf(*known)) Update(genes, *reward);
    return;
  }
  waiting_[space_->CanonicalKey(suggestion.arch)].push_back(genes);
}

void Reinforce::OnCancelled(int64_t suggestion_id) {
  auto it = issued_.find(suggestion_id);
  if (it == issued_.end()) return;
  // No Observe follows: duplicates waiting on this architecture get no reward.
  if (!waiting_.empty()) TakeWaiting(Architecture{it->second});
  issued_.erase(it);
}

void Reinforce::Observe(const Observation& observation) {
  std::optional<std::vector<int>> sampled;
  if (auto it = issued_.find(observation.suggestion_id); it != issued_.end()) {
    sampled = std::move(it->second);
    issued_.erase(it);
  }
  if (!space_->Validate(observation.arch).ok()) return;
  if (observation.ok() && UsableScores(observation)) Record(observation);
  const std::optional<double> reward = RewardOf(observation);
  const std::vector<std::vector<int>> waiting = TakeWaiting(observation.arch);
  if (!reward) return;
  if (sampled) Update(*sampled, *reward);
  for (const std::vector<int>& genes : waiting) Update(genes, *reward);
}

std::vector<double> Reinforce::Probabilities(int gene) const {
  std::vector<double> probs, log_probs;
  Policy(logits_[gene], temperature_, &probs, &log_probs);
  return probs;
}

std::optional<double> Reinforce::RewardOf(const Observation& observation) const {
  if (observation.outcome == EvalOutcome::kInfeasible) {
    if (reward_count_ == 0) return std::nullopt;
    return worst_reward_;
  }
  if (!observation.ok() || !UsableScores(observation)) return std::nullopt;
  const Point& s = observation.scores;
  if (!scalarize_) return -s[0];
  if (!has_range_) return std::nullopt;  // a known duplicate before any Record
  double worst = 0.0;
  double sum = 0.0;
  for (int i = 0; i < num_objectives_; ++i) {
    const double range = hi_[i] - lo_[i];
    const double z = range > 0 ? (s[i] - lo_[i]) / range : 0.0;
    worst = std::max(worst, weights_[i] * z);
    sum += weights_[i] * z;
  }
  return -(worst + kChebyshevAugment * sum);
}

void Reinforce::Record(const Observation& observation) {
  if (scalarize_) {
    if (!has_range_) {
      lo_ = hi_ = observation.scores;
      has_range_ = true;
    }
    for (int i = 0; i < num_objectives_; ++i) {
      lo_[i] = std::min(lo_[i], observation.scores[i]);
      hi_[i] = std::max(hi_[i], observation.scores[i]);
    }
  }
  const double reward = *RewardOf(observation);
  worst_reward_ = reward_count_ == 0 ? reward : std::min(worst_reward_, reward);
  ++reward_count_;
  const double delta = reward - reward_mean_;
  reward_mean_ += delta / reward_count_;
  reward_m2_ += delta * (reward - reward_mean_);
}

void Reinforce::Update(const std::vector<int>& genes, double reward) {
  if (genes.size() != logits_.size()) return;
  double advantage = 0.0;
  if (!has_baseline_) {
    baseline_ = reward;
    has_baseline_ = true;
  } else {
    const double sd = reward_count_ > 1 ? std::sqrt(reward_m2_ / reward_count_) : 0.0;
    if (sd > 1e-12) {
      advantage = std::clamp((reward - baseline_) / sd, -kMaxAdvantage, kMaxAdvantage);
    }
    baseline_ = baseline_decay_ * baseline_ + (1.0 - baseline_decay_) * reward;
  }
  std::vector<double> probs, log_probs;
  for (size_t g = 0; g < logits_.size(); ++g) {
    Policy(logits_[g], temperature_, &probs, &log_probs);
    double entropy = 0.0;
    for (size_t k = 0; k < probs.size(); ++k) entropy -= probs[k] * log_probs[k];
    for (size_t k = 0; k < probs.size(); ++k) {
      const double chosen = static_cast<int>(k) == genes[g] ? 1.0 : 0.0;
      const double grad_log_pi = (chosen - probs[k]) / temperature_;
      const double grad_entropy = -probs[k] * (log_probs[k] + entropy) / temperature_;
      logits_[g][k] += learning_rate_ * (advantage * grad_log_pi + entropy_weight_ * grad_entropy);
    }
  }
}

std::vector<std::vector<int>> Reinforce::TakeWaiting(const Architecture& arch) {
  if (waiting_.empty()) return {};
  auto it = waiting_.find(space_->CanonicalKey(arch));
  if (it == waiting_.end()) return {};
  std::vector<std::vector<int>> genes = std::move(it->second);
  waiting_.erase(it);
  return genes;
}

bool Reinforce::UsableScores(const Observation& observation) const {
  return HasFiniteScores(observation, num_objectives_);
}

}  // namespace edgenas
