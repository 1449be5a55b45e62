// mbv3's latency model for per-operator latency tables, and its analytic
// cost (multiply-accumulates and parameters). A network is, in order:
//   "stem"            3x3 conv (stride stem_stride), BN, h-swish and the fixed
//                     depthwise-separable first block: in_channels = image
//                     channels, out_channels = stem width, resolution = the
//                     architecture's input side, stride = stem_stride;
//   one block op per active inverted-residual block, named by what the shape
//                     does not hold: "mb_k<kernel>_e<expansion>_<se|nose>_<relu|hs>"
//                     (e.g. "mb_k5_e4_se_hs"); in/out channels (width-scaled),
//                     input side, stride; the expanded width follows from
//                     in_channels and the expansion (Mbv3MakeDivisible), the
//                     squeeze width from that, the residual from stride 1 and
//                     in == out, exactly as Mbv3Space::Plan resolves them;
//   "head_conv"       1x1 conv to the head width, BN, h-swish, global pooling
//                     (in -> head width at the last feature map's side);
//   "head_feature"    the feature layer (linear, head width -> feature
//                     width) and h-swish, at resolution 1;
//   "head_classifier" the classifier (linear, feature width -> classes), at
//                     resolution 1.
// The head is three ops, not one, so that every width it runs at is in a
// table key (the head and feature widths depend on options and the width
// multiplier, which one "head" shape could not tell apart). No LibTorch.
#ifndef EDGENAS_SPACES_MBV3_MBV3_LATENCY_MODEL_H_
#define EDGENAS_SPACES_MBV3_MBV3_LATENCY_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/latency_ops.h"
#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {

inline constexpr char kMbv3OpStem[] = "stem";
inline constexpr char kMbv3OpHeadConv[] = "head_conv";
inline constexpr char kMbv3OpHeadFeature[] = "head_feature";
inline constexpr char kMbv3OpHeadClassifier[] = "head_classifier";

// What an mbv3 table op name stands for.
struct Mbv3Op {
  enum class Kind { kStem, kBlock, kHeadConv, kHeadFeature, kHeadClassifier };
  Kind kind = Kind::kStem;
  // Block ops only.
  int kernel = 0;
  int expand = 0;
  bool se = false;
  bool hswish = false;
};

// The op name of a block: "mb_k5_e4_se_hs".
std::string Mbv3BlockOpName(int kernel, int expand, bool se, bool hswish);

// The op of a table name. INVALID_ARGUMENT naming op for a name the model
// does not make.
absl::StatusOr<Mbv3Op> ParseMbv3Op(absl::string_view name);

// The block a block op shape stands for, resolved as Mbv3Space::Plan
// resolves a block (stage and index 0). INVALID_ARGUMENT naming op for a
// name that is not a block op, or the field of a channel count, resolution
// or stride below 1.
absl::StatusOr<Mbv3Block> Mbv3BlockOfOp(const OpShape& shape);

// The op shapes of a plan's parts.
OpShape Mbv3StemOp(const Mbv3Plan& plan);
OpShape Mbv3BlockOp(const Mbv3Block& block);
std::vector<OpShape> Mbv3HeadOps(const Mbv3Plan& plan);

class Mbv3LatencyModel : public LatencyModel {
 public:
  // Every block op name the option ranges allow (odd kernels, every
  // expansion, SE on/off, ReLU/h-swish) and the fixed parts.
  std::vector<std::string> TableOps() const override;
  // Every shape at every resolution and width of the options (each
  // architecture runs at its own resolution; `input` gives the image
  // channels and classes): per resolution and width, the stem, each stage's
  // first block and (when a stage can be deeper) its later blocks in every
  // kernel, expansion, SE and activation, and the head's three ops. With
  // the default options: 4 x (1 + 10 x 36 + 3) = 1456 enumerated, 943
  // distinct (widths 75% and 100% share channel counts in places, and both
  // resolutions reach 4x4 in the last stages).
  // INVALID_ARGUMENT naming space.options.<key> or dataset for bad options
  // or input.
  absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(const SpaceConfig& space,
                                                        const InputShape& input) const override;
  absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(const SpaceConfig& space,
                                                       const Architecture& arch,
                                                       const InputShape& input) const override;
  // The smallest architecture (every choice at its first value): its
  // network has the parts every network has, at their least ("" for bad
  // options, which RequiredOpShapes refuses first).
  std::string OverheadCalibrationArch(const SpaceConfig& space) const override;
  // Convolutions (expansion, depthwise, SE's two, projection; the stem's
  // three; the head's 1x1) and the head's two linear layers; batch norm,
  // activations, pooling, the SE product and residual sums count no MACs.
  // Parameters are every weight, bias and batch-norm scale and shift.
  bool CountsCosts() const override { return true; }
  absl::StatusOr<OpCost> Cost(const OpShape& shape) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_LATENCY_MODEL_H_
