#include "spaces/mbv3/mbv3_elastic_kernel.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace mbv3 {
namespace {

std::string TransformName(const std::string& block, int kernel) {
  return absl::StrCat(block, "_k", kernel);
}

}  // namespace

KernelTransformsImpl::KernelTransformsImpl(const std::vector<std::string>& blocks,
                                           std::vector<int> kernels)
    : kernels_(std::move(kernels)) {
  TORCH_CHECK(!kernels_.empty() && std::is_sorted(kernels_.begin(), kernels_.end()),
              "kernel transforms: kernel sides must be sorted and non-empty");
  for (const std::string& block : blocks) {
    for (size_t i = 0; i + 1 < kernels_.size(); ++i) {
      const int64_t cells = static_cast<int64_t>(kernels_[i]) * kernels_[i];
      register_parameter(TransformName(block, kernels_[i]), torch::eye(cells));
    }
  }
}

torch::Tensor KernelTransformsImpl::Transform(const std::string& block, int kernel) const {
  const torch::OrderedDict<std::string, torch::Tensor> params = named_parameters(/*recurse=*/false);
  const torch::Tensor* matrix = params.find(TransformName(block, kernel));
  TORCH_CHECK(matrix != nullptr, "kernel transforms: block ", block, " has no transform for ",
              kernel, "x", kernel);
  return *matrix;
}

torch::Tensor KernelTransformsImpl::Kernel(const std::string& block, const torch::Tensor& weight,
                                           int kernel) const {
  const auto target = std::find(kernels_.begin(), kernels_.end(), kernel);
  TORCH_CHECK(target != kernels_.end(), "kernel transforms: ", kernel,
              " is not a kernel side of the space");
  TORCH_CHECK(weight.dim() == 4 && weight.size(2) == kernels_.back() &&
                  weight.size(3) == kernels_.back(),
              "kernel transforms: expected a [C, 1, ", kernels_.back(), ", ", kernels_.back(),
              "] depthwise kernel, got ", weight.sizes());
  torch::Tensor w = weight;
  int side = kernels_.back();
  // From the second largest side down to the target, each from the last.
  for (auto it = kernels_.end() - 1; it != target;) {
    --it;
    const int next = *it;
    const int start = (side - next) / 2;
    const torch::Tensor centre = w.narrow(2, start, next).narrow(3, start, next);
    const int64_t channels = centre.size(0);
    w = torch::linear(centre.reshape({channels, next * next}), Transform(block, next))
            .reshape({channels, 1, next, next});
    side = next;
  }
  return w;
}

}  // namespace mbv3
}  // namespace edgenas
