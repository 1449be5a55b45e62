#include "coordinator/strategy/random_search.h"

namespace edgenas {

std::vector<Architecture> RandomSearch::Suggest(int n) {
  std::vector<Architecture> out;
  for (int i = 0; i < n; ++i) out.push_back(space_->Sample(rng_));
  return out;
}

}  // namespace edgenas
