// Elastic depthwise kernels of the mbv3 supernet, as in Once-for-All: a
// block holds one depthwise kernel at the space's largest side; a smaller
// side k is the centre k x k of the next larger side's kernel passed through
// a learned (k*k) x (k*k) transform of that block, chained down from the
// largest (7 -> centre 5x5 -> transform -> 5x5 -> centre 3x3 -> transform
// -> 3x3). The transforms start as identities, so a fresh supernet's small
// kernels are plain centre crops.
#ifndef EDGENAS_SPACES_MBV3_MBV3_ELASTIC_KERNEL_H_
#define EDGENAS_SPACES_MBV3_MBV3_ELASTIC_KERNEL_H_

#include <string>
#include <vector>

#include <torch/torch.h>

namespace edgenas {
namespace mbv3 {

// The transforms of every block: parameter "<block>_k<side>" ([side^2,
// side^2]) per block name and per kernel side of `kernels` but the largest.
class KernelTransformsImpl : public torch::nn::Module {
 public:
  // `kernels`: the space's kernel sides, sorted ascending and odd; `blocks`:
  // names without '.' (e.g. "s0b1").
  KernelTransformsImpl(const std::vector<std::string>& blocks, std::vector<int> kernels);

  // The depthwise kernel of side `kernel` for block `block` from `weight`
  // ([C, 1, K, K], K the largest side of the space): `weight` itself for K,
  // else the chained centre crops and transforms. Differentiable in `weight`
  // and the transforms. Throws c10::Error for an unknown block or side.
  torch::Tensor Kernel(const std::string& block, const torch::Tensor& weight, int kernel) const;

  // The transform of `block` for side `kernel` (not the largest).
  torch::Tensor Transform(const std::string& block, int kernel) const;

  const std::vector<int>& kernels() const { return kernels_; }

 private:
  std::vector<int> kernels_;
};
TORCH_MODULE(KernelTransforms);

}  // namespace mbv3
}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_ELASTIC_KERNEL_H_
