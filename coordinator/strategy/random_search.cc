#include "coordinator/strategy/random_search.h"

namespace edgenas {

SuggestBatch RandomSearch::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  batch.suggestions.reserve(n);
  for (int i = 0; i < n; ++i) batch.suggestions.push_back({next_id_++, space_->Sample(rng_)});
  return batch;
}

}  // namespace edgenas
