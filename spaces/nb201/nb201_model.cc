#include "spaces/nb201/nb201_model.h"

#include <array>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/nb201/nb201_blocks.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {


namespace {

using nb201::ReductionBlock;
using nb201::ReluConvBn;

constexpr int kMaxCellsPerStage = 32;
constexpr int kMaxChannels = 1024;
constexpr int kMaxInChannels = 64;
constexpr int kMaxClasses = 100000;
constexpr int kCellNodes = 4;


// One live edge of a cell: node `to` receives op(node `from`).
struct CellEdge {
  int to;
  int from;
  torch::nn::Sequential op;
};

torch::nn::Sequential MakeOp(Nb201Op op, int64_t channels) {
  torch::nn::Sequential seq;
  switch (op) {
    case Nb201Op::kSkipConnect:
      seq->push_back(torch::nn::Identity());
      break;
    case Nb201Op::kConv1x1:
      seq->push_back(ReluConvBn(channels, channels, /*kernel=*/1, /*stride=*/1));
      break;
    case Nb201Op::kConv3x3:
      seq->push_back(ReluConvBn(channels, channels, /*kernel=*/3, /*stride=*/1));
      break;
    case Nb201Op::kAvgPool3x3:
      seq->push_back(torch::nn::AvgPool2d(
          torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
      break;
    case Nb201Op::kNone:
      break;
  }
  return seq;
}

// The NB201 cell: node_j = sum over live edges (j, i) of op(node_i); a node
// without live inputs is zero (only possible for the output: dead inner
// nodes are never read).
class Nb201CellImpl : public torch::nn::Module {
 public:
  Nb201CellImpl(const Architecture& arch, int64_t channels) {
    const auto& edges = Nb201Edges();
    const std::vector<bool> live = Nb201LiveEdges(arch);
    for (int e = 0; e < kNb201NumEdges; ++e) {
      if (!live[e]) continue;
      const auto [to, from] = edges[e];
      auto op = MakeOp(static_cast<Nb201Op>(arch.genes[e]), channels);
      edges_.push_back(CellEdge{
          to, from, register_module(absl::StrCat("edge_", to, "_", from), std::move(op))});
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    std::array<torch::Tensor, kCellNodes> nodes;
    nodes[0] = x;
    // Edges come in gene order, grouped by target node in increasing order,
    // so every source is final before it is read.
    for (CellEdge& edge : edges_) {
      torch::Tensor contribution = edge.op->forward(nodes[edge.from]);
      nodes[edge.to] =
          nodes[edge.to].defined() ? nodes[edge.to] + contribution : contribution;
    }
    if (!nodes[kCellNodes - 1].defined()) return torch::zeros_like(x);
    return nodes[kCellNodes - 1];
  }

 private:
  std::vector<CellEdge> edges_;
};
TORCH_MODULE(Nb201Cell);


torch::nn::Sequential MakeBody(const Architecture& arch, const Nb201ModelOptions& options) {
  return nb201::MakeStages<torch::nn::Sequential>(
      options.channels, options.cells_per_stage,
      [&arch](int64_t width) { return Nb201Cell(arch, width); });
}

class Nb201NetworkImpl : public torch::nn::Module {
 public:
  Nb201NetworkImpl(const Architecture& arch, const Nb201ModelOptions& options)
      : stem_conv_(register_module(
            "stem_conv",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels, options.channels, 3)
                                  .padding(1)
                                  .bias(false)))),
        stem_bn_(register_module("stem_bn", torch::nn::BatchNorm2d(options.channels))),
        body_(register_module("body", MakeBody(arch, options))),
        head_bn_(register_module("head_bn", torch::nn::BatchNorm2d(options.channels * 4))),
        classifier_(register_module(
            "classifier", torch::nn::Linear(options.channels * 4, options.num_classes))) {}

  // x: [B, in_channels, H, W] -> logits [B, num_classes].
  torch::Tensor forward(torch::Tensor x) { return Head(body_->forward(stem_bn_(stem_conv_(x)))); }

  // forward(x), keeping the output of each stage.
  StageForward forward_stages(torch::Tensor x) {
    StageForward out;
    x = stem_bn_(stem_conv_(x));
    for (auto& layer : *body_) {
      if (layer.ptr()->as<nb201::ReductionBlockImpl>() != nullptr) out.stages.push_back(x);
      x = layer.forward(x);
    }
    out.stages.push_back(x);
    out.logits = Head(x);
    return out;
  }

 private:
  torch::Tensor Head(torch::Tensor x) {
    x = torch::relu(head_bn_(x));
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(/*start_dim=*/1);
    return classifier_(x);
  }

  torch::nn::Conv2d stem_conv_;
  torch::nn::BatchNorm2d stem_bn_;
  torch::nn::Sequential body_;
  torch::nn::BatchNorm2d head_bn_;
  torch::nn::Linear classifier_;
};
TORCH_MODULE(Nb201Network);

absl::Status ValidateInputs(const Architecture& arch, const Nb201ModelOptions& options) {
  if (absl::Status genes = Nb201CheckGenes(arch); !genes.ok()) return genes;
  auto check_range = [](const char* field, int value, int lo, int hi) -> absl::Status {
    if (value < lo || value > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", value, " not in [", lo, ", ", hi, "]"));
    }
    return absl::OkStatus();
  };
  absl::Status status =
      check_range("space.cells_per_stage", options.cells_per_stage, 1, kMaxCellsPerStage);
  if (status.ok()) status = check_range("space.channels", options.channels, 1, kMaxChannels);
  if (status.ok()) {
    status = check_range("model.in_channels", options.in_channels, 1, kMaxInChannels);
  }
  if (status.ok()) {
    status = check_range("model.num_classes", options.num_classes, 1, kMaxClasses);
  }
  return status;
}

}  // namespace

absl::StatusOr<StageForward> ForwardStages(torch::nn::AnyModule& model, const torch::Tensor& x) {
  auto* network = model.ptr() ? model.ptr()->as<Nb201NetworkImpl>() : nullptr;
  if (network == nullptr) {
    return absl::InvalidArgumentError("model: stage features need a network from BuildNb201Network");
  }
  return network->forward_stages(x);
}

absl::StatusOr<Nb201ModelOptions> Nb201Options(const SpaceConfig& space, const InputShape& input) {
  Nb201ModelOptions options;
  ASSIGN_OR_RETURN(options.cells_per_stage, SpaceIntOption(space, "cells_per_stage"));
  ASSIGN_OR_RETURN(options.channels, SpaceIntOption(space, "channels"));
  options.in_channels = input.channels;
  options.num_classes = input.classes;
  return options;
}

absl::StatusOr<torch::nn::AnyModule> BuildNb201Network(const Architecture& arch,
                                                       const Nb201ModelOptions& options) {
  if (absl::Status status = ValidateInputs(arch, options); !status.ok()) return status;
  try {
    return torch::nn::AnyModule(Nb201Network(arch, options));
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("building nb201 network: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building nb201 network: ", e.what()));
  }
}

}  // namespace edgenas
