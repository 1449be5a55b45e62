// Rng: a seeded generator whose draws are the same on every platform and
// standard library (std::uniform_int_distribution is not), so that a search
// is reproducible from its seed.
#ifndef EDGENAS_COMMON_RANDOM_H_
#define EDGENAS_COMMON_RANDOM_H_

#include <cstdint>
#include <random>

namespace edgenas {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform integer in [0, n). Requires n > 0.
  int UniformInt(int n);
  // Uniform double in [0, 1).
  double UniformDouble();
  // Raw 64-bit draw.
  uint64_t Next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_RANDOM_H_
