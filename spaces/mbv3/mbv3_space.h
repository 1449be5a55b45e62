// The MobileNetV3 / Once-for-All space: a stem (3x3 conv, h-swish, and a
// fixed depthwise-separable block), then `stages` stages of inverted-residual
// blocks, then the head (1x1 expansion, global pooling, feature layer,
// classifier), as in MobileNetV3-Large.
//
// Genes, in order:
//   0: input resolution (index into options.resolutions)
//   1: width multiplier (index into options.widths)
//   per stage s, at 2 + s * (3 + 2 * max_depth):
//     depth (index into options.depths), SE off/on, activation ReLU/h-swish,
//     then per block b < max_depth: kernel (index into options.kernels),
//     expansion (index into options.expands).
// Blocks at or beyond a stage's depth are inactive: their genes are kept (a
// later depth mutation may wake them) but change nothing — the text form and
// the canonical key leave them out.
//
// Text form, e.g. "r32-w100|d2-se-hs:k3e4,k5e6|d3-relu:k3e3,k5e3,k7e6|...":
// resolution and width percent, then per stage the depth, "se" or "nose",
// "relu" or "hs", and one kNeM per active block (kernel N, expansion M).
#ifndef EDGENAS_SPACES_MBV3_MBV3_SPACE_H_
#define EDGENAS_SPACES_MBV3_MBV3_SPACE_H_

#include <string>
#include <vector>

#include "common/input_shape.h"
#include "common/search_space.h"
#include "spaces/mbv3/mbv3_options.h"

namespace edgenas {

// One active inverted-residual block of a network, resolved to its shapes.
struct Mbv3Block {
  int stage = 0;             // 0-based
  int index = 0;             // block within the stage
  int in_channels = 0;
  int mid_channels = 0;      // after the 1x1 expansion (== in_channels when expand is 1)
  int out_channels = 0;
  int kernel = 3;
  int expand = 1;
  int stride = 1;
  bool se = false;
  int se_channels = 0;       // squeeze width (0 without SE)
  bool hswish = false;       // h-swish, else ReLU
  int in_resolution = 0;     // input side
  bool residual = false;     // stride 1 and in == out
};

// A network of the space, every layer's shape resolved: what the LibTorch
// builder, the ONNX writer, the latency model and the MAC count all read.
struct Mbv3Plan {
  int resolution = 0;     // input side the network takes
  int width_percent = 100;
  int in_channels = 0;    // image channels
  int num_classes = 0;
  int stem_channels = 0;  // stem conv output and the fixed first block's width
  int stem_stride = 2;
  int stem_out_resolution = 0;
  std::vector<Mbv3Block> blocks;
  int head_in_channels = 0;
  int head_channels = 0;
  int head_resolution = 0;  // side of the last feature map
  int feature_channels = 0;
};

// Squeeze width of an SE module over `channels` (reduction 4, rounded).
inline int Mbv3SeChannels(int channels) { return Mbv3MakeDivisible(channels / 4.0); }

class Mbv3Space : public SearchSpace {
 public:
  explicit Mbv3Space(Mbv3Options options);

  std::string Name() const override { return kMbv3SpaceName; }
  int NumGenes() const override { return static_cast<int>(cardinality_.size()); }
  int Cardinality(int gene) const override { return cardinality_[gene]; }
  int64_t Size() const override;

  // Errors name the position (character offset) and the stage or block.
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override;
  std::string Print(const Architecture& arch) const override;
  // The text form: inactive blocks are left out.
  std::string CanonicalKey(const Architecture& arch) const override;
  // Distinct networks (saturating at INT64_MAX).
  int64_t DistinctCount() const override;
  // Changes one active decision (a changed depth keeps the latent genes of
  // the blocks it wakes or puts to sleep, so it may change the key more).
  Architecture Mutate(const Architecture& arch, Rng& rng) const override;

  const Mbv3Options& options() const { return options_; }
  int MaxDepth() const { return max_depth_; }
  // Gene indices.
  static constexpr int kResolutionGene = 0;
  static constexpr int kWidthGene = 1;
  int StageGene(int stage) const { return 2 + stage * (3 + 2 * max_depth_); }  // depth
  int SeGene(int stage) const { return StageGene(stage) + 1; }
  int ActGene(int stage) const { return StageGene(stage) + 2; }
  int KernelGene(int stage, int block) const { return StageGene(stage) + 3 + 2 * block; }
  int ExpandGene(int stage, int block) const { return KernelGene(stage, block) + 1; }
  // Decoded values of a valid architecture.
  int Resolution(const Architecture& arch) const;
  int WidthPercent(const Architecture& arch) const;
  int Depth(const Architecture& arch, int stage) const;

  // The network of a valid `arch` for images of `input.channels` channels
  // and `input.classes` classes (the resolution is the architecture's own).
  Mbv3Plan Plan(const Architecture& arch, const InputShape& input) const;
  // The architecture with every choice at its largest (the supernet's
  // shape) and at its smallest.
  Architecture Largest() const;
  Architecture Smallest() const;

 private:
  Mbv3Options options_;
  int max_depth_ = 0;
  std::vector<int> cardinality_;
};

// The space of `config` (options read and checked first).
absl::StatusOr<Mbv3Space> CreateMbv3Space(const SpaceConfig& config);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_SPACE_H_
