// NB201's latency model for per-operator latency tables: a network is its
// stem, three stages of cells (each live edge's operation, the adds of nodes
// with several inputs, "zero" for a cell whose output has no live input)
// separated by two reduction blocks, and its head.
#ifndef EDGENAS_SPACES_NB201_NB201_LATENCY_MODEL_H_
#define EDGENAS_SPACES_NB201_NB201_LATENCY_MODEL_H_

#include <string>
#include <vector>

#include "common/latency_ops.h"

namespace edgenas {

// Fixed parts and glue of an NB201 network, as table op names beside the
// space's own operations (nor_conv_3x3, ...):
inline constexpr char kOpStem[] = "stem";            // conv 3x3 + BN, in -> channels
inline constexpr char kOpReduction[] = "reduction";  // residual block, stride 2, width x2
inline constexpr char kOpHead[] = "head";            // BN, ReLU, global pool, linear
inline constexpr char kOpAdd[] = "add";              // sum of two inputs of a cell node
inline constexpr char kOpZero[] = "zero";            // a cell whose output has no input

class Nb201LatencyModel : public LatencyModel {
 public:
  std::vector<std::string> TableOps() const override;
  // Needs a square input (tables key operators by one resolution) of side
  // >= 4; INVALID_ARGUMENT naming dataset.height otherwise.
  absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(const SpaceConfig& space,
                                                        const InputShape& input) const override;
  absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(const SpaceConfig& space,
                                                       const Architecture& arch,
                                                       const InputShape& input) const override;
  // The cell of "none" everywhere: stem, reductions, head and one "zero"
  // per cell.
  std::string OverheadCalibrationArch(const SpaceConfig& space) const override;
  // Convolutions (stem, ReLU-conv-BN edges, the reduction's two 3x3 and its
  // 1x1 shortcut after 2x2 pooling) and the classifier; pooling, skips, adds
  // and "zero" cost nothing and hold no parameters.
  bool CountsCosts() const override { return true; }
  absl::StatusOr<OpCost> Cost(const OpShape& shape) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_LATENCY_MODEL_H_
