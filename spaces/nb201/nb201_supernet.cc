#include "spaces/nb201/nb201_supernet.h"

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "spaces/nb201/nb201_blocks.h"
#include "spaces/nb201/nb201_model.h"
#include "spaces/nb201/nb201_space.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

using nb201::ReductionBlock;
using nb201::ReductionBlockImpl;
using nb201::ReluConvBn;

constexpr int kCellNodes = 4;
constexpr const char* kConv1x1Name = "nor_conv_1x1";
constexpr const char* kConv3x3Name = "nor_conv_3x3";



std::string EdgeName(int e) {
  const auto [to, from] = Nb201Edges()[e];
  return absl::StrCat("edge_", to, "_", from);
}

// One cell edge with both parametric candidates; skip, pool and none are
// weightless and computed inline.
class SupernetEdgeImpl : public torch::nn::Module {
 public:
  explicit SupernetEdgeImpl(int64_t channels)
      : conv_1x1_(register_module(kConv1x1Name, ReluConvBn(channels, channels, 1, 1))),
        conv_3x3_(register_module(kConv3x3Name, ReluConvBn(channels, channels, 3, 1))) {}

  torch::Tensor forward(const torch::Tensor& x, Nb201Op op) {
    switch (op) {
      case Nb201Op::kSkipConnect:
        return x;
      case Nb201Op::kConv1x1:
        return conv_1x1_(x);
      case Nb201Op::kConv3x3:
        return conv_3x3_(x);
      case Nb201Op::kAvgPool3x3:
        return torch::avg_pool2d(x, /*kernel_size=*/{3, 3}, /*stride=*/{1, 1},
                                 /*padding=*/{1, 1}, /*ceil_mode=*/false,
                                 /*count_include_pad=*/false);
      case Nb201Op::kNone:
        break;
    }
    TORCH_CHECK(false, "supernet edge: no output for op ", static_cast<int>(op));
    return torch::Tensor();
  }

 private:
  ReluConvBn conv_1x1_;
  ReluConvBn conv_3x3_;
};
TORCH_MODULE(SupernetEdge);

class SupernetCellImpl : public torch::nn::Module {
 public:
  explicit SupernetCellImpl(int64_t channels) {
    for (int e = 0; e < kNb201NumEdges; ++e) {
      edges_[e] = register_module(EdgeName(e), SupernetEdge(channels));
    }
  }

  // Same summation order as Nb201Cell, so results match bit for bit.
  torch::Tensor forward(const torch::Tensor& x, const Architecture& arch,
                        const std::vector<bool>& live) {
    const auto& edges = Nb201Edges();
    std::array<torch::Tensor, kCellNodes> nodes;
    nodes[0] = x;
    for (int e = 0; e < kNb201NumEdges; ++e) {
      if (!live[e]) continue;
      const auto [to, from] = edges[e];
      torch::Tensor contribution =
          edges_[e]->forward(nodes[from], static_cast<Nb201Op>(arch.genes[e]));
      nodes[to] = nodes[to].defined() ? nodes[to] + contribution : contribution;
    }
    if (!nodes[kCellNodes - 1].defined()) return torch::zeros_like(x);
    return nodes[kCellNodes - 1];
  }

 private:
  std::array<SupernetEdge, kNb201NumEdges> edges_{nullptr, nullptr, nullptr,
                                                   nullptr, nullptr, nullptr};
};
TORCH_MODULE(SupernetCell);


torch::nn::ModuleList MakeBody(const Nb201ModelOptions& options) {
  return nb201::MakeStages<torch::nn::ModuleList>(
      options.channels, options.cells_per_stage,
      [](int64_t width) { return SupernetCell(width); });
}

// The same bounds BuildNb201Network enforces, with the same field names.
absl::Status ValidateOptions(const Nb201ModelOptions& options) {
  auto check_range = [](const char* field, int value, int lo, int hi) -> absl::Status {
    if (value < lo || value > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", value, " not in [", lo, ", ", hi, "]"));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(check_range("space.cells_per_stage", options.cells_per_stage, 1, 32));
  RETURN_IF_ERROR(check_range("space.channels", options.channels, 1, 1024));
  RETURN_IF_ERROR(check_range("model.in_channels", options.in_channels, 1, 64));
  return check_range("model.num_classes", options.num_classes, 1, 100000);
}

// Maps a standalone network's tensor name to the supernet's: the single op
// `body.<i>.edge_<to>_<from>.0.<rest>` becomes `...edge_<to>_<from>.<op>.<rest>`.
absl::StatusOr<std::string> SupernetName(const std::string& name, const Architecture& arch) {
  std::vector<std::string> parts = absl::StrSplit(name, '.');
  if (parts.size() < 4 || parts[0] != "body" || parts[2].rfind("edge_", 0) != 0) return name;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (parts[2] != EdgeName(e)) continue;
    const auto op = static_cast<Nb201Op>(arch.genes[e]);
    if (parts[3] != "0" || (op != Nb201Op::kConv1x1 && op != Nb201Op::kConv3x3)) break;
    parts[3] = op == Nb201Op::kConv1x1 ? kConv1x1Name : kConv3x3Name;
    return absl::StrJoin(parts, ".");
  }
  return absl::InternalError(
      absl::StrCat("subnet tensor ", name, ": no matching supernet edge op"));
}

// Copies every tensor of `dst` (named by the standalone network) from `src`.
absl::Status CopyTensors(const torch::OrderedDict<std::string, torch::Tensor>& src,
                         torch::OrderedDict<std::string, torch::Tensor> dst,
                         const Architecture& arch, const char* kind) {
  for (auto& item : dst) {
    ASSIGN_OR_RETURN(const std::string source_name, SupernetName(item.key(), arch));
    const torch::Tensor* source = src.find(source_name);
    if (source == nullptr) {
      return absl::InternalError(absl::StrCat("subnet ", kind, " ", item.key(),
                                              ": supernet has no ", source_name));
    }
    if (!source->defined() || !item.value().defined()) {
      if (source->defined() != item.value().defined()) {
        return absl::InternalError(
            absl::StrCat("subnet ", kind, " ", item.key(), ": defined in only one network"));
      }
      continue;
    }
    if (source->sizes() != item.value().sizes()) {
      return absl::InternalError(absl::StrCat(
          "subnet ", kind, " ", item.key(), ": shape [", absl::StrJoin(item.value().sizes(), ","),
          "] but supernet ", source_name, " is [", absl::StrJoin(source->sizes(), ","), "]"));
    }
    item.value().copy_(*source);
  }
  return absl::OkStatus();
}

}  // namespace

Nb201SupernetImpl::Nb201SupernetImpl(const Nb201ModelOptions& options)
    : options_(options),
      stem_conv_(register_module(
          "stem_conv",
          torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels, options.channels, 3)
                                .padding(1)
                                .bias(false)))),
      stem_bn_(register_module("stem_bn", torch::nn::BatchNorm2d(options.channels))),
      body_(register_module("body", MakeBody(options))),
      head_bn_(register_module("head_bn", torch::nn::BatchNorm2d(options.channels * 4))),
      classifier_(register_module(
          "classifier", torch::nn::Linear(options.channels * 4, options.num_classes))) {}

torch::Tensor Nb201SupernetImpl::forward(torch::Tensor x, const Architecture& arch) {
  TORCH_CHECK(arch.genes.size() == static_cast<size_t>(kNb201NumEdges), "supernet: nb201 needs ",
              kNb201NumEdges, " genes, got ", arch.genes.size());
  for (int e = 0; e < kNb201NumEdges; ++e) {
    TORCH_CHECK(arch.genes[e] >= 0 && arch.genes[e] < kNb201NumOps, "supernet: arch.genes[", e,
                "] = ", arch.genes[e], " not in [0, ", kNb201NumOps, ")");
  }
  const std::vector<bool> live = Nb201LiveEdges(arch);
  x = stem_bn_(stem_conv_(x));
  for (const std::shared_ptr<torch::nn::Module>& block : *body_) {
    if (auto* cell = block->as<SupernetCellImpl>()) {
      x = cell->forward(x, arch, live);
    } else {
      x = block->as<ReductionBlockImpl>()->forward(x);
    }
  }
  x = torch::relu(head_bn_(x));
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(/*start_dim=*/1);
  return classifier_(x);
}

absl::StatusOr<Nb201Supernet> CreateNb201Supernet(const Nb201ModelOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  try {
    return Nb201Supernet(options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("building nb201 supernet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building nb201 supernet: ", e.what()));
  }
}

absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(Nb201SupernetImpl& supernet,
                                                   const Architecture& arch) {
  ASSIGN_OR_RETURN(torch::nn::AnyModule subnet, BuildNb201Network(arch, supernet.options()));
  try {
    std::shared_ptr<torch::nn::Module> module = subnet.ptr();
    const std::vector<torch::Tensor> params = supernet.parameters();
    if (!params.empty()) module->to(params.front().device());
    torch::NoGradGuard no_grad;
    RETURN_IF_ERROR(CopyTensors(supernet.named_parameters(), module->named_parameters(), arch,
                                "parameter"));
    RETURN_IF_ERROR(
        CopyTensors(supernet.named_buffers(), module->named_buffers(), arch, "buffer"));
    module->train(supernet.is_training());
    return subnet;
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("extracting subnet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("extracting subnet: ", e.what()));
  }
}

}  // namespace edgenas
