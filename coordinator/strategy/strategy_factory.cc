#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/strategy/random_search.h"
#include "coordinator/strategy/regularized_evolution.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

absl::StatusOr<std::unique_ptr<Strategy>> CreateStrategy(const StrategyOptions& options,
                                                         const SearchSpace* space) {
  if (space == nullptr) {
    return absl::InvalidArgumentError("strategy: no search space given");
  }
  if (options.num_objectives < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategy.num_objectives: must be >= 1, got ", options.num_objectives));
  }
  if (options.name == "random") {
    return std::unique_ptr<Strategy>(std::make_unique<RandomSearch>(space, options.seed));
  }
  if (options.name == "regularized_evolution") {
    if (options.population_size < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("strategy.population_size: must be >= 2, got ", options.population_size));
    }
    if (options.sample_size < 1 || options.sample_size > options.population_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "strategy.sample_size: must be in [1, population_size=", options.population_size,
          "], got ", options.sample_size));
    }
    return std::unique_ptr<Strategy>(std::make_unique<RegularizedEvolution>(options, space));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("strategy.name: unknown strategy \"", options.name,
                   "\"; known: ", absl::StrJoin(KnownStrategies(), ", ")));
}

std::vector<std::string> KnownStrategies() { return {"random", "regularized_evolution"}; }

}  // namespace edgenas
