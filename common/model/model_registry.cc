#include "common/model/model_registry.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/search_space.h"
#include "common/status_macros.h"

namespace edgenas {

absl::StatusOr<Architecture> ParseArchitecture(const SpaceConfig& space,
                                               absl::string_view arch_text) {
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space));
  absl::StatusOr<Architecture> arch = search_space->Parse(arch_text);
  if (!arch.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("task.arch: ", arch.status().message()));
  }
  return arch;
}

absl::StatusOr<torch::nn::AnyModule> BuildModel(const SpaceConfig& space,
                                                absl::string_view arch_text,
                                                const InputShape& input) {
  ASSIGN_OR_RETURN(const SpaceNetworks* networks, FindSpaceNetworks(space.name));
  ASSIGN_OR_RETURN(const Architecture arch, ParseArchitecture(space, arch_text));
  return networks->build(arch, space, input);
}

absl::StatusOr<StageForward> ForwardStages(const SpaceConfig& space, torch::nn::AnyModule& model,
                                           const torch::Tensor& x) {
  ASSIGN_OR_RETURN(const SpaceNetworks* networks,
                   RequireNetworks(space.name, &SpaceNetworks::forward_stages, "stage features"));
  return networks->forward_stages(model, x);
}

}  // namespace edgenas
