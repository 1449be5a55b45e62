#include "spaces/nb201/nb201_latency_model.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {
namespace {

constexpr int kStages = 3;
constexpr int kCellNodes = 4;

// The shape of an NB201 network: widths and input resolutions per stage.
struct Nb201Shape {
  int cells_per_stage = 1;
  std::array<int, kStages> width{};
  std::array<int, kStages> resolution{};
};

absl::StatusOr<Nb201Shape> ShapeOf(const SpaceConfig& space, const InputShape& input) {
  if (input.height != input.width) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset.height: the nb201 latency model needs a square input, got ", input.height,
        "x", input.width));
  }
  if (input.channels < 1 || input.height < 4 || input.classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input: channels, classes must be >= 1 and resolution >= 4, got ", input.channels, ", ",
        input.classes, ", ", input.height));
  }
  Nb201Shape shape;
  ASSIGN_OR_RETURN(shape.cells_per_stage, SpaceIntOption(space, "cells_per_stage"));
  ASSIGN_OR_RETURN(const int channels, SpaceIntOption(space, "channels"));
  int width = channels;
  int resolution = input.height;
  for (int s = 0; s < kStages; ++s) {
    shape.width[s] = width;
    shape.resolution[s] = resolution;
    width *= 2;
    // A 3x3 stride-2 convolution with padding 1 (and the 2x2 shortcut pool
    // on the even sizes NB201 is used with).
    resolution = (resolution - 1) / 2 + 1;
  }
  return shape;
}

OpShape Same(const std::string& op, int width, int resolution) {
  return OpShape{op, width, width, resolution, 1};
}

OpShape Stem(const Nb201Shape& s, const InputShape& input) {
  return OpShape{kOpStem, input.channels, s.width[0], s.resolution[0], 1};
}

OpShape Reduction(const Nb201Shape& s, int stage) {
  return OpShape{kOpReduction, s.width[stage - 1], s.width[stage], s.resolution[stage - 1], 2};
}

OpShape Head(const Nb201Shape& s, const InputShape& input) {
  return OpShape{kOpHead, s.width[kStages - 1], input.classes, s.resolution[kStages - 1], 1};
}

}  // namespace

std::vector<std::string> Nb201LatencyModel::TableOps() const {
  std::vector<std::string> ops;
  for (int op = 0; op < kNb201NumOps; ++op) {
    if (op != static_cast<int>(Nb201Op::kNone)) ops.push_back(Nb201OpNames()[op]);
  }
  for (const char* fixed : {kOpStem, kOpReduction, kOpHead, kOpAdd, kOpZero}) {
    ops.push_back(fixed);
  }
  return ops;
}

absl::StatusOr<std::vector<OpShape>> Nb201LatencyModel::RequiredOpShapes(
    const SpaceConfig& space, const InputShape& input) const {
  ASSIGN_OR_RETURN(const Nb201Shape shape, ShapeOf(space, input));
  std::vector<OpShape> out;
  out.push_back(Stem(shape, input));
  for (int s = 0; s < kStages; ++s) {
    if (s > 0) out.push_back(Reduction(shape, s));
    for (int op = 0; op < kNb201NumOps; ++op) {
      if (op == static_cast<int>(Nb201Op::kNone)) continue;
      out.push_back(Same(Nb201OpNames()[op], shape.width[s], shape.resolution[s]));
    }
    out.push_back(Same(kOpAdd, shape.width[s], shape.resolution[s]));
    out.push_back(Same(kOpZero, shape.width[s], shape.resolution[s]));
  }
  out.push_back(Head(shape, input));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<OpShape>> Nb201LatencyModel::NetworkOpShapes(
    const SpaceConfig& space, const Architecture& arch, const InputShape& input) const {
  ASSIGN_OR_RETURN(const Nb201Shape shape, ShapeOf(space, input));
  if (absl::Status genes = Nb201CheckGenes(arch); !genes.ok()) return genes;
  const std::vector<bool> live = Nb201LiveEdges(arch);
  const auto& edges = Nb201Edges();
  std::vector<OpShape> out;
  out.push_back(Stem(shape, input));
  for (int s = 0; s < kStages; ++s) {
    if (s > 0) out.push_back(Reduction(shape, s));
    const int w = shape.width[s];
    const int r = shape.resolution[s];
    for (int cell = 0; cell < shape.cells_per_stage; ++cell) {
      // As Nb201Cell::forward: edges in gene order; a node's second and
      // later inputs are added to what it holds.
      std::array<bool, kCellNodes> defined{};
      for (int e = 0; e < kNb201NumEdges; ++e) {
        if (!live[e]) continue;
        const int to = edges[e].first;
        out.push_back(Same(Nb201OpNames()[arch.genes[e]], w, r));
        if (defined[to]) out.push_back(Same(kOpAdd, w, r));
        defined[to] = true;
      }
      if (!defined[kCellNodes - 1]) out.push_back(Same(kOpZero, w, r));
    }
  }
  out.push_back(Head(shape, input));
  return out;
}

absl::StatusOr<OpCost> Nb201LatencyModel::Cost(const OpShape& s) const {
  const int64_t in = s.in_channels, out = s.out_channels, r = s.resolution;
  // A convolution without bias followed by batch norm, at output side `side`.
  const auto conv_bn = [](int64_t cin, int64_t cout, int64_t kernel, int64_t side) {
    const int64_t weights = cin * cout * kernel * kernel;
    return OpCost{side * side * weights, weights + 2 * cout};
  };
  const auto& names = Nb201OpNames();
  if (s.op == names[static_cast<int>(Nb201Op::kConv3x3)]) return conv_bn(in, out, 3, r);
  if (s.op == names[static_cast<int>(Nb201Op::kConv1x1)]) return conv_bn(in, out, 1, r);
  if (s.op == kOpStem) return conv_bn(in, out, 3, r);
  if (s.op == kOpReduction) {
    const int64_t side = (r - 1) / 2 + 1;  // 3x3, stride 2, padding 1
    const OpCost a = conv_bn(in, out, 3, side);
    const OpCost b = conv_bn(out, out, 3, side);
    const int64_t pooled = r / 2;  // 2x2 average pool, stride 2
    return OpCost{a.macs + b.macs + pooled * pooled * in * out, a.params + b.params + in * out};
  }
  if (s.op == kOpHead) return OpCost{in * out, 2 * in + in * out + out};  // BN, linear
  if (s.op == names[static_cast<int>(Nb201Op::kSkipConnect)] ||
      s.op == names[static_cast<int>(Nb201Op::kAvgPool3x3)] || s.op == kOpAdd ||
      s.op == kOpZero) {
    return OpCost{};
  }
  return absl::InvalidArgumentError(absl::StrCat("op: unknown nb201 operator \"", s.op, "\""));
}

std::string Nb201LatencyModel::OverheadCalibrationArch(const SpaceConfig& space) const {
  return "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
}

}  // namespace edgenas
