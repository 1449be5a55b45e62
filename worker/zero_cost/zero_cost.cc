#include "worker/zero_cost/zero_cost.h"

#include <cmath>
#include <exception>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/field_error.h"
#include "common/model/model_registry.h"
#include "common/network_cost.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Conv and linear weights: parameters with two or more dimensions.
std::vector<torch::Tensor> LayerWeights(torch::nn::Module& module) {
  std::vector<torch::Tensor> weights;
  for (const torch::Tensor& p : module.parameters()) {
    if (p.dim() >= 2) weights.push_back(p);
  }
  return weights;
}

void ZeroGrads(torch::nn::Module& module) {
  for (torch::Tensor& p : module.parameters()) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

// Backpropagates the batch's cross-entropy through `model` in train mode.
void BackwardLoss(torch::nn::AnyModule& model, const torch::Tensor& x, const torch::Tensor& y) {
  torch::nn::Module& module = *model.ptr();
  module.train();
  ZeroGrads(module);
  torch::Tensor logits = model.forward(x);
  torch::nn::functional::cross_entropy(logits, y).backward();
}

absl::Status LibTorchError(absl::string_view proxy, const std::exception& e) {
  return absl::InternalError(absl::StrCat(proxy, ": LibTorch failed: ", e.what()));
}

}  // namespace

const std::vector<std::string>& ZeroCostProxyNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "synflow", "jacob_cov", "snip", "grad_norm", "params", "flops"};
  return *kNames;
}

absl::Status CheckZeroCostProxy(absl::string_view proxy) {
  for (const std::string& name : ZeroCostProxyNames()) {
    if (name == proxy) return absl::OkStatus();
  }
  return FieldError("proxy", absl::StrCat("unknown zero-cost proxy \"", proxy, "\"; known: ",
                                          absl::StrJoin(ZeroCostProxyNames(), ", ")));
}

absl::StatusOr<double> SynflowScore(torch::nn::AnyModule& model, const InputShape& input) {
  try {
    torch::nn::Module& module = *model.ptr();
    module.to(torch::kDouble);
    module.eval();
    {
      torch::NoGradGuard no_grad;
      for (torch::Tensor& p : module.parameters()) p.abs_();
    }
    ZeroGrads(module);
    const torch::Tensor ones =
        torch::ones({1, input.channels, input.height, input.width}, torch::kDouble);
    torch::Tensor out = model.forward(ones);
    torch::Tensor r = out.sum();
    if (!r.requires_grad()) return 0.0;  // the output ignores every weight
    r.backward();
    double score = 0.0;
    for (const torch::Tensor& w : LayerWeights(module)) {
      if (!w.grad().defined()) continue;
      score += (w * w.grad()).abs().sum().item<double>();
    }
    return score;
  } catch (const std::exception& e) {
    return LibTorchError("synflow", e);
  }
}

absl::StatusOr<double> JacobCovScore(torch::nn::AnyModule& model, const torch::Tensor& x) {
  if (x.dim() < 1 || x.size(0) < 2) {
    return FieldError("batch", "jacob_cov needs at least 2 images");
  }
  try {
    torch::nn::Module& module = *model.ptr();
    module.train();
    ZeroGrads(module);
    torch::Tensor input = x.detach().clone().set_requires_grad(true);
    torch::Tensor out = model.forward(input);
    torch::Tensor s = out.sum();
    if (!s.requires_grad()) return std::numeric_limits<double>::lowest();
    s.backward();
    torch::Tensor grad = input.grad();
    if (!grad.defined()) return std::numeric_limits<double>::lowest();
    torch::Tensor j = grad.reshape({x.size(0), -1}).to(torch::kDouble);
    torch::Tensor centred = j - j.mean(1, /*keepdim=*/true);
    torch::Tensor norms = centred.norm(2, 1, /*keepdim=*/true);
    if (norms.min().item<double>() == 0.0) return std::numeric_limits<double>::lowest();
    torch::Tensor unit = centred / norms;
    torch::Tensor corr = unit.matmul(unit.t());
    torch::Tensor v = torch::linalg::eigvalsh(corr, "L");
    const double k = 1e-5;
    const double score = -(torch::log(v + k) + 1.0 / (v + k)).sum().item<double>();
    if (!std::isfinite(score)) return std::numeric_limits<double>::lowest();
    return score;
  } catch (const std::exception& e) {
    return LibTorchError("jacob_cov", e);
  }
}

absl::StatusOr<double> SnipScore(torch::nn::AnyModule& model, const torch::Tensor& x,
                                 const torch::Tensor& y) {
  try {
    BackwardLoss(model, x, y);
    double score = 0.0;
    for (const torch::Tensor& w : LayerWeights(*model.ptr())) {
      if (!w.grad().defined()) continue;
      score += (w * w.grad()).abs().sum().item<double>();
    }
    return score;
  } catch (const std::exception& e) {
    return LibTorchError("snip", e);
  }
}

absl::StatusOr<double> GradNormScore(torch::nn::AnyModule& model, const torch::Tensor& x,
                                     const torch::Tensor& y) {
  try {
    BackwardLoss(model, x, y);
    double score = 0.0;
    for (const torch::Tensor& w : LayerWeights(*model.ptr())) {
      if (!w.grad().defined()) continue;
      score += w.grad().norm().item<double>();
    }
    return score;
  } catch (const std::exception& e) {
    return LibTorchError("grad_norm", e);
  }
}

absl::StatusOr<double> ZeroCostScore(absl::string_view proxy, const ZeroCostRequest& request) {
  RETURN_IF_ERROR(CheckZeroCostProxy(proxy));
  if (proxy == "params" || proxy == "flops") {
    ASSIGN_OR_RETURN(const NetworkCost cost,
                     NetworkCostOf(request.space, absl::string_view(request.arch), request.input));
    return static_cast<double>(proxy == "params" ? cost.params : cost.macs);
  }
  const bool data = proxy != "synflow";
  if (data && request.batch < 2) {
    return FieldError("batch", absl::StrCat("must be at least 2, got ", request.batch));
  }
  torch::manual_seed(request.seed);
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(request.space, request.arch, request.input));
  if (proxy == "synflow") return SynflowScore(model, request.input);
  torch::Tensor x;
  torch::Tensor y;
  try {
    const InputShape& in = request.input;
    x = torch::randn({request.batch, in.channels, in.height, in.width});
    y = torch::randint(in.classes, {request.batch}, torch::kLong);
  } catch (const std::exception& e) {
    return LibTorchError(proxy, e);
  }
  if (proxy == "jacob_cov") return JacobCovScore(model, x);
  if (proxy == "snip") return SnipScore(model, x, y);
  return GradNormScore(model, x, y);
}

}  // namespace edgenas
