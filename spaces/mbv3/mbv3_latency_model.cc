#include "spaces/mbv3/mbv3_latency_model.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_options.h"

namespace edgenas {
namespace {

absl::Status UnknownOp(absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("op: \"", name.substr(0, 64), "\" is not an mbv3 table op"));
}

// A number after `prefix` ("k5" -> 5), or -1.
int Suffix(absl::string_view part, absl::string_view prefix) {
  int value = 0;
  if (!absl::ConsumePrefix(&part, prefix) || !absl::SimpleAtoi(part, &value)) return -1;
  return value;
}

const IntOptionSchema* FindSchema(const std::vector<IntOptionSchema>& schema,
                                  absl::string_view key) {
  for (const IntOptionSchema& s : schema) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

absl::Status CheckInput(const InputShape& input) {
  if (input.channels < 1 || input.classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset: the mbv3 latency model needs image channels and classes >= 1, got ",
        input.ToString()));
  }
  return absl::OkStatus();
}

// A convolution without bias, then batch norm: cost at output side `side`.
OpCost ConvBn(int64_t in, int64_t out, int64_t kernel, int64_t groups, int64_t side) {
  const int64_t weights = out * (in / groups) * kernel * kernel;
  return OpCost{side * side * weights, weights + 2 * out};
}

OpCost Sum(std::initializer_list<OpCost> parts) {
  OpCost total;
  for (const OpCost& p : parts) {
    total.macs += p.macs;
    total.params += p.params;
  }
  return total;
}

OpCost BlockCost(const Mbv3Block& b) {
  const int64_t out_side = Mbv3Downsample(b.in_resolution, b.stride);
  OpCost cost;
  if (b.expand != 1) cost = ConvBn(b.in_channels, b.mid_channels, 1, 1, b.in_resolution);
  cost = Sum({cost, ConvBn(b.mid_channels, b.mid_channels, b.kernel, b.mid_channels, out_side)});
  if (b.se) {
    // Two 1x1 convolutions with bias on the pooled 1x1 map.
    const int64_t mid = b.mid_channels, squeeze = b.se_channels;
    cost = Sum({cost, OpCost{2 * mid * squeeze, 2 * mid * squeeze + squeeze + mid}});
  }
  return Sum({cost, ConvBn(b.mid_channels, b.out_channels, 1, 1, out_side)});
}

absl::Status CheckShape(const OpShape& s) {
  for (const auto& [field, value] : {std::pair<const char*, int>{"in_channels", s.in_channels},
                                     {"out_channels", s.out_channels},
                                     {"resolution", s.resolution},
                                     {"stride", s.stride}}) {
    if (value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be >= 1 for ", s.ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string Mbv3BlockOpName(int kernel, int expand, bool se, bool hswish) {
  return absl::StrCat("mb_k", kernel, "_e", expand, se ? "_se" : "_nose", hswish ? "_hs" : "_relu");
}

absl::StatusOr<Mbv3Op> ParseMbv3Op(absl::string_view name) {
  Mbv3Op op;
  if (name == kMbv3OpStem) return op;
  if (name == kMbv3OpHeadConv || name == kMbv3OpHeadFeature || name == kMbv3OpHeadClassifier) {
    op.kind = name == kMbv3OpHeadConv      ? Mbv3Op::Kind::kHeadConv
              : name == kMbv3OpHeadFeature ? Mbv3Op::Kind::kHeadFeature
                                           : Mbv3Op::Kind::kHeadClassifier;
    return op;
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '_');
  if (parts.size() != 5 || parts[0] != "mb") return UnknownOp(name);
  op.kind = Mbv3Op::Kind::kBlock;
  op.kernel = Suffix(parts[1], "k");
  op.expand = Suffix(parts[2], "e");
  if (op.kernel < 1 || op.kernel % 2 == 0 || op.expand < 1) return UnknownOp(name);
  if (parts[3] != "se" && parts[3] != "nose") return UnknownOp(name);
  if (parts[4] != "hs" && parts[4] != "relu") return UnknownOp(name);
  op.se = parts[3] == "se";
  op.hswish = parts[4] == "hs";
  // Only the canonical spelling (no "k05").
  if (Mbv3BlockOpName(op.kernel, op.expand, op.se, op.hswish) != name) return UnknownOp(name);
  return op;
}

absl::StatusOr<Mbv3Block> Mbv3BlockOfOp(const OpShape& shape) {
  ASSIGN_OR_RETURN(const Mbv3Op op, ParseMbv3Op(shape.op));
  if (op.kind != Mbv3Op::Kind::kBlock) {
    return absl::InvalidArgumentError(
        absl::StrCat("op: \"", shape.op, "\" is not an inverted-residual block"));
  }
  RETURN_IF_ERROR(CheckShape(shape));
  Mbv3Block b;
  b.in_channels = shape.in_channels;
  b.out_channels = shape.out_channels;
  b.kernel = op.kernel;
  b.expand = op.expand;
  // As Mbv3Space::Plan.
  b.mid_channels = op.expand == 1
                       ? shape.in_channels
                       : Mbv3MakeDivisible(static_cast<double>(shape.in_channels) * op.expand);
  b.stride = shape.stride;
  b.se = op.se;
  b.se_channels = op.se ? Mbv3SeChannels(b.mid_channels) : 0;
  b.hswish = op.hswish;
  b.in_resolution = shape.resolution;
  b.residual = b.stride == 1 && b.in_channels == b.out_channels;
  return b;
}

OpShape Mbv3StemOp(const Mbv3Plan& plan) {
  return OpShape{kMbv3OpStem, plan.in_channels, plan.stem_channels, plan.resolution,
                 plan.stem_stride};
}

OpShape Mbv3BlockOp(const Mbv3Block& b) {
  return OpShape{Mbv3BlockOpName(b.kernel, b.expand, b.se, b.hswish), b.in_channels,
                 b.out_channels, b.in_resolution, b.stride};
}

std::vector<OpShape> Mbv3HeadOps(const Mbv3Plan& plan) {
  return {
      OpShape{kMbv3OpHeadConv, plan.head_in_channels, plan.head_channels, plan.head_resolution, 1},
      OpShape{kMbv3OpHeadFeature, plan.head_channels, plan.feature_channels, 1, 1},
      OpShape{kMbv3OpHeadClassifier, plan.feature_channels, plan.num_classes, 1, 1},
  };
}

std::vector<std::string> Mbv3LatencyModel::TableOps() const {
  const std::vector<IntOptionSchema> schema = Mbv3OptionSchema();
  const IntOptionSchema* kernels = FindSchema(schema, "kernels");
  const IntOptionSchema* expands = FindSchema(schema, "expands");
  std::vector<std::string> ops = {kMbv3OpStem, kMbv3OpHeadConv, kMbv3OpHeadFeature,
                                  kMbv3OpHeadClassifier};
  for (int k = kernels->min; k <= kernels->max; ++k) {
    if (k % 2 == 0) continue;  // kernels are odd (ReadMbv3Options)
    for (int e = expands->min; e <= expands->max; ++e) {
      for (bool se : {false, true}) {
        for (bool hs : {false, true}) ops.push_back(Mbv3BlockOpName(k, e, se, hs));
      }
    }
  }
  return ops;
}

absl::StatusOr<std::vector<OpShape>> Mbv3LatencyModel::RequiredOpShapes(
    const SpaceConfig& config, const InputShape& input) const {
  RETURN_IF_ERROR(CheckInput(input));
  ASSIGN_OR_RETURN(const Mbv3Space space, CreateMbv3Space(config));
  const Mbv3Options& o = space.options();
  std::vector<OpShape> out;
  for (int r = 0; r < static_cast<int>(o.resolutions.size()); ++r) {
    for (int w = 0; w < static_cast<int>(o.widths.size()); ++w) {
      // The deepest network at this resolution and width has every block
      // position; each position's shape does not depend on the choices of
      // its block, and beyond a stage's first block the positions repeat.
      Architecture arch = space.Largest();
      arch.genes[Mbv3Space::kResolutionGene] = r;
      arch.genes[Mbv3Space::kWidthGene] = w;
      const Mbv3Plan plan = space.Plan(arch, input);
      out.push_back(Mbv3StemOp(plan));
      for (Mbv3Block block : plan.blocks) {
        if (block.index > 1) continue;
        for (int kernel : o.kernels) {
          for (int expand : o.expands) {
            for (bool se : {false, true}) {
              for (bool hswish : {false, true}) {
                block.kernel = kernel;
                block.expand = expand;
                block.se = se;
                block.hswish = hswish;
                out.push_back(Mbv3BlockOp(block));
              }
            }
          }
        }
      }
      for (OpShape& head : Mbv3HeadOps(plan)) out.push_back(std::move(head));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<OpShape>> Mbv3LatencyModel::NetworkOpShapes(
    const SpaceConfig& config, const Architecture& arch, const InputShape& input) const {
  RETURN_IF_ERROR(CheckInput(input));
  ASSIGN_OR_RETURN(const Mbv3Space space, CreateMbv3Space(config));
  RETURN_IF_ERROR(space.Validate(arch));
  const Mbv3Plan plan = space.Plan(arch, input);
  std::vector<OpShape> out;
  out.push_back(Mbv3StemOp(plan));
  for (const Mbv3Block& block : plan.blocks) out.push_back(Mbv3BlockOp(block));
  for (OpShape& head : Mbv3HeadOps(plan)) out.push_back(std::move(head));
  return out;
}

std::string Mbv3LatencyModel::OverheadCalibrationArch(const SpaceConfig& config) const {
  absl::StatusOr<Mbv3Space> space = CreateMbv3Space(config);
  return space.ok() ? space->Print(space->Smallest()) : "";
}

absl::StatusOr<OpCost> Mbv3LatencyModel::Cost(const OpShape& s) const {
  ASSIGN_OR_RETURN(const Mbv3Op op, ParseMbv3Op(s.op));
  RETURN_IF_ERROR(CheckShape(s));
  const int64_t in = s.in_channels, out = s.out_channels;
  switch (op.kind) {
    case Mbv3Op::Kind::kStem: {
      const int64_t side = Mbv3Downsample(s.resolution, s.stride);
      return Sum({ConvBn(in, out, 3, 1, side), ConvBn(out, out, 3, out, side),
                  ConvBn(out, out, 1, 1, side)});
    }
    case Mbv3Op::Kind::kBlock: {
      ASSIGN_OR_RETURN(const Mbv3Block block, Mbv3BlockOfOp(s));
      return BlockCost(block);
    }
    case Mbv3Op::Kind::kHeadConv:
      return ConvBn(in, out, 1, 1, s.resolution);
    case Mbv3Op::Kind::kHeadFeature:
    case Mbv3Op::Kind::kHeadClassifier:
      return OpCost{in * out, in * out + out};  // linear with bias
  }
  return UnknownOp(s.op);
}

}  // namespace edgenas
