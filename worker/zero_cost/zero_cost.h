// Zero-cost proxies: scores of an untrained network, computed at
// initialisation in one forward/backward pass, that rank architectures
// without training (Abdelfattah et al., "Zero-Cost Proxies for Lightweight
// NAS", ICLR 2021; Mellor et al., "Neural Architecture Search without
// Training", 2020/2021). Any network a space builds through the space seam
// (common/model/model_registry.h) can be scored. LibTorch only: no protobuf
// header may be included next to this one.
//
// Conventions shared by the gradient proxies (as in the reference code of
// Abdelfattah et al.): the sums run over the weights of convolutions and
// linear layers, taken as every parameter with two or more dimensions
// (biases and batch-norm affine parameters are left out).
#ifndef EDGENAS_WORKER_ZERO_COST_ZERO_COST_H_
#define EDGENAS_WORKER_ZERO_COST_ZERO_COST_H_

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"
#include "common/space_registry.h"

namespace edgenas {

// The proxy names ZeroCostScore knows, in a fixed order:
// synflow, jacob_cov, snip, grad_norm, params, flops.
const std::vector<std::string>& ZeroCostProxyNames();

// OK when `proxy` is one of ZeroCostProxyNames(); INVALID_ARGUMENT naming
// the field `proxy` and listing the known names otherwise.
absl::Status CheckZeroCostProxy(absl::string_view proxy);

// What to score: an architecture of a space, built for `input`.
struct ZeroCostRequest {
  SpaceConfig space;
  std::string arch;  // text form, parsed in `space`
  InputShape input;
  // Seeds torch before the network is built and the batch drawn, so one
  // request always gives one score.
  uint64_t seed = 0;
  // Batch of the data proxies (jacob_cov, snip, grad_norm): seeded standard
  // normal images with uniform labels (no dataset is read).
  int batch = 64;
};

// The score of proxy `proxy` for `request`, higher meaning "predicted more
// accurate". Builds a fresh network per call (the proxies change it).
// INVALID_ARGUMENT naming `proxy` for an unknown proxy, `batch` for a batch
// below 2, or the space's own fields (task.space, task.arch,
// space.options.<key>) from BuildModel; INTERNAL when LibTorch fails.
// params and flops are the analytic counts of common/network_cost.h.
absl::StatusOr<double> ZeroCostScore(absl::string_view proxy, const ZeroCostRequest& request);

// synflow (Tanaka et al. 2020, as a proxy by Abdelfattah et al. 2021).
// Converts `model` in place to double precision, replaces every parameter
// by its absolute value and puts it in eval mode; then R = sum of the
// outputs for one all-ones input of `input`'s image shape, and the score is
// sum over conv/linear weights of |theta * dR/dtheta|. Batch norm: the
// reference builds its synflow copy without BN; here BN runs in eval mode
// on its initial running statistics (mean 0, variance 1), so it is the
// identity up to 1/sqrt(1 + eps) — callers pass a freshly built network.
// A network whose output does not depend on its weights (e.g. an NB201
// cell of only "none" edges) scores 0. INTERNAL when LibTorch fails.
absl::StatusOr<double> SynflowScore(torch::nn::AnyModule& model, const InputShape& input);

// jacob_cov (Mellor et al. 2020 v1, named so by Abdelfattah et al. 2021):
// J = d(sum of logits)/dx per image of `x` in train mode, C = the
// correlation matrix of the rows of J, and the score is
// -sum_i (log(v_i + k) + 1 / (v_i + k)) over C's eigenvalues v, k = 1e-5.
// When some image's Jacobian is constant (the network ignores its input),
// C is undefined and the score is the lowest finite double. INVALID_ARGUMENT
// naming `batch` when x has fewer than 2 images; INTERNAL when LibTorch fails.
absl::StatusOr<double> JacobCovScore(torch::nn::AnyModule& model, const torch::Tensor& x);

// snip (Lee et al. 2019): sum over conv/linear weights of |theta * dL/dtheta|
// with L the cross-entropy of the batch (x, labels y) in train mode.
absl::StatusOr<double> SnipScore(torch::nn::AnyModule& model, const torch::Tensor& x,
                                 const torch::Tensor& y);

// grad_norm: sum over conv/linear weights of the L2 norm of dL/dtheta, L as
// for snip.
absl::StatusOr<double> GradNormScore(torch::nn::AnyModule& model, const torch::Tensor& x,
                                     const torch::Tensor& y);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_ZERO_COST_ZERO_COST_H_
