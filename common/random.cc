#include "common/random.h"

#include <limits>

namespace edgenas {

int Rng::UniformInt(int n) {
  const uint64_t range = static_cast<uint64_t>(n);
  // Rejection sampling: discard the top partial block so every value is
  // equally likely.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % range;
  uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return static_cast<int>(x % range);
}

double Rng::UniformDouble() {
  return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace edgenas
