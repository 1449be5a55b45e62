// Registers the NB201 space's core record: its SearchSpace, options, latency
// model and predictor features (no LibTorch; see register_networks.cc).
#include <memory>

#include "common/space_registry.h"
#include "spaces/nb201/nb201_encoding.h"
#include "spaces/nb201/nb201_latency_model.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {

EDGENAS_SPACE_CORE_REGISTRATION(nb201) {
  RegisterSpace(SpaceRegistration{
    "nb201",
    [](const SpaceConfig&) -> absl::StatusOr<std::unique_ptr<SearchSpace>> {
      return std::unique_ptr<SearchSpace>(std::make_unique<Nb201Space>());
    },
    {{"cells_per_stage", kDefaultCellsPerStage, /*min=*/1, /*max=*/8},
     {"channels", kDefaultChannels, /*min=*/1, /*max=*/512}},
    std::make_shared<Nb201LatencyModel>(),
    std::make_shared<Nb201FeatureEncoder>(),
    // The strongest cell (every edge a 3x3 convolution), twice as wide and deep.
    TeacherDefaults{kDefaultTeacherArch, {{"channels", 32}, {"cells_per_stage", 2}}},
  });
}

}  // namespace edgenas
