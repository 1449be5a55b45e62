// Registers the MobileNetV3 / Once-for-All space's core record: its
// SearchSpace, options, predictor features and the input resolution each
// architecture chooses (no LibTorch; see register_networks.cc).
#include <memory>

#include "common/space_registry.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_encoding.h"
#include "spaces/mbv3/mbv3_latency_model.h"
#include "spaces/mbv3/mbv3_options.h"
#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {

EDGENAS_SPACE_CORE_REGISTRATION(mbv3) {
  SpaceRegistration reg;
  reg.name = kMbv3SpaceName;
  reg.factory = [](const SpaceConfig& config) -> absl::StatusOr<std::unique_ptr<SearchSpace>> {
    ASSIGN_OR_RETURN(Mbv3Space space, CreateMbv3Space(config));
    return std::unique_ptr<SearchSpace>(std::make_unique<Mbv3Space>(std::move(space)));
  };
  reg.options = Mbv3OptionSchema();
  reg.encoder = std::make_shared<Mbv3FeatureEncoder>();
  // Per-operator latency tables and the analytic MAC count.
  reg.latency_model = std::make_shared<Mbv3LatencyModel>();
  // The largest network of the job's space teaches by default.
  reg.teacher.arch_of = [](const SearchSpace& space) {
    const auto& mbv3 = static_cast<const Mbv3Space&>(space);
    return mbv3.Print(mbv3.Largest());
  };
  reg.check_options = [](const SpaceConfig& config) {
    return ReadMbv3Options(config).status();
  };
  reg.network_input = [](const SpaceConfig& config, const Architecture& arch,
                         const InputShape& dataset) {
    InputShape input = dataset;
    absl::StatusOr<Mbv3Space> space = CreateMbv3Space(config);
    if (space.ok()) input.height = input.width = space->Resolution(arch);
    return input;
  };
  RegisterSpace(std::move(reg));
}

}  // namespace edgenas
