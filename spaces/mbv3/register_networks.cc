// Registers the mbv3 space's LibTorch record (see
// common/model/space_networks.h): its network, stage features, Once-for-All
// supernet, ONNX and TorchScript export and operator profiling.
#include <memory>

#include "common/model/space_networks.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_model.h"
#include "spaces/mbv3/mbv3_onnx.h"
#include "spaces/mbv3/mbv3_profile.h"
#include "spaces/mbv3/mbv3_space.h"
#include "spaces/mbv3/mbv3_torchscript.h"
#include "spaces/mbv3/mbv3_supernet.h"

namespace edgenas {
namespace {

absl::StatusOr<torch::nn::AnyModule> Build(const Architecture& arch, const SpaceConfig& config,
                                           const InputShape& input) {
  ASSIGN_OR_RETURN(const Mbv3Space space, CreateMbv3Space(config));
  return BuildMbv3Network(space, arch, input);
}

absl::StatusOr<StageForward> Stages(torch::nn::AnyModule& model, const torch::Tensor& x) {
  if (!model.ptr()) return absl::InvalidArgumentError("model: empty");
  ASSIGN_OR_RETURN(Mbv3NetworkImpl * network, AsMbv3Network(*model.ptr()));
  return network->forward_stages(x);
}

absl::StatusOr<std::unique_ptr<Supernet>> BuildSupernet(const SpaceConfig& config,
                                                        const InputShape& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<Mbv3Supernet> supernet, CreateMbv3Supernet(config, input));
  return std::unique_ptr<Supernet>(std::move(supernet));
}

}  // namespace

EDGENAS_SPACE_NETWORKS_REGISTRATION(mbv3) {
  SpaceNetworks networks;
  networks.space = kMbv3SpaceName;
  networks.build = &Build;
  networks.forward_stages = &Stages;
  networks.onnx_graph = &OnnxGraphFromMbv3;
  networks.torchscript_source = &Mbv3TorchScriptSource;
  networks.profile_op = &Mbv3ProfileOp;
  networks.build_supernet = &BuildSupernet;
  RegisterSpaceNetworks(std::move(networks));
}

}  // namespace edgenas
