#include "spaces/mbv3/mbv3_onnx.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_model.h"

namespace edgenas {
namespace {

absl::Status NotMbv3(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "onnx export: ", path, ": ", why, " (not an mbv3 network from BuildMbv3Network)"));
}

// Appends nodes and initializers to one graph; each method returns the name
// of the value it produced ("<path>.out").
class Mbv3GraphBuilder {
 public:
  OnnxGraph& graph() { return graph_; }

  // `conv` followed by inference batch norm `bn`, as one Conv: with
  // s = gamma / sqrt(running_var + eps), weight W * s (per output channel)
  // and bias beta - running_mean * s (+ the conv's own bias * s).
  absl::StatusOr<std::string> ConvBn(const std::string& x, const torch::nn::Conv2d& conv,
                                     const torch::nn::BatchNorm2d& bn, const std::string& path) {
    if (!conv) return NotMbv3(path, "missing convolution");
    if (!bn || !bn->running_mean.defined() || !bn->running_var.defined()) {
      return NotMbv3(path, "missing batch norm with running statistics");
    }
    const torch::Tensor mean = bn->running_mean.detach().to(torch::kCPU, torch::kDouble);
    const torch::Tensor var = bn->running_var.detach().to(torch::kCPU, torch::kDouble);
    const torch::Tensor gamma = bn->weight.defined()
                                    ? bn->weight.detach().to(torch::kCPU, torch::kDouble)
                                    : torch::ones_like(mean);
    const torch::Tensor beta = bn->bias.defined()
                                   ? bn->bias.detach().to(torch::kCPU, torch::kDouble)
                                   : torch::zeros_like(mean);
    const torch::Tensor scale = gamma / torch::sqrt(var + bn->options.eps());
    const torch::Tensor weight = conv->weight.detach().to(torch::kCPU, torch::kDouble);
    if (weight.dim() != 4 || weight.size(0) != scale.numel()) {
      return NotMbv3(path, "batch norm width differs from the convolution's outputs");
    }
    torch::Tensor bias = beta - mean * scale;
    if (conv->bias.defined()) bias = bias + conv->bias.detach().to(torch::kCPU, torch::kDouble) * scale;
    return ConvNode(x, *conv, weight * scale.view({-1, 1, 1, 1}), bias, path);
  }

  // `conv` as it is (SE's convolutions carry their own bias).
  absl::StatusOr<std::string> Conv(const std::string& x, const torch::nn::Conv2d& conv,
                                   const std::string& path) {
    if (!conv) return NotMbv3(path, "missing convolution");
    return ConvNode(x, *conv, conv->weight, conv->bias, path);
  }

  // x W^T + b of a Linear, into `output` ("" for "<path>.out").
  absl::StatusOr<std::string> Gemm(const std::string& x, const torch::nn::Linear& linear,
                                   const std::string& path, std::string output = "") {
    if (!linear) return NotMbv3(path, "missing linear layer");
    std::vector<std::string> inputs = {x, Initializer(path + ".weight", linear->weight)};
    if (linear->bias.defined()) inputs.push_back(Initializer(path + ".bias", linear->bias));
    return Node("Gemm", path, std::move(inputs), {OnnxAttribute::Int("transB", 1)},
                std::move(output));
  }

  // clamp(x + 3, 0, 6) / 6 as ONNX's max(0, min(1, alpha x + beta)).
  std::string HardSigmoid(const std::string& x, const std::string& path) {
    return Node("HardSigmoid", path, {x},
                {OnnxAttribute::Float("alpha", 1.0f / 6.0f), OnnxAttribute::Float("beta", 0.5f)});
  }
  // x * hard_sigmoid(x).
  std::string HardSwish(const std::string& x, const std::string& path) {
    return Mul(x, HardSigmoid(x, path + ".hsigmoid"), path);
  }
  std::string Relu(const std::string& x, const std::string& path) {
    return Node("Relu", path, {x}, {});
  }
  std::string Activate(const std::string& x, bool hswish, const std::string& path) {
    return hswish ? HardSwish(x, path + ".hswish") : Relu(x, path + ".relu");
  }
  std::string Add(const std::string& a, const std::string& b, const std::string& path) {
    return Node("Add", path, {a, b}, {});
  }
  std::string Mul(const std::string& a, const std::string& b, const std::string& path) {
    return Node("Mul", path, {a, b}, {});
  }
  std::string GlobalAveragePool(const std::string& x, const std::string& path) {
    return Node("GlobalAveragePool", path, {x}, {});
  }

  std::string Node(const std::string& op, const std::string& path,
                   std::vector<std::string> inputs, std::vector<OnnxAttribute> attributes,
                   std::string output = "") {
    if (output.empty()) output = absl::StrCat(path, ".out");
    graph_.nodes.push_back(OnnxNode{op, path, std::move(inputs), {output}, std::move(attributes)});
    return output;
  }

 private:
  absl::StatusOr<std::string> ConvNode(const std::string& x, const torch::nn::Conv2dImpl& conv,
                                       const torch::Tensor& weight, const torch::Tensor& bias,
                                       const std::string& path) {
    const auto& o = conv.options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
    if (padding == nullptr || !c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) ||
        o.transposed()) {
      return NotMbv3(path, "only explicit zero padding is exported");
    }
    std::vector<std::string> inputs = {x, Initializer(path + ".weight", weight)};
    if (bias.defined()) inputs.push_back(Initializer(path + ".bias", bias));
    return Node(
        "Conv", path, std::move(inputs),
        {OnnxAttribute::Ints("kernel_shape", {(*o.kernel_size())[0], (*o.kernel_size())[1]}),
         OnnxAttribute::Ints("strides", {(*o.stride())[0], (*o.stride())[1]}),
         OnnxAttribute::Ints("dilations", {(*o.dilation())[0], (*o.dilation())[1]}),
         OnnxAttribute::Ints("pads", {(**padding)[0], (**padding)[1], (**padding)[0], (**padding)[1]}),
         OnnxAttribute::Int("group", o.groups())});
  }

  std::string Initializer(const std::string& name, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    OnnxInitializer init{name, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), {}};
    init.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    graph_.initializers.push_back(std::move(init));
    return name;
  }

  OnnxGraph graph_;
};

// h-swish(bn(conv(x))), then x + pw_bn(pw(relu(dw_bn(dw(.))))) (mbv3::Stem).
absl::StatusOr<std::string> Stem(Mbv3GraphBuilder& b, const std::string& x, mbv3::StemImpl& stem) {
  ASSIGN_OR_RETURN(std::string y, b.ConvBn(x, stem.conv, stem.bn, "stem.conv"));
  y = b.HardSwish(y, "stem.hswish");
  ASSIGN_OR_RETURN(std::string z, b.ConvBn(y, stem.dw, stem.dw_bn, "stem.dw"));
  z = b.Relu(z, "stem.dw.relu");
  ASSIGN_OR_RETURN(z, b.ConvBn(z, stem.pw, stem.pw_bn, "stem.pw"));
  return b.Add(y, z, "stem.add");
}

// One inverted-residual block (mbv3::Block) under `path`.
absl::StatusOr<std::string> Block(Mbv3GraphBuilder& b, const std::string& x, mbv3::BlockImpl& block,
                                  const std::string& path) {
  const bool hswish = block.shape.hswish;
  std::string y = x;
  if (block.expand) {
    ASSIGN_OR_RETURN(y, b.ConvBn(y, block.expand, block.expand_bn, path + ".expand"));
    y = b.Activate(y, hswish, path + ".expand");
  }
  ASSIGN_OR_RETURN(y, b.ConvBn(y, block.dw, block.dw_bn, path + ".dw"));
  y = b.Activate(y, hswish, path + ".dw");
  if (block.se_reduce) {
    std::string s = b.GlobalAveragePool(y, path + ".se_pool");
    ASSIGN_OR_RETURN(s, b.Conv(s, block.se_reduce, path + ".se_reduce"));
    s = b.Relu(s, path + ".se_reduce.relu");
    ASSIGN_OR_RETURN(s, b.Conv(s, block.se_expand, path + ".se_expand"));
    s = b.HardSigmoid(s, path + ".se_expand.hsigmoid");
    // The [N, C, 1, 1] gate first: OpenCV 4.6 computes Mul(x, gate) wrongly
    // when the gate comes from HardSigmoid (Mul(gate, x) is right;
    // tests/spaces/mbv3/mbv3_export_test.cc catches the other order). Mul
    // commutes, so every other runtime reads the same function.
    y = b.Mul(s, y, path + ".se_mul");
  }
  ASSIGN_OR_RETURN(y, b.ConvBn(y, block.project, block.project_bn, path + ".project"));
  return block.shape.residual ? b.Add(y, x, path + ".add") : y;
}

// h-swish(bn(conv(x))) -> mean over H, W -> feature -> h-swish -> classifier.
absl::Status Head(Mbv3GraphBuilder& b, const std::string& x, mbv3::HeadImpl& head,
                  const std::string& output) {
  ASSIGN_OR_RETURN(std::string y, b.ConvBn(x, head.conv, head.bn, "head.conv"));
  y = b.HardSwish(y, "head.hswish");
  y = b.GlobalAveragePool(y, "head.pool");
  y = b.Node("Flatten", "head.flatten", {y}, {OnnxAttribute::Int("axis", 1)});
  ASSIGN_OR_RETURN(y, b.Gemm(y, head.feature, "head.feature"));
  y = b.HardSwish(y, "head.feature.hswish");
  return b.Gemm(y, head.classifier, "head.classifier", output).status();
}

absl::StatusOr<OnnxGraph> Walk(const torch::nn::Module& module, const OnnxInputShape& shape) {
  ASSIGN_OR_RETURN(Mbv3NetworkImpl * network, AsMbv3Network(module));
  const Mbv3Plan& plan = network->plan();
  if (shape.batch < 1 && shape.batch != kOnnxDynamicBatch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "onnx export: shape.batch: expected at least 1 or kOnnxDynamicBatch, got ", shape.batch));
  }
  if (shape.channels != plan.in_channels) {
    return absl::InvalidArgumentError(
        absl::StrCat("onnx export: shape.channels: the network takes ", plan.in_channels,
                     " input channels, got ", shape.channels));
  }
  if (!network->stem || !network->head || !network->head->classifier) {
    return NotMbv3("network", "missing stem or head");
  }
  Mbv3GraphBuilder b;
  OnnxGraph& g = b.graph();
  g.name = "edgenas_mbv3";
  g.input = BatchedValueInfo("input", shape.batch, {plan.in_channels, plan.resolution, plan.resolution});
  g.output = BatchedValueInfo("logits", shape.batch,
                              {network->head->classifier->options.out_features()});
  ASSIGN_OR_RETURN(std::string x, Stem(b, g.input.name, *network->stem));
  for (mbv3::Block& block : network->blocks) {
    if (!block) return NotMbv3("blocks", "empty block");
    ASSIGN_OR_RETURN(x, Block(b, x, *block,
                              absl::StrCat("s", block->shape.stage, "b", block->shape.index)));
  }
  RETURN_IF_ERROR(Head(b, x, *network->head, g.output.name));
  return std::move(g);
}

}  // namespace

absl::StatusOr<OnnxGraph> OnnxGraphFromMbv3(const torch::nn::Module& network,
                                            const OnnxInputShape& shape) {
  try {
    torch::NoGradGuard no_grad;
    return Walk(network, shape);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("onnx export: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("onnx export: ", e.what()));
  }
}

}  // namespace edgenas
