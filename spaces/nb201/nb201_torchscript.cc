#include "spaces/nb201/nb201_torchscript.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {
namespace {

// The exporter's attribute names: dotted tensor names with '.' as '_'.
std::string AttrName(const std::string& name) { return absl::StrReplaceAll(name, {{".", "_"}}); }

// Emits TorchScript for the NB201 network of nb201_model.cc, reading the
// parameters the built module names (stem_conv, stem_bn, body.<i>..., head_bn,
// classifier).
class Nb201ScriptWriter {
 public:
  Nb201ScriptWriter(const Architecture& arch, int cells_per_stage)
      : arch_(arch), cells_per_stage_(cells_per_stage) {}

  std::string Source() {
    Line("def forward(self, x):");
    Line("    x = " + Conv("x", "stem_conv", 1, 1));
    Line("    x = " + Bn("x", "stem_bn"));
    int index = 0;
    for (int stage = 0; stage < 3; ++stage) {
      if (stage > 0) Reduction(index++);
      for (int c = 0; c < cells_per_stage_; ++c) Cell(index++);
    }
    Line("    x = torch.relu(" + Bn("x", "head_bn") + ")");
    Line("    x = torch.mean(x, [2, 3])");
    Line("    return torch.addmm(self.classifier_bias, x, self.classifier_weight.t())");
    return out_;
  }

 private:
  void Line(const std::string& text) { absl::StrAppend(&out_, text, "\n"); }

  static std::string Conv(const std::string& x, const std::string& prefix, int stride, int pad) {
    return absl::StrCat("torch.conv2d(", x, ", self.", AttrName(prefix), "_weight, None, [",
                        stride, ", ", stride, "], [", pad, ", ", pad, "], [1, 1], 1)");
  }
  static std::string Bn(const std::string& x, const std::string& prefix) {
    const std::string p = AttrName(prefix);
    return absl::StrCat("torch.batch_norm(", x, ", self.", p, "_weight, self.", p,
                        "_bias, self.", p, "_running_mean, self.", p,
                        "_running_var, False, 0.1, 1e-05, False)");
  }
  // ReLU -> conv -> BN (nor_conv).
  static std::string ReluConvBn(const std::string& x, const std::string& prefix, int kernel,
                                int stride) {
    return Bn(Conv(absl::StrCat("torch.relu(", x, ")"), prefix + ".conv", stride, kernel / 2),
              prefix + ".bn");
  }

  void Reduction(int i) {
    const std::string p = absl::StrCat("body.", i);
    Line(absl::StrCat("    a = ", ReluConvBn("x", p + ".conv_a", 3, 2)));
    Line(absl::StrCat("    a = ", ReluConvBn("a", p + ".conv_b", 3, 1)));
    Line("    s = torch.avg_pool2d(x, [2, 2], [2, 2], [0, 0], False, True, None)");
    Line(absl::StrCat("    x = a + ", Conv("s", p + ".shortcut_conv", 1, 0)));
  }

  void Cell(int i) {
    const std::vector<bool> live = Nb201LiveEdges(arch_);
    const auto& edges = Nb201Edges();
    std::vector<bool> defined(4, false);
    defined[0] = true;
    Line("    n0 = x");
    for (int e = 0; e < kNb201NumEdges; ++e) {
      if (!live[e]) continue;
      const auto [to, from] = edges[e];
      const std::string in = absl::StrCat("n", from);
      const std::string prefix = absl::StrCat("body.", i, ".edge_", to, "_", from, ".0");
      std::string value;
      switch (static_cast<Nb201Op>(arch_.genes[e])) {
        case Nb201Op::kSkipConnect:
          value = in;
          break;
        case Nb201Op::kConv1x1:
          value = ReluConvBn(in, prefix, 1, 1);
          break;
        case Nb201Op::kConv3x3:
          value = ReluConvBn(in, prefix, 3, 1);
          break;
        case Nb201Op::kAvgPool3x3:
          value = absl::StrCat("torch.avg_pool2d(", in, ", [3, 3], [1, 1], [1, 1], False, False, None)");
          break;
        case Nb201Op::kNone:
          continue;
      }
      const std::string node = absl::StrCat("n", to);
      Line(absl::StrCat("    ", node, " = ", defined[to] ? node + " + " : "", value));
      defined[to] = true;
    }
    Line(defined[3] ? "    x = n3" : "    x = torch.zeros_like(x)");
  }

  const Architecture& arch_;
  const int cells_per_stage_;
  std::string out_;
};

}  // namespace

absl::StatusOr<std::string> Nb201TorchScriptSource(const Architecture& arch,
                                                   const SpaceConfig& space) {
  ASSIGN_OR_RETURN(const int cells_per_stage, SpaceIntOption(space, "cells_per_stage"));
  return Nb201ScriptWriter(arch, cells_per_stage).Source();
}

}  // namespace edgenas
