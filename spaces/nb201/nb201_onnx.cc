#include "spaces/nb201/nb201_onnx.h"

#include <array>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spaces/nb201/nb201_blocks.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

using ModulePtr = std::shared_ptr<torch::nn::Module>;
constexpr int kCellNodes = 4;  // NB201: input node 0, inner nodes 1 and 2, output node 3

absl::Status NotNb201(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("onnx export: ", path, ": ", why, " (not an NB201 network from BuildNb201Network)"));
}

// Builds the graph node by node; every method returns the name of the value
// it produced.
class GraphBuilder {
 public:
  OnnxGraph& graph() { return graph_; }

  absl::StatusOr<std::string> Conv(const std::string& x, const torch::nn::Module& module,
                                   const std::string& path) {
    const auto* conv = module.as<torch::nn::Conv2dImpl>();
    if (conv == nullptr) return NotNb201(path, "expected Conv2d");
    const auto& o = conv->options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
    if (padding == nullptr || !c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) ||
        o.transposed()) {
      return NotNb201(path, "only explicit zero padding is exported");
    }
    std::vector<std::string> inputs = {x, Initializer(path + ".weight", conv->weight)};
    if (conv->bias.defined()) inputs.push_back(Initializer(path + ".bias", conv->bias));
    return Node("Conv", path, std::move(inputs),
                {OnnxAttribute::Ints("kernel_shape", {(*o.kernel_size())[0], (*o.kernel_size())[1]}),
                 OnnxAttribute::Ints("strides", {(*o.stride())[0], (*o.stride())[1]}),
                 OnnxAttribute::Ints("dilations", {(*o.dilation())[0], (*o.dilation())[1]}),
                 OnnxAttribute::Ints("pads", {(**padding)[0], (**padding)[1], (**padding)[0],
                                              (**padding)[1]}),
                 OnnxAttribute::Int("group", o.groups())});
  }

  // Inference batch norm: (x - running_mean) / sqrt(running_var + eps) * w + b.
  absl::StatusOr<std::string> BatchNorm(const std::string& x, const torch::nn::Module& module,
                                        const std::string& path) {
    const auto* bn = module.as<torch::nn::BatchNorm2dImpl>();
    if (bn == nullptr) return NotNb201(path, "expected BatchNorm2d");
    if (!bn->running_mean.defined() || !bn->running_var.defined()) {
      return NotNb201(path, "batch norm without running statistics has no inference form");
    }
    const int64_t c = bn->running_mean.numel();
    const torch::Tensor scale = bn->weight.defined() ? bn->weight : torch::ones({c});
    const torch::Tensor shift = bn->bias.defined() ? bn->bias : torch::zeros({c});
    return Node("BatchNormalization", path,
                {x, Initializer(path + ".weight", scale), Initializer(path + ".bias", shift),
                 Initializer(path + ".running_mean", bn->running_mean),
                 Initializer(path + ".running_var", bn->running_var)},
                {OnnxAttribute::Float("epsilon", static_cast<float>(bn->options.eps()))});
  }

  std::string Relu(const std::string& x, const std::string& path) {
    return Node("Relu", path, {x}, {});
  }

  absl::StatusOr<std::string> AvgPool(const std::string& x, const torch::nn::Module& module,
                                      const std::string& path) {
    const auto* pool = module.as<torch::nn::AvgPool2dImpl>();
    if (pool == nullptr) return NotNb201(path, "expected AvgPool2d");
    const auto& o = pool->options;
    if (o.divisor_override().has_value()) return NotNb201(path, "divisor_override is not exported");
    return Node("AveragePool", path, {x},
                {OnnxAttribute::Ints("kernel_shape", {(*o.kernel_size())[0], (*o.kernel_size())[1]}),
                 OnnxAttribute::Ints("strides", {(*o.stride())[0], (*o.stride())[1]}),
                 OnnxAttribute::Ints("pads", {(*o.padding())[0], (*o.padding())[1],
                                              (*o.padding())[0], (*o.padding())[1]}),
                 OnnxAttribute::Int("count_include_pad", o.count_include_pad() ? 1 : 0),
                 OnnxAttribute::Int("ceil_mode", o.ceil_mode() ? 1 : 0)});
  }

  // ReLU -> conv -> batch norm (nb201::ReluConvBn).
  absl::StatusOr<std::string> ReluConvBn(const std::string& x, const torch::nn::Module& module,
                                         const std::string& path) {
    if (module.as<nb201::ReluConvBnImpl>() == nullptr) return NotNb201(path, "expected ReluConvBn");
    ASSIGN_OR_RETURN(const ModulePtr conv, Child(module, path, "conv"));
    ASSIGN_OR_RETURN(const ModulePtr bn, Child(module, path, "bn"));
    ASSIGN_OR_RETURN(std::string y, Conv(Relu(x, path + ".relu"), *conv, path + ".conv"));
    return BatchNorm(y, *bn, path + ".bn");
  }

  std::string Add(const std::string& a, const std::string& b, const std::string& path) {
    return Node("Add", path, {a, b}, {});
  }

  // x * 0: the value of a cell whose output node has no live input (as
  // torch::zeros_like(x); a finite x gives exact zeros).
  std::string Zeros(const std::string& x, const std::string& path) {
    if (zero_.empty()) {
      zero_ = "zero";
      graph_.initializers.push_back(OnnxInitializer{zero_, {}, {0.0f}});
    }
    return Node("Mul", path, {x, zero_}, {});
  }

  std::string Node(const std::string& op, const std::string& path,
                   std::vector<std::string> inputs, std::vector<OnnxAttribute> attributes,
                   std::string output = "") {
    if (output.empty()) output = absl::StrCat(path, ".out");
    graph_.nodes.push_back(
        OnnxNode{op, path, std::move(inputs), {output}, std::move(attributes)});
    return output;
  }

  std::string Initializer(const std::string& name, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    OnnxInitializer init{name, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), {}};
    init.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    graph_.initializers.push_back(std::move(init));
    return name;
  }

  static absl::StatusOr<ModulePtr> Child(const torch::nn::Module& module, const std::string& path,
                                         const std::string& name) {
    const auto children = module.named_children();
    const ModulePtr* child = children.find(name);
    if (child == nullptr) return NotNb201(path, absl::StrCat("no submodule \"", name, "\""));
    return *child;
  }

 private:
  OnnxGraph graph_;
  std::string zero_;
};

// NB201 reduction block: conv_b(conv_a(x)) + shortcut_conv(avg_pool(x)).
absl::StatusOr<std::string> Reduction(GraphBuilder& b, const std::string& x,
                                      const torch::nn::Module& block, const std::string& path) {
  ASSIGN_OR_RETURN(const ModulePtr conv_a, b.Child(block, path, "conv_a"));
  ASSIGN_OR_RETURN(const ModulePtr conv_b, b.Child(block, path, "conv_b"));
  ASSIGN_OR_RETURN(const ModulePtr pool, b.Child(block, path, "shortcut_pool"));
  ASSIGN_OR_RETURN(const ModulePtr shortcut, b.Child(block, path, "shortcut_conv"));
  ASSIGN_OR_RETURN(std::string a, b.ReluConvBn(x, *conv_a, path + ".conv_a"));
  ASSIGN_OR_RETURN(a, b.ReluConvBn(a, *conv_b, path + ".conv_b"));
  ASSIGN_OR_RETURN(std::string s, b.AvgPool(x, *pool, path + ".shortcut_pool"));
  ASSIGN_OR_RETURN(s, b.Conv(s, *shortcut, path + ".shortcut_conv"));
  return b.Add(a, s, path + ".add");
}

struct BuiltEdge {
  int to = 0;
  int from = 0;
  std::string name;
  ModulePtr op;  // the edge's Sequential's only element
};

// An NB201 cell as built by nb201_model.cc: one submodule "edge_<to>_<from>"
// (a Sequential of one op) per live edge; node j = sum of its edges' outputs.
absl::StatusOr<std::string> Cell(GraphBuilder& b, const std::string& x,
                                 const torch::nn::Module& cell, const std::string& path) {
  std::vector<BuiltEdge> edges;
  for (const auto& item : cell.named_children()) {
    BuiltEdge edge;
    edge.name = item.key();
    const std::vector<std::string> parts = absl::StrSplit(item.key(), '_');
    if (parts.size() != 3 || parts[0] != "edge" || !absl::SimpleAtoi(parts[1], &edge.to) ||
        !absl::SimpleAtoi(parts[2], &edge.from) || edge.from < 0 || edge.to <= edge.from ||
        edge.to >= kCellNodes) {
      return NotNb201(absl::StrCat(path, ".", item.key()), "unexpected cell submodule");
    }
    const auto ops = item.value()->children();
    if (ops.size() != 1) return NotNb201(absl::StrCat(path, ".", item.key()), "expected one op");
    edge.op = ops[0];
    edges.push_back(std::move(edge));
  }
  // Only edges on a path to the output change the result: keep those (the
  // builder builds no others, but nothing here relies on it).
  std::array<bool, kCellNodes> useful{};
  useful[kCellNodes - 1] = true;
  for (int to = kCellNodes - 1; to > 0; --to) {
    for (const BuiltEdge& e : edges) {
      if (e.to == to && useful[to]) useful[e.from] = true;
    }
  }
  std::array<std::string, kCellNodes> nodes;
  nodes[0] = x;
  for (int to = 1; to < kCellNodes; ++to) {
    if (!useful[to]) continue;
    for (int from = 0; from < to; ++from) {
      for (const BuiltEdge& e : edges) {
        if (e.to != to || e.from != from) continue;
        const std::string edge_path = absl::StrCat(path, ".", e.name, ".0");
        if (nodes[from].empty()) {
          return NotNb201(edge_path, absl::StrCat("reads node ", from, ", which has no input"));
        }
        std::string value;
        if (e.op->as<torch::nn::IdentityImpl>() != nullptr) {
          value = nodes[from];  // skip_connect
        } else if (e.op->as<nb201::ReluConvBnImpl>() != nullptr) {
          ASSIGN_OR_RETURN(value, b.ReluConvBn(nodes[from], *e.op, edge_path));
        } else if (e.op->as<torch::nn::AvgPool2dImpl>() != nullptr) {
          ASSIGN_OR_RETURN(value, b.AvgPool(nodes[from], *e.op, edge_path));
        } else {
          return NotNb201(edge_path, "unknown op (expected Identity, ReluConvBn or AvgPool2d)");
        }
        nodes[to] = nodes[to].empty()
                        ? value
                        : b.Add(nodes[to], value, absl::StrCat(path, ".node", to, ".add", from));
      }
    }
  }
  if (nodes[kCellNodes - 1].empty()) return b.Zeros(x, path + ".zeros");
  return nodes[kCellNodes - 1];
}

absl::StatusOr<OnnxGraph> Walk(const torch::nn::Module& network, const OnnxInputShape& shape) {
  GraphBuilder b;
  ASSIGN_OR_RETURN(const ModulePtr stem_conv, b.Child(network, "network", "stem_conv"));
  ASSIGN_OR_RETURN(const ModulePtr stem_bn, b.Child(network, "network", "stem_bn"));
  ASSIGN_OR_RETURN(const ModulePtr body, b.Child(network, "network", "body"));
  ASSIGN_OR_RETURN(const ModulePtr head_bn, b.Child(network, "network", "head_bn"));
  ASSIGN_OR_RETURN(const ModulePtr classifier_module, b.Child(network, "network", "classifier"));
  const auto* classifier = classifier_module->as<torch::nn::LinearImpl>();
  if (classifier == nullptr) return NotNb201("classifier", "expected Linear");
  const auto* stem = stem_conv->as<torch::nn::Conv2dImpl>();
  if (stem == nullptr) return NotNb201("stem_conv", "expected Conv2d");
  if (body->as<torch::nn::SequentialImpl>() == nullptr) return NotNb201("body", "expected Sequential");
  if ((shape.batch < 1 && shape.batch != kOnnxDynamicBatch) || shape.height < 1 || shape.width < 1 ||
      shape.channels != stem->options.in_channels()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "onnx export: input shape [", shape.batch, ", ", shape.channels, ", ", shape.height, ", ",
        shape.width, "] does not fit the network (", stem->options.in_channels(),
        " input channels)"));
  }

  OnnxGraph& g = b.graph();
  g.name = "edgenas_nb201";
  g.input = BatchedValueInfo("input", shape.batch, {shape.channels, shape.height, shape.width});
  g.output = BatchedValueInfo("logits", shape.batch, {classifier->options.out_features()});

  ASSIGN_OR_RETURN(std::string x, b.Conv(g.input.name, *stem_conv, "stem_conv"));
  ASSIGN_OR_RETURN(x, b.BatchNorm(x, *stem_bn, "stem_bn"));
  for (const auto& layer : body->named_children()) {
    const std::string path = absl::StrCat("body.", layer.key());
    if (layer.value()->as<nb201::ReductionBlockImpl>() != nullptr) {
      ASSIGN_OR_RETURN(x, Reduction(b, x, *layer.value(), path));
    } else {
      ASSIGN_OR_RETURN(x, Cell(b, x, *layer.value(), path));
    }
  }
  // Head: relu(bn(x)) -> mean over H, W -> [B, C] -> x W^T + b.
  ASSIGN_OR_RETURN(x, b.BatchNorm(x, *head_bn, "head_bn"));
  x = b.Relu(x, "head_relu");
  x = b.Node("GlobalAveragePool", "head_pool", {x}, {});
  x = b.Node("Flatten", "head_flatten", {x}, {OnnxAttribute::Int("axis", 1)});
  std::vector<std::string> gemm_inputs = {x, b.Initializer("classifier.weight", classifier->weight)};
  if (classifier->bias.defined()) {
    gemm_inputs.push_back(b.Initializer("classifier.bias", classifier->bias));
  }
  b.Node("Gemm", "classifier", std::move(gemm_inputs), {OnnxAttribute::Int("transB", 1)},
         g.output.name);
  return std::move(g);
}

}  // namespace

absl::StatusOr<OnnxGraph> OnnxGraphFromNb201(const torch::nn::Module& network,
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
