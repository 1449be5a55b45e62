#include "spaces/mbv3/mbv3_supernet_extract.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_model.h"

namespace edgenas {
namespace {

// Copies every tensor of `dst` from the supernet tensor of the same name:
// `special` when it names one, else the first entries of `src`'s.
absl::Status CopyTensors(const torch::OrderedDict<std::string, torch::Tensor>& src,
                         torch::OrderedDict<std::string, torch::Tensor> dst,
                         const std::map<std::string, torch::Tensor>& special, const char* kind) {
  for (auto& item : dst) {
    const std::string& name = item.key();
    torch::Tensor& target = item.value();
    if (!target.defined()) continue;
    torch::Tensor source;
    if (const auto it = special.find(name); it != special.end()) {
      source = it->second;
    } else {
      const torch::Tensor* found = src.find(name);
      if (found == nullptr || !found->defined()) {
        return absl::InternalError(
            absl::StrCat("subnet ", kind, " ", name, ": the supernet has no such tensor"));
      }
      bool fits = found->dim() == target.dim();
      for (int64_t d = 0; fits && d < target.dim(); ++d) fits = target.size(d) <= found->size(d);
      if (!fits) {
        return absl::InternalError(absl::StrCat(
            "subnet ", kind, " ", name, ": shape [", absl::StrJoin(target.sizes(), ","),
            "] does not fit the supernet's [", absl::StrJoin(found->sizes(), ","), "]"));
      }
      source = mbv3::TakeFirst(*found, target.sizes());
    }
    if (source.sizes() != target.sizes()) {
      return absl::InternalError(absl::StrCat("subnet ", kind, " ", name, ": shape [",
                                              absl::StrJoin(target.sizes(), ","),
                                              "] but the supernet gives [",
                                              absl::StrJoin(source.sizes(), ","), "]"));
    }
    target.copy_(source);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<torch::nn::AnyModule> ExtractMbv3Subnet(Mbv3SupernetModuleImpl& supernet,
                                                       const Architecture& arch) {
  ASSIGN_OR_RETURN(torch::nn::AnyModule subnet,
                   BuildMbv3Network(supernet.space(), arch, supernet.input()));
  try {
    std::shared_ptr<torch::nn::Module> module = subnet.ptr();
    const std::vector<torch::Tensor> params = supernet.parameters();
    if (!params.empty()) module->to(params.front().device());
    torch::NoGradGuard no_grad;
    // The depthwise kernels of the path's blocks, through the transforms.
    std::map<std::string, torch::Tensor> kernels;
    for (const Mbv3Block& b : supernet.space().Plan(arch, supernet.input()).blocks) {
      kernels[absl::StrCat(Mbv3SupernetModuleImpl::BlockName(b.stage, b.index), ".dw.weight")] =
          supernet.DepthwiseKernel(b.stage, b.index, b.mid_channels, b.kernel);
    }
    RETURN_IF_ERROR(
        CopyTensors(supernet.named_parameters(), module->named_parameters(), kernels, "parameter"));
    RETURN_IF_ERROR(CopyTensors(supernet.named_buffers(), module->named_buffers(), {}, "buffer"));
    module->train(supernet.is_training());
    return subnet;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("extracting mbv3 subnet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("extracting mbv3 subnet: ", e.what()));
  }
}

}  // namespace edgenas
