// The operators a search space's networks run, at their shapes: what a
// per-operator latency table must contain (RequiredOpShapes, measured by
// `edgenas-agent profile`) and what one candidate network runs in one forward
// pass (NetworkOpShapes, summed by the latency predictor). Plain data, no
// protobuf and no LibTorch, so both the profiler (LibTorch) and the
// coordinator (protobuf) use the same enumeration.
#ifndef EDGENAS_COMMON_LATENCY_OPS_H_
#define EDGENAS_COMMON_LATENCY_OPS_H_

#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// Fixed parts and glue of an NB201 network, as table op names beside the
// space's own operations (nor_conv_3x3, ...):
inline constexpr char kOpStem[] = "stem";            // conv 3x3 + BN, in -> channels
inline constexpr char kOpReduction[] = "reduction";  // residual block, stride 2, width x2
inline constexpr char kOpHead[] = "head";            // BN, ReLU, global pool, linear
inline constexpr char kOpAdd[] = "add";              // sum of two inputs of a cell node
inline constexpr char kOpZero[] = "zero";            // a cell whose output has no input

// One operator at one shape. For "head", out_channels is the class count.
struct OpShape {
  std::string op;
  int in_channels = 0;
  int out_channels = 0;
  int resolution = 0;  // input height = width
  int stride = 1;

  auto Key() const { return std::tie(op, in_channels, out_channels, resolution, stride); }
  bool operator<(const OpShape& o) const { return Key() < o.Key(); }
  bool operator==(const OpShape& o) const { return Key() == o.Key(); }
  // e.g. "nor_conv_3x3 16->16 ch at 28x28 stride 1".
  std::string ToString() const;
};

// The network input: Fashion-MNIST's 28x28 grayscale images in 10 classes,
// as the worker trains and the agent measures.
struct NetworkInput {
  int channels = 1;
  int resolution = 28;
  int classes = 10;
};

// Table op names known for `space` (its operations except "none", which
// costs nothing, plus the fixed parts above). INVALID_ARGUMENT naming
// table.space for a space without a latency model.
absl::StatusOr<std::vector<std::string>> LatencyTableOps(absl::string_view space);

// Every distinct operator shape the networks of `space` (with its options)
// can run, sorted: the entries a complete table has. INVALID_ARGUMENT for an
// unknown space or bad options (naming space.options.<key>).
absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(const SpaceConfig& space,
                                                      const NetworkInput& input = {});

// The operators `arch`'s network runs in one forward pass, in order, one
// entry per execution (repeats included): stem, each stage's cells (live
// edges' ops, the adds of nodes with several inputs, "zero" for a cell whose
// output has no live input), the reductions and the head. Dead edges and
// "none" are not built, so they are absent. INVALID_ARGUMENT for a bad
// architecture or options.
absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(const SpaceConfig& space,
                                                     const Architecture& arch,
                                                     const NetworkInput& input = {});

// Which of the 6 NB201 edges are built (the rule of Nb201LiveEdges in
// common/model/nb201_model.h, restated here without LibTorch; a test keeps
// the two equal over the whole space). `arch` must be a valid NB201 cell.
std::vector<bool> Nb201BuiltEdges(const Architecture& arch);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_LATENCY_OPS_H_
