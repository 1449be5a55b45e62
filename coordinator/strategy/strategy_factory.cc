// CreateStrategy / KnownStrategies: the registry of strategies by name.
// Adding a strategy means one new .cc behind Strategy plus one entry here.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/strategy/bayesian.h"
#include "coordinator/strategy/local_search.h"
#include "coordinator/strategy/nsga2.h"
#include "coordinator/strategy/random_search.h"
#include "coordinator/strategy/regularized_evolution.h"
#include "coordinator/strategy/reinforce.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {
namespace {

using Factory = std::function<absl::StatusOr<std::unique_ptr<Strategy>>(const StrategyOptions&,
                                                                        const SearchSpace*)>;

struct Registration {
  std::string name;
  std::vector<std::string> params;  // keys accepted in StrategyOptions::params
  Factory create;
};

absl::StatusOr<std::unique_ptr<Strategy>> CreateRandom(const StrategyOptions& options,
                                                       const SearchSpace* space) {
  return std::unique_ptr<Strategy>(std::make_unique<RandomSearch>(space, options.seed));
}

absl::StatusOr<std::unique_ptr<Strategy>> CreateEvolution(const StrategyOptions& options,
                                                          const SearchSpace* space) {
  if (options.population_size < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategy.population_size: must be >= 2, got ", options.population_size));
  }
  if (options.sample_size < 1 || options.sample_size > options.population_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategy.sample_size: must be in [1, population_size=",
                     options.population_size, "], got ", options.sample_size));
  }
  return std::unique_ptr<Strategy>(std::make_unique<RegularizedEvolution>(options, space));
}

// Adapts a strategy's typed Create to the registry's Factory.
template <typename T>
absl::StatusOr<std::unique_ptr<Strategy>> CreateTyped(const StrategyOptions& options,
                                                      const SearchSpace* space) {
  absl::StatusOr<std::unique_ptr<T>> strategy = T::Create(options, space);
  if (!strategy.ok()) return strategy.status();
  return std::unique_ptr<Strategy>(std::move(*strategy));
}

const std::vector<Registration>& Registry() {
  static const auto* registry = new std::vector<Registration>{
      {"random", {}, CreateRandom},
      {"regularized_evolution", {}, CreateEvolution},
      {"nsga2", {"crossover_prob", "mutation_edits"}, CreateTyped<Nsga2>},
      {"local_search", {"initial", "on_busy"}, CreateTyped<LocalSearch>},
      {"bayesian",
       {"initial", "acquisition", "ucb_beta", "local_top", "max_points", "random_pool",
        "refit_every", "transform", "patience", "mo_acquisition", "explore", "mo_warmup"},
       CreateTyped<BayesianOptimization>},
      {"reinforce",
       {"learning_rate", "baseline_decay", "entropy_weight", "temperature"},
       CreateTyped<Reinforce>},
  };
  return *registry;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Strategy>> CreateStrategy(const StrategyOptions& options,
                                                         const SearchSpace* space) {
  if (space == nullptr) {
    return absl::InvalidArgumentError("strategy: no search space given");
  }
  if (options.num_objectives < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategy.num_objectives: must be >= 1, got ", options.num_objectives));
  }
  for (const Registration& r : Registry()) {
    if (r.name != options.name) continue;
    for (const auto& [key, value] : options.params) {
      if (std::find(r.params.begin(), r.params.end(), key) == r.params.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("strategy.params.", key, ": unknown setting for ", r.name));
      }
    }
    return r.create(options, space);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("strategy.name: unknown strategy \"", options.name,
                   "\"; known: ", absl::StrJoin(KnownStrategies(), ", ")));
}

std::vector<std::string> KnownStrategies() {
  std::vector<std::string> names;
  for (const Registration& r : Registry()) names.push_back(r.name);
  return names;
}

}  // namespace edgenas
