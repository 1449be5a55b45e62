// The operators a search space's networks run, at their shapes: what a
// per-operator latency table must contain (RequiredOpShapes, measured by
// `edgenas-agent profile`) and what one candidate network runs in one forward
// pass (NetworkOpShapes, summed by the latency predictor). Each space that
// supports tables gives a LatencyModel in its registration; these functions
// dispatch to it. Plain data, no protobuf and no LibTorch, so both the
// profiler (LibTorch) and the coordinator (protobuf) use the same enumeration.
#ifndef EDGENAS_COMMON_LATENCY_OPS_H_
#define EDGENAS_COMMON_LATENCY_OPS_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// One operator at one shape. For a classifier head, out_channels is the
// class count (a space's latency model says what its op names mean).
struct OpShape {
  std::string op;
  int in_channels = 0;
  int out_channels = 0;
  int resolution = 0;  // input height = width
  int stride = 1;

  auto Key() const { return std::tie(op, in_channels, out_channels, resolution, stride); }
  bool operator<(const OpShape& o) const { return Key() < o.Key(); }
  bool operator==(const OpShape& o) const { return Key() == o.Key(); }
  // e.g. "nor_conv_3x3 16->16 ch at 28x28 stride 1".
  std::string ToString() const;
};

// What one operator computes, counted analytically (common/network_cost.h):
// multiply-accumulates of its convolutions and linear layers for one image
// (batch norm, activations, pooling, element-wise products and sums count
// 0, as in the MobileNet and Once-for-All papers), and its trainable
// parameters (weights, biases, batch-norm scales and shifts).
struct OpCost {
  int64_t macs = 0;
  int64_t params = 0;
};

// A space's latency model: which operators its networks are made of. Every
// network's latency is modelled as the sum of its operators' latencies
// plus a per-forward overhead. Implementations are immutable.
class LatencyModel {
 public:
  virtual ~LatencyModel() = default;
  // Op names a table of this space may hold (operators that cost nothing,
  // such as "none", are left out).
  virtual std::vector<std::string> TableOps() const = 0;
  // Every distinct operator shape the networks of `space` can run at
  // `input`, sorted and unique. INVALID_ARGUMENT for bad options or a shape
  // the model cannot describe.
  virtual absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(
      const SpaceConfig& space, const InputShape& input) const = 0;
  // The operators `arch`'s network runs in one forward pass, in order, one
  // entry per execution (repeats included). INVALID_ARGUMENT for a bad
  // architecture or options.
  virtual absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(
      const SpaceConfig& space, const Architecture& arch, const InputShape& input) const = 0;
  // The text form of an architecture whose network runs only the parts every
  // network has (for measuring the per-forward overhead no single operator
  // sees).
  virtual std::string OverheadCalibrationArch(const SpaceConfig& space) const = 0;
  // Whether Cost is implemented (false by default: the space has no MAC
  // count).
  virtual bool CountsCosts() const { return false; }
  // The analytic cost (OpCost) of one operator shape this model produces
  // (an entry of RequiredOpShapes or NetworkOpShapes); a network's cost is
  // the sum over its NetworkOpShapes, so each entry must stand for modules
  // of its own. UNIMPLEMENTED by default; INVALID_ARGUMENT naming op for a
  // shape the model does not know.
  virtual absl::StatusOr<OpCost> Cost(const OpShape& shape) const;
};

// The shape of the default dataset (what a table is profiled at when no job
// says otherwise).
InputShape DefaultInputShape();

// Table op names known for `space`. INVALID_ARGUMENT naming table.space for
// an unknown space or one without a latency model.
absl::StatusOr<std::vector<std::string>> LatencyTableOps(absl::string_view space);

// Every distinct operator shape the networks of `space` (with its options)
// can run at `input`, sorted: the entries a complete table has.
// INVALID_ARGUMENT for an unknown space, a space without a latency model or
// bad options (naming space.options.<key>).
absl::StatusOr<std::vector<OpShape>> RequiredOpShapes(
    const SpaceConfig& space, const InputShape& input = DefaultInputShape());

// The operators `arch`'s network runs in one forward pass (see
// LatencyModel::NetworkOpShapes). Errors as RequiredOpShapes, plus
// INVALID_ARGUMENT for a bad architecture.
absl::StatusOr<std::vector<OpShape>> NetworkOpShapes(
    const SpaceConfig& space, const Architecture& arch,
    const InputShape& input = DefaultInputShape());

}  // namespace edgenas

#endif  // EDGENAS_COMMON_LATENCY_OPS_H_
