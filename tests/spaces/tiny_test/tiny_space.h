// A test-only search space, registered from tests/ to prove that a space is
// one folder: three genes (width 4|8, kernel 1|3, depth 1|2), text form
// "w8-k3-d2", and a tiny LibTorch network (depth x conv-BN-ReLU, global
// pool, linear) built for the job's input shape. It has a network and
// nothing else: no latency model, encoder, supernet, exporter or profiler,
// so those capabilities answer with the uniform "has no" error.
#ifndef EDGENAS_TESTS_SPACES_TINY_TEST_TINY_SPACE_H_
#define EDGENAS_TESTS_SPACES_TINY_TEST_TINY_SPACE_H_

#include <string>

#include "common/search_space.h"

namespace edgenas::tiny_test {

inline constexpr int kWidths[2] = {4, 8};
inline constexpr int kKernels[2] = {1, 3};
inline constexpr int kDepths[2] = {1, 2};

class TinySpace : public SearchSpace {
 public:
  std::string Name() const override { return "tiny_test"; }
  int NumGenes() const override { return 3; }
  int Cardinality(int gene) const override { return 2; }
  int64_t Size() const override { return 8; }
  // "w<width>-k<kernel>-d<depth>"; INVALID_ARGUMENT naming the part.
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override;
  std::string Print(const Architecture& arch) const override;
  std::string CanonicalKey(const Architecture& arch) const override { return Print(arch); }
  int64_t DistinctCount() const override { return 8; }
};

}  // namespace edgenas::tiny_test

#endif  // EDGENAS_TESTS_SPACES_TINY_TEST_TINY_SPACE_H_
