#include "common/network_cost.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// The model of a space that counts costs.
absl::StatusOr<const LatencyModel*> CostModel(absl::string_view space) {
  if (FindSpace(space) == nullptr) return SpaceLatencyModel(space).status();  // names space.name
  absl::StatusOr<const LatencyModel*> model = SpaceLatencyModel(space);
  if (!model.ok() || !(*model)->CountsCosts()) return SpaceLacks(space, "MAC count");
  return model;
}

}  // namespace

absl::Status SpaceCountsMacs(absl::string_view space) { return CostModel(space).status(); }

absl::StatusOr<NetworkCost> NetworkCostOf(const SpaceConfig& space, const Architecture& arch,
                                          const InputShape& input) {
  ASSIGN_OR_RETURN(const LatencyModel* model, CostModel(space.name));
  ASSIGN_OR_RETURN(const std::vector<OpShape> ops, model->NetworkOpShapes(space, arch, input));
  NetworkCost cost;
  for (const OpShape& op : ops) {
    ASSIGN_OR_RETURN(const OpCost c, model->Cost(op));
    cost.macs += c.macs;
    cost.params += c.params;
    ++cost.ops;
  }
  return cost;
}

absl::StatusOr<int64_t> NetworkMacs(const SpaceConfig& space, const Architecture& arch,
                                    const InputShape& input) {
  ASSIGN_OR_RETURN(const NetworkCost cost, NetworkCostOf(space, arch, input));
  return cost.macs;
}

absl::StatusOr<int64_t> NetworkParams(const SpaceConfig& space, const Architecture& arch,
                                      const InputShape& input) {
  ASSIGN_OR_RETURN(const NetworkCost cost, NetworkCostOf(space, arch, input));
  return cost.params;
}

absl::StatusOr<NetworkCost> NetworkCostOf(const SpaceConfig& space, absl::string_view arch_text,
                                          const InputShape& input) {
  RETURN_IF_ERROR(CostModel(space.name).status());
  ASSIGN_OR_RETURN(const std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space));
  ASSIGN_OR_RETURN(const Architecture arch, search_space->Parse(arch_text));
  return NetworkCostOf(space, arch, input);
}

}  // namespace edgenas
