#include "spaces/mbv3/mbv3_model.h"

#include "absl/strings/str_cat.h"

namespace edgenas {

Mbv3NetworkImpl::Mbv3NetworkImpl(const Mbv3Plan& plan) : plan_(plan) {
  stem = register_module("stem", mbv3::Stem(plan));
  for (const Mbv3Block& b : plan.blocks) {
    blocks.push_back(register_module(absl::StrCat("s", b.stage, "b", b.index), mbv3::Block(b)));
  }
  head = register_module("head", mbv3::Head(plan));
}

torch::Tensor Mbv3NetworkImpl::Resize(const torch::Tensor& x) const {
  if (x.size(2) == plan_.resolution && x.size(3) == plan_.resolution) return x;
  return torch::nn::functional::interpolate(
      x, torch::nn::functional::InterpolateFuncOptions()
             .size(std::vector<int64_t>{plan_.resolution, plan_.resolution})
             .mode(torch::kBilinear)
             .align_corners(false));
}

torch::Tensor Mbv3NetworkImpl::forward(torch::Tensor x) {
  x = stem(Resize(x));
  for (auto& block : blocks) x = block(x);
  return head(x);
}

StageForward Mbv3NetworkImpl::forward_stages(torch::Tensor x) {
  StageForward out;
  x = stem(Resize(x));
  for (size_t i = 0; i < blocks.size(); ++i) {
    x = blocks[i](x);
    const bool last_of_stage = i + 1 == blocks.size() || blocks[i + 1]->shape.stage != blocks[i]->shape.stage;
    if (last_of_stage) out.stages.push_back(x);
  }
  out.logits = head(x);
  return out;
}

absl::StatusOr<torch::nn::AnyModule> BuildMbv3Network(const Mbv3Space& space,
                                                      const Architecture& arch,
                                                      const InputShape& input) {
  if (absl::Status status = space.Validate(arch); !status.ok()) return status;
  if (input.channels <= 0 || input.classes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dataset: the network needs input channels and classes, got ",
                     input.ToString()));
  }
  try {
    return torch::nn::AnyModule(Mbv3Network(space.Plan(arch, input)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building mbv3 network: ", e.what()));
  }
}

absl::StatusOr<Mbv3NetworkImpl*> AsMbv3Network(const torch::nn::Module& model) {
  auto* network = dynamic_cast<Mbv3NetworkImpl*>(const_cast<torch::nn::Module*>(&model));
  if (network == nullptr) {
    return absl::InvalidArgumentError("model: not a network built by BuildMbv3Network");
  }
  return network;
}

}  // namespace edgenas
