// The MobileNetV3 / Once-for-All space's options: the fixed skeleton (stem,
// stages with their base widths and strides, head) and the choice lists the
// genes index into. Read from a SpaceConfig (space.options in a job spec);
// every key has a default, so `space: {name: mbv3}` is a complete spec. No
// LibTorch, no protobuf.
#ifndef EDGENAS_SPACES_MBV3_MBV3_OPTIONS_H_
#define EDGENAS_SPACES_MBV3_MBV3_OPTIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/space_registry.h"

namespace edgenas {

inline constexpr char kMbv3SpaceName[] = "mbv3";

struct Mbv3Options {
  int stages = 5;             // searchable stages of inverted-residual blocks
  int stem_channels = 16;     // stem conv and first (fixed) block, at width 100%
  int stem_stride = 2;        // stride of the stem's 3x3 convolution
  std::vector<int> channels;  // per stage: output channels at width 100%
  std::vector<int> strides;   // per stage: stride of its first block (1 or 2)
  int head_channels = 960;    // final 1x1 expansion at width 100%
  int feature_channels = 1280;  // the pooled feature layer before the classifier
  // Choice lists (sorted, distinct): what the genes index into.
  std::vector<int> kernels;      // depthwise kernel sides (odd)
  std::vector<int> expands;      // expansion ratios
  std::vector<int> depths;       // blocks per stage
  std::vector<int> resolutions;  // input sides
  std::vector<int> widths;       // width multipliers in percent
};

// The option schema registered for the space (keys, defaults, ranges).
std::vector<IntOptionSchema> Mbv3OptionSchema();

// Reads the options of `config` (defaults for absent keys). INVALID_ARGUMENT
// naming space.options.<key> for a bad value or options that do not fit
// together (list lengths, even kernels, a resolution whose last feature map
// would fall below 2x2).
absl::StatusOr<Mbv3Options> ReadMbv3Options(const SpaceConfig& config);

// Side of a feature map after a stride-`stride` layer with "same" padding.
inline int Mbv3Downsample(int side, int stride) { return (side + stride - 1) / stride; }

// The MobileNet channel rounding: `value` to a multiple of 8, at least 8 and
// never more than 10% below `value`.
int Mbv3MakeDivisible(double value);

// Channels of a layer whose width at 100% is `base`, at `width_percent`.
inline int Mbv3Scaled(int base, int width_percent) {
  return Mbv3MakeDivisible(base * width_percent / 100.0);
}

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_OPTIONS_H_
