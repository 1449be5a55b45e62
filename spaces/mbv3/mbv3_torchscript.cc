#include "spaces/mbv3/mbv3_torchscript.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {
namespace {

// Writes the forward of an Mbv3Plan, one statement per line; the
// expression helpers mirror mbv3_blocks.cc operation for operation.
class Mbv3ScriptWriter {
 public:
  explicit Mbv3ScriptWriter(const Mbv3Plan& plan) : plan_(plan) {}

  std::string Source() {
    const int r = plan_.resolution;
    Line("def forward(self, x):");
    Line(absl::StrCat("    if x.size(2) != ", r, " or x.size(3) != ", r, ":"));
    Line(absl::StrCat("        x = torch.upsample_bilinear2d(x, [", r, ", ", r,
                      "], False, None, None)"));
    // Stem: h-swish(bn(conv(x))), then y + pw_bn(pw(relu(dw_bn(dw(y))))).
    Activated("y", ConvBn("x", "stem.conv", "stem.bn", 3, plan_.stem_stride, 1), /*hswish=*/true);
    Line("    z = torch.relu(" +
         ConvBn("y", "stem.dw", "stem.dw_bn", 3, 1, plan_.stem_channels) + ")");
    Line("    x = y + " + ConvBn("z", "stem.pw", "stem.pw_bn", 1, 1, 1));
    for (const Mbv3Block& block : plan_.blocks) Block(block);
    // Head: h-swish(bn(conv(x))) -> mean -> feature -> h-swish -> classifier.
    Activated("x", ConvBn("x", "head.conv", "head.bn", 1, 1, 1), /*hswish=*/true);
    Line("    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)");
    Activated("x", Linear("x", "head.feature"), /*hswish=*/true);
    Line("    return " + Linear("x", "head.classifier"));
    return out_;
  }

 private:
  void Line(const std::string& text) { absl::StrAppend(&out_, text, "\n"); }

  // The exporter's attribute names: dotted tensor names with '.' as '_'.
  static std::string Attr(const std::string& name) {
    return absl::StrCat("self.", absl::StrReplaceAll(name, {{".", "_"}}));
  }
  static std::string HardSigmoid(const std::string& x) {
    return absl::StrCat("(torch.clamp(", x, " + 3.0, 0.0, 6.0) / 6.0)");
  }
  static std::string Conv(const std::string& x, const std::string& conv, int kernel, int stride,
                          int groups, bool bias) {
    return absl::StrCat("torch.conv2d(", x, ", ", Attr(conv + ".weight"), ", ",
                        bias ? Attr(conv + ".bias") : "None", ", [", stride, ", ", stride, "], [",
                        kernel / 2, ", ", kernel / 2, "], [1, 1], ", groups, ")");
  }
  static std::string Bn(const std::string& x, const std::string& bn) {
    return absl::StrCat("torch.batch_norm(", x, ", ", Attr(bn + ".weight"), ", ",
                        Attr(bn + ".bias"), ", ", Attr(bn + ".running_mean"), ", ",
                        Attr(bn + ".running_var"), ", False, 0.1, 1e-05, False)");
  }
  static std::string ConvBn(const std::string& x, const std::string& conv, const std::string& bn,
                            int kernel, int stride, int groups) {
    return Bn(Conv(x, conv, kernel, stride, groups, /*bias=*/false), bn);
  }
  static std::string Linear(const std::string& x, const std::string& linear) {
    return absl::StrCat("torch.addmm(", Attr(linear + ".bias"), ", ", x, ", ",
                        Attr(linear + ".weight"), ".t())");
  }

  // `value` bound to `name`, then activated in place (relu or h-swish).
  void Activated(const std::string& name, const std::string& value, bool hswish) {
    if (hswish) {
      Line(absl::StrCat("    ", name, " = ", value));
      Line(absl::StrCat("    ", name, " = ", name, " * ", HardSigmoid(name)));
    } else {
      Line(absl::StrCat("    ", name, " = torch.relu(", value, ")"));
    }
  }

  void Block(const Mbv3Block& b) {
    const std::string p = absl::StrCat("s", b.stage, "b", b.index);
    std::string in = "x";
    if (b.expand != 1) {
      Activated("y", ConvBn("x", p + ".expand", p + ".expand_bn", 1, 1, 1), b.hswish);
      in = "y";
    }
    Activated("y", ConvBn(in, p + ".dw", p + ".dw_bn", b.kernel, b.stride, b.mid_channels),
              b.hswish);
    if (b.se) {
      Line("    s = torch.adaptive_avg_pool2d(y, [1, 1])");
      Line("    s = torch.relu(" + Conv("s", p + ".se_reduce", 1, 1, 1, /*bias=*/true) + ")");
      Line("    s = " + HardSigmoid(Conv("s", p + ".se_expand", 1, 1, 1, /*bias=*/true)));
      Line("    y = y * s");
    }
    const std::string project = Bn(Conv("y", p + ".project", 1, 1, 1, false), p + ".project_bn");
    Line(absl::StrCat("    x = ", project, b.residual ? " + x" : ""));
  }

  const Mbv3Plan& plan_;
  std::string out_;
};

}  // namespace

absl::StatusOr<std::string> Mbv3TorchScriptSource(const Architecture& arch,
                                                  const SpaceConfig& space) {
  ASSIGN_OR_RETURN(const Mbv3Space mbv3, CreateMbv3Space(space));
  RETURN_IF_ERROR(mbv3.Validate(arch));
  // The source reads no input or class count: the tensors carry them.
  const Mbv3Plan plan = mbv3.Plan(arch, InputShape{});
  return Mbv3ScriptWriter(plan).Source();
}

}  // namespace edgenas
