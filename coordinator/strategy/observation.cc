// Helpers on Observation shared by the strategies (declared in strategy.h).
#include <cmath>

#include "coordinator/strategy/strategy.h"

namespace edgenas {

bool HasFiniteScores(const Observation& o, int num_objectives) {
  if (static_cast<int>(o.scores.size()) != num_objectives) return false;
  for (double s : o.scores) {
    if (!std::isfinite(s)) return false;
  }
  return true;
}

bool IsUsableResult(const Observation& o, int num_objectives, const SearchSpace& space) {
  return o.ok() && HasFiniteScores(o, num_objectives) && space.Validate(o.arch).ok();
}

}  // namespace edgenas
