#include "tests/integration/torchscript_forward.h"

#include <exception>

#include <torch/script.h>
#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgenas::testing {

absl::StatusOr<std::vector<float>> TorchScriptForward(const std::string& path,
                                                      const std::vector<int64_t>& dims,
                                                      const std::vector<float>& values) {
  try {
    torch::jit::script::Module module = torch::jit::load(path, torch::kCPU);
    module.eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor input =
        torch::from_blob(const_cast<float*>(values.data()), dims, torch::kFloat32).clone();
    const torch::Tensor out = module.forward({input}).toTensor().contiguous().to(torch::kFloat32);
    return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  }
}

}  // namespace edgenas::testing
