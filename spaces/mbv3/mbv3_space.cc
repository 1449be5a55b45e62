#include "spaces/mbv3/mbv3_space.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > std::numeric_limits<int64_t>::max() / b) return std::numeric_limits<int64_t>::max();
  return a * b;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (a > std::numeric_limits<int64_t>::max() - b) return std::numeric_limits<int64_t>::max();
  return a + b;
}

int IndexOf(const std::vector<int>& list, int value) {
  auto it = std::find(list.begin(), list.end(), value);
  return it == list.end() ? -1 : static_cast<int>(it - list.begin());
}

// A cursor over the text form that reports errors with the offset.
class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Consume(absl::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // A decimal integer at the cursor (at most 6 digits).
  bool Int(int* value) {
    size_t end = pos_;
    while (end < text_.size() && end - pos_ < 6 && text_[end] >= '0' && text_[end] <= '9') ++end;
    if (end == pos_) return false;
    absl::SimpleAtoi(text_.substr(pos_, end - pos_), value);
    pos_ = end;
    return true;
  }
  absl::Status Error(absl::string_view where, absl::string_view what) const {
    const absl::string_view rest = text_.substr(pos_, 12);
    return absl::InvalidArgumentError(absl::StrCat("arch: at position ", pos_, " (", where, "): ",
                                                   what, "; found \"", absl::CHexEscape(rest),
                                                   "\""));
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

absl::StatusOr<int> ReadChoice(Reader& r, absl::string_view prefix, const std::vector<int>& list,
                               absl::string_view where, absl::string_view what) {
  if (!r.Consume(prefix)) {
    return r.Error(where, absl::StrCat("expected \"", prefix, "\" and the ", what));
  }
  int value = 0;
  if (!r.Int(&value)) return r.Error(where, absl::StrCat("expected the ", what, " (a number)"));
  const int index = IndexOf(list, value);
  if (index < 0) {
    return r.Error(where, absl::StrCat(what, " ", value, " is not one of the space's choices {",
                                       absl::StrJoin(list, ","), "}"));
  }
  return index;
}

}  // namespace

Mbv3Space::Mbv3Space(Mbv3Options options) : options_(std::move(options)) {
  max_depth_ = options_.depths.back();
  cardinality_.push_back(static_cast<int>(options_.resolutions.size()));
  cardinality_.push_back(static_cast<int>(options_.widths.size()));
  for (int s = 0; s < options_.stages; ++s) {
    cardinality_.push_back(static_cast<int>(options_.depths.size()));
    cardinality_.push_back(2);  // SE off/on
    cardinality_.push_back(2);  // ReLU / h-swish
    for (int b = 0; b < max_depth_; ++b) {
      cardinality_.push_back(static_cast<int>(options_.kernels.size()));
      cardinality_.push_back(static_cast<int>(options_.expands.size()));
    }
  }
}

int64_t Mbv3Space::Size() const {
  int64_t size = 1;
  for (int c : cardinality_) size = SaturatingMul(size, c);
  return size;
}

int64_t Mbv3Space::DistinctCount() const {
  // Per stage: 4 SE/activation settings times, for each depth d, (K*E)^d.
  const int64_t per_block = static_cast<int64_t>(options_.kernels.size()) * options_.expands.size();
  int64_t per_stage = 0;
  for (int d : options_.depths) {
    int64_t blocks = 1;
    for (int i = 0; i < d; ++i) blocks = SaturatingMul(blocks, per_block);
    per_stage = SaturatingAdd(per_stage, blocks);
  }
  per_stage = SaturatingMul(per_stage, 4);
  int64_t total = static_cast<int64_t>(options_.resolutions.size()) * options_.widths.size();
  for (int s = 0; s < options_.stages; ++s) total = SaturatingMul(total, per_stage);
  return total;
}

int Mbv3Space::Resolution(const Architecture& arch) const {
  return options_.resolutions[arch.genes[kResolutionGene]];
}
int Mbv3Space::WidthPercent(const Architecture& arch) const {
  return options_.widths[arch.genes[kWidthGene]];
}
int Mbv3Space::Depth(const Architecture& arch, int stage) const {
  return options_.depths[arch.genes[StageGene(stage)]];
}

absl::StatusOr<Architecture> Mbv3Space::Parse(absl::string_view text) const {
  Architecture arch;
  arch.genes.assign(NumGenes(), 0);
  Reader r(text);
  ASSIGN_OR_RETURN(arch.genes[kResolutionGene],
                   ReadChoice(r, "r", options_.resolutions, "resolution", "resolution"));
  if (!r.Consume("-")) return r.Error("width", "expected \"-w\" and the width percent");
  ASSIGN_OR_RETURN(arch.genes[kWidthGene], ReadChoice(r, "w", options_.widths, "width", "width"));
  for (int s = 0; s < options_.stages; ++s) {
    const std::string where = absl::StrCat("stage ", s + 1);
    if (!r.Consume("|")) {
      return r.Error(where, absl::StrCat("expected \"|\" and stage ", s + 1, " of ",
                                         options_.stages));
    }
    ASSIGN_OR_RETURN(arch.genes[StageGene(s)], ReadChoice(r, "d", options_.depths, where, "depth"));
    if (!r.Consume("-")) return r.Error(where, "expected \"-se\" or \"-nose\"");
    if (r.Consume("se")) {
      arch.genes[SeGene(s)] = 1;
    } else if (!r.Consume("nose")) {
      return r.Error(where, "expected \"se\" or \"nose\"");
    }
    if (!r.Consume("-")) return r.Error(where, "expected \"-relu\" or \"-hs\"");
    if (r.Consume("hs")) {
      arch.genes[ActGene(s)] = 1;
    } else if (!r.Consume("relu")) {
      return r.Error(where, "expected \"relu\" or \"hs\"");
    }
    if (!r.Consume(":")) return r.Error(where, "expected \":\" and the blocks");
    const int depth = Depth(arch, s);
    for (int b = 0;; ++b) {
      const std::string block = absl::StrCat(where, " block ", b + 1);
      if (b >= depth) {
        return r.Error(block, absl::StrCat("stage ", s + 1, " lists more blocks than its depth ",
                                           depth, " (an inactive block may not be set)"));
      }
      ASSIGN_OR_RETURN(arch.genes[KernelGene(s, b)],
                       ReadChoice(r, "k", options_.kernels, block, "kernel"));
      ASSIGN_OR_RETURN(arch.genes[ExpandGene(s, b)],
                       ReadChoice(r, "e", options_.expands, block, "expansion"));
      if (!r.Consume(",")) {
        if (b + 1 < depth) {
          return r.Error(block, absl::StrCat("stage ", s + 1, " has depth ", depth,
                                             " but lists ", b + 1, " blocks"));
        }
        break;
      }
    }
  }
  if (!r.AtEnd()) {
    return r.Error("end", absl::StrCat("unexpected text after the last of ", options_.stages,
                                       " stages"));
  }
  return arch;
}

std::string Mbv3Space::Print(const Architecture& arch) const {
  std::string out = absl::StrCat("r", Resolution(arch), "-w", WidthPercent(arch));
  for (int s = 0; s < options_.stages; ++s) {
    absl::StrAppend(&out, "|d", Depth(arch, s), arch.genes[SeGene(s)] ? "-se" : "-nose",
                    arch.genes[ActGene(s)] ? "-hs" : "-relu", ":");
    for (int b = 0; b < Depth(arch, s); ++b) {
      absl::StrAppend(&out, b == 0 ? "" : ",", "k", options_.kernels[arch.genes[KernelGene(s, b)]],
                      "e", options_.expands[arch.genes[ExpandGene(s, b)]]);
    }
  }
  return out;
}

std::string Mbv3Space::CanonicalKey(const Architecture& arch) const { return Print(arch); }

Architecture Mbv3Space::Mutate(const Architecture& arch, Rng& rng) const {
  std::vector<int> active;
  const auto consider = [&](int gene) {
    if (cardinality_[gene] > 1) active.push_back(gene);
  };
  consider(kResolutionGene);
  consider(kWidthGene);
  for (int s = 0; s < options_.stages; ++s) {
    consider(StageGene(s));
    consider(SeGene(s));
    consider(ActGene(s));
    for (int b = 0; b < Depth(arch, s); ++b) {
      consider(KernelGene(s, b));
      consider(ExpandGene(s, b));
    }
  }
  Architecture child = arch;
  if (active.empty()) return child;
  const int gene = active[rng.UniformInt(static_cast<int>(active.size()))];
  const int offset = 1 + rng.UniformInt(cardinality_[gene] - 1);
  child.genes[gene] = (arch.genes[gene] + offset) % cardinality_[gene];
  return child;
}

Mbv3Plan Mbv3Space::Plan(const Architecture& arch, const InputShape& input) const {
  Mbv3Plan plan;
  plan.resolution = Resolution(arch);
  plan.width_percent = WidthPercent(arch);
  plan.in_channels = input.channels;
  plan.num_classes = input.classes;
  plan.stem_channels = Mbv3Scaled(options_.stem_channels, plan.width_percent);
  plan.stem_stride = options_.stem_stride;
  plan.stem_out_resolution = Mbv3Downsample(plan.resolution, options_.stem_stride);
  int channels = plan.stem_channels;
  int side = plan.stem_out_resolution;
  for (int s = 0; s < options_.stages; ++s) {
    const int out = Mbv3Scaled(options_.channels[s], plan.width_percent);
    for (int b = 0; b < Depth(arch, s); ++b) {
      Mbv3Block block;
      block.stage = s;
      block.index = b;
      block.in_channels = channels;
      block.out_channels = out;
      block.kernel = options_.kernels[arch.genes[KernelGene(s, b)]];
      block.expand = options_.expands[arch.genes[ExpandGene(s, b)]];
      block.mid_channels =
          block.expand == 1 ? channels : Mbv3MakeDivisible(static_cast<double>(channels) * block.expand);
      block.stride = b == 0 ? options_.strides[s] : 1;
      block.se = arch.genes[SeGene(s)] == 1;
      block.se_channels = block.se ? Mbv3SeChannels(block.mid_channels) : 0;
      block.hswish = arch.genes[ActGene(s)] == 1;
      block.in_resolution = side;
      block.residual = block.stride == 1 && block.in_channels == block.out_channels;
      plan.blocks.push_back(block);
      channels = out;
      side = Mbv3Downsample(side, block.stride);
    }
  }
  plan.head_in_channels = channels;
  plan.head_channels = Mbv3Scaled(options_.head_channels, plan.width_percent);
  plan.head_resolution = side;
  plan.feature_channels = plan.width_percent > 100
                              ? Mbv3Scaled(options_.feature_channels, plan.width_percent)
                              : options_.feature_channels;
  return plan;
}

Architecture Mbv3Space::Largest() const {
  Architecture arch;
  arch.genes.reserve(cardinality_.size());
  for (int c : cardinality_) arch.genes.push_back(c - 1);
  return arch;
}

Architecture Mbv3Space::Smallest() const {
  Architecture arch;
  arch.genes.assign(cardinality_.size(), 0);
  return arch;
}

absl::StatusOr<Mbv3Space> CreateMbv3Space(const SpaceConfig& config) {
  ASSIGN_OR_RETURN(Mbv3Options options, ReadMbv3Options(config));
  return Mbv3Space(std::move(options));
}

}  // namespace edgenas
