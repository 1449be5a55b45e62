#include "common/model/network_util.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {


// Restores the BN momenta it recorded and puts the module in eval mode when
// it goes out of scope, whatever path RecalibrateBatchNorm leaves by.
class MomentumRestorer {
 public:
  explicit MomentumRestorer(torch::nn::Module& module) : module_(module) {}
  ~MomentumRestorer() {
    for (auto& [bn, momentum] : saved_) bn->options.momentum(momentum);
    module_.eval();
  }
  void Add(torch::nn::BatchNorm2dImpl* bn) { saved_.emplace_back(bn, bn->options.momentum()); }

 private:
  torch::nn::Module& module_;
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> saved_;
};


}  // namespace

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const torch::Tensor& p : module.parameters(/*recurse=*/true)) {
    if (p.requires_grad()) total += p.numel();
  }
  return total;
}

absl::Status RecalibrateBatchNorm(torch::nn::AnyModule& model, const torch::Tensor& images,
                                  int batch_size) {
  if (model.is_empty()) return absl::InvalidArgumentError("recalibration: empty module");
  if (!images.defined() || images.dim() == 0 || images.size(0) == 0) {
    return absl::InvalidArgumentError("recalibration: no calibration images");
  }
  if (batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("recalibration: batch size ", batch_size, " must be >= 1"));
  }
  std::shared_ptr<torch::nn::Module> module = model.ptr();
  MomentumRestorer restorer(*module);  // on every return path
  try {
    for (const std::shared_ptr<torch::nn::Module>& m : module->modules(/*include_self=*/true)) {
      if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
        restorer.Add(bn);
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt);  // cumulative average
      }
    }
    const std::vector<torch::Tensor> params = module->parameters();
    const torch::Device device = params.empty() ? images.device() : params.front().device();
    torch::NoGradGuard no_grad;
    module->train();
    const int64_t n = images.size(0);
    for (int64_t start = 0; start < n; start += batch_size) {
      const int64_t len = std::min<int64_t>(batch_size, n - start);
      model.forward(images.narrow(0, start, len).to(device));
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("recalibration: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("recalibration: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace edgenas
