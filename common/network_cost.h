// Analytic network cost: multiply-accumulates ("flops" in edgenas, as the
// MobileNet and Once-for-All papers count them: one multiply-add of a
// convolution or linear layer is one, for one image) and trainable
// parameters, summed over the operators a network runs
// (LatencyModel::NetworkOpShapes and LatencyModel::Cost,
// common/latency_ops.h). No LibTorch, no protobuf: the coordinator, the
// workers and the agents all count the same way, without building a model.
#ifndef EDGENAS_COMMON_NETWORK_COST_H_
#define EDGENAS_COMMON_NETWORK_COST_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"
#include "common/latency_ops.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// The source and method reported with an analytic "flops" metric.
inline constexpr char kAnalyticSource[] = "analytic";
inline constexpr char kFlopsMethod[] =
    "multiply-accumulates of the convolutions and linear layers for one image, counted "
    "analytically from the architecture";

struct NetworkCost {
  int64_t macs = 0;    // per image
  int64_t params = 0;  // trainable parameters
  int ops = 0;         // operator executions summed
};

// OK when `space` counts costs (it has a latency model whose Cost is
// implemented); else INVALID_ARGUMENT SpaceLacks(space, "MAC count"), or
// naming space.name for an unknown space.
absl::Status SpaceCountsMacs(absl::string_view space);

// The cost of `arch`'s network in `space` for the dataset shape `input`
// (the space's networks may choose their own resolution). Errors as
// SpaceCountsMacs, plus INVALID_ARGUMENT for a bad architecture, options or
// input.
absl::StatusOr<NetworkCost> NetworkCostOf(const SpaceConfig& space, const Architecture& arch,
                                          const InputShape& input = DefaultInputShape());

// Multiply-accumulates and parameters alone (NetworkCostOf).
absl::StatusOr<int64_t> NetworkMacs(const SpaceConfig& space, const Architecture& arch,
                                    const InputShape& input = DefaultInputShape());
absl::StatusOr<int64_t> NetworkParams(const SpaceConfig& space, const Architecture& arch,
                                      const InputShape& input = DefaultInputShape());

// Same, for the text form of an architecture (parsed in `space`).
absl::StatusOr<NetworkCost> NetworkCostOf(const SpaceConfig& space, absl::string_view arch_text,
                                          const InputShape& input = DefaultInputShape());

}  // namespace edgenas

#endif  // EDGENAS_COMMON_NETWORK_COST_H_
