// Registers the NB201 space's LibTorch record: its network, weight-sharing
// supernet, stage features, ONNX and TorchScript export and operator
// profiling (see common/model/space_networks.h).
#include <memory>

#include "common/model/space_networks.h"
#include "common/status_macros.h"
#include "spaces/nb201/nb201_model.h"
#include "spaces/nb201/nb201_onnx.h"
#include "spaces/nb201/nb201_profile.h"
#include "spaces/nb201/nb201_supernet.h"
#include "spaces/nb201/nb201_torchscript.h"

namespace edgenas {
namespace {

// The Supernet seam over Nb201Supernet.
class Nb201SupernetAdapter : public Supernet {
 public:
  explicit Nb201SupernetAdapter(Nb201Supernet supernet) : supernet_(std::move(supernet)) {}
  torch::nn::Module& module() override { return *supernet_; }
  torch::Tensor Forward(const torch::Tensor& x, const Architecture& arch) override {
    return supernet_->forward(x, arch);
  }
  absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(const Architecture& arch) override {
    return edgenas::ExtractSubnet(*supernet_, arch);
  }

 private:
  Nb201Supernet supernet_;
};

absl::StatusOr<torch::nn::AnyModule> Build(const Architecture& arch, const SpaceConfig& space,
                                           const InputShape& input) {
  ASSIGN_OR_RETURN(const Nb201ModelOptions options, Nb201Options(space, input));
  return BuildNb201Network(arch, options);
}

absl::StatusOr<std::unique_ptr<Supernet>> BuildSupernet(const SpaceConfig& space,
                                                        const InputShape& input) {
  ASSIGN_OR_RETURN(const Nb201ModelOptions options, Nb201Options(space, input));
  ASSIGN_OR_RETURN(Nb201Supernet supernet, CreateNb201Supernet(options));
  return std::unique_ptr<Supernet>(std::make_unique<Nb201SupernetAdapter>(std::move(supernet)));
}

}  // namespace

EDGENAS_SPACE_NETWORKS_REGISTRATION(nb201) {
  RegisterSpaceNetworks(SpaceNetworks{
    "nb201",
    &Build,
    &BuildSupernet,
    [](torch::nn::AnyModule& model, const torch::Tensor& x) { return ForwardStages(model, x); },
    &OnnxGraphFromNb201,
    &Nb201TorchScriptSource,
    &Nb201ProfileOp,
  });
}

}  // namespace edgenas
