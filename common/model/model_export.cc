#include "common/model/model_export.h"

#include <fstream>
#include <sstream>
#include <vector>

#include <torch/script.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/model/checkpoint.h"
#include "common/model/model_registry.h"
#include "common/model/nb201_model.h"
#include "common/model/onnx_export.h"
#include "common/nb201_space.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// TorchScript attribute names cannot hold dots: "body.0.conv_a.bn.weight"
// becomes "body_0_conv_a_bn_weight" (unique: module names hold no '_'-dot
// ambiguities that collide, checked when registering).
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

absl::Status WriteFile(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("export: cannot write ", path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return absl::InternalError(absl::StrCat("export: cannot write ", path));
  return absl::OkStatus();
}

absl::Status ExportChecked(const SpaceConfig& space, const std::string& arch_text,
                           const std::string& checkpoint, const std::string& format,
                           const std::string& out_path, int in_channels, int num_classes) {
  if (format == "onnx") {
    // ExportOnnx reads "" as "initial weights"; a trained network has bytes.
    if (checkpoint.empty()) return absl::DataLossError("export: the checkpoint is empty");
    OnnxExportOptions options;
    options.in_channels = in_channels;
    options.num_classes = num_classes;
    ASSIGN_OR_RETURN(const OnnxModel model, ExportOnnx(space, arch_text, checkpoint, options));
    return WriteFile(out_path, std::vector<char>(model.bytes.begin(), model.bytes.end()));
  }
  if (format != "torchscript" && format != "state_dict") {
    return absl::InvalidArgumentError(absl::StrCat(
        "format: unknown \"", format, "\"; known: torchscript, state_dict, onnx"));
  }
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(space, arch_text, in_channels, num_classes));
  RETURN_IF_ERROR(LoadCheckpoint(checkpoint, *model.ptr(), arch_text));
  model.ptr()->eval();
  const auto params = model.ptr()->named_parameters(/*recurse=*/true);
  const auto buffers = model.ptr()->named_buffers(/*recurse=*/true);

  if (format == "state_dict") {
    c10::Dict<std::string, at::Tensor> dict;
    for (const auto& p : params) dict.insert(p.key(), p.value().detach().clone());
    for (const auto& b : buffers) dict.insert(b.key(), b.value().detach().clone());
    return WriteFile(out_path, torch::pickle_save(c10::IValue(dict)));
  }

  if (space.name != "nb201") {
    return absl::InvalidArgumentError(absl::StrCat(
        "format: torchscript export is implemented for nb201, not \"", space.name, "\""));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> parsed_space, CreateSearchSpace(space.name));
  ASSIGN_OR_RETURN(Architecture arch, parsed_space->Parse(arch_text));
  ASSIGN_OR_RETURN(int cells_per_stage, SpaceIntOption(space, "cells_per_stage"));
  torch::jit::Module script("edgenas_nb201");
  for (const auto& p : params) {
    const std::string name = AttrName(p.key());
    if (script.hasattr(name)) return absl::InternalError(absl::StrCat("export: name clash ", name));
    script.register_parameter(name, p.value().detach().clone(), /*is_buffer=*/false);
  }
  for (const auto& b : buffers) {
    const std::string name = AttrName(b.key());
    if (name.size() > 20 && name.compare(name.size() - 20, 20, "_num_batches_tracked") == 0) {
      continue;  // bookkeeping, unused in inference
    }
    if (script.hasattr(name)) return absl::InternalError(absl::StrCat("export: name clash ", name));
    script.register_buffer(name, b.value().detach().clone());
  }
  script.define(Nb201ScriptWriter(arch, cells_per_stage).Source());
  script.eval();
  std::ostringstream bytes;
  script.save(bytes);
  const std::string data = bytes.str();
  return WriteFile(out_path, std::vector<char>(data.begin(), data.end()));
}

}  // namespace

absl::Status ExportTrainedModel(const SpaceConfig& space, const std::string& arch,
                                const std::string& checkpoint, const std::string& format,
                                const std::string& out_path, int in_channels, int num_classes) {
  try {
    return ExportChecked(space, arch, checkpoint, format, out_path, in_channels, num_classes);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("export: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("export: ", e.what()));
  }
}

}  // namespace edgenas
