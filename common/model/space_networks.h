// A space's LibTorch record: how its architectures become networks, and what
// else it can do with them (weight-sharing supernet, stage features for
// activation transfer, ONNX and TorchScript export, operator profiling).
// A space package registers one from its own folder
// (spaces/<name>/register_networks.cc); workers, agents and exporters see a
// space only through this record. A capability a space lacks is left empty
// and asking for it gets the one error of SpaceLacks ("space \"x\" has no
// supernet"). The core record (no LibTorch) is common/space_registry.h.
#ifndef EDGENAS_COMMON_MODEL_SPACE_NETWORKS_H_
#define EDGENAS_COMMON_MODEL_SPACE_NETWORKS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"
#include "common/latency_ops.h"
#include "common/model/onnx_graph.h"
#include "common/random.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

// A forward pass that also returns the network's stage outputs (feature
// maps at its stage boundaries), for activation transfer.
struct StageForward {
  torch::Tensor logits;               // [B, num_classes]
  std::vector<torch::Tensor> stages;  // [B, C_s, H_s, W_s], one per stage
};

// What one supernet training step trains: the paths run on the same batch,
// their gradients summed before one optimizer step.
struct SupernetStep {
  std::vector<Architecture> paths;  // at least one
  // In-place distillation: paths[0] learns from the labels and every other
  // path from paths[0]'s detached soft targets (T^2 * KL at `temperature`);
  // false: every path learns from the labels.
  bool distill = false;
  double temperature = 1.0;
};

// A weight-sharing supernet over a space: every architecture is a path
// through it. Not thread-safe (callers serialise use of one supernet).
class Supernet {
 public:
  virtual ~Supernet() = default;
  // The paths of training step `step` (0-based) of `steps`, drawn from `rng`
  // (the trainer's architecture stream) over `space` (the space the
  // supernet was built for). Default: one architecture uniform over the
  // space, no distillation (single-path uniform sampling).
  virtual SupernetStep PlanStep(const SearchSpace& space, int step, int steps, Rng& rng);
  // Called by the trainer before step `step` of `steps` is planned, without
  // gradients. Returns true when it rearranged the weights (e.g. sorted
  // channels by importance), so that per-parameter optimizer state
  // (momentum) no longer lines up and the trainer must reset it. Throws
  // c10::Error on a LibTorch failure. Default: does nothing, false.
  virtual bool BeforeStep(int step, int steps);
  // The module holding every shared parameter and buffer (to move, train,
  // save and load it).
  virtual torch::nn::Module& module() = 0;
  // Logits of `x` through `arch`'s path. Throws c10::Error for an invalid
  // architecture (a LibTorch forward contract).
  virtual torch::Tensor Forward(const torch::Tensor& x, const Architecture& arch) = 0;
  // A standalone network for `arch` (as the space's builder makes it) holding
  // copies of the supernet's tensors along the path, on the supernet's device
  // and in its train/eval mode. INVALID_ARGUMENT for a bad architecture.
  virtual absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(const Architecture& arch) = 0;
};

// One operator ready to time: its modules and inputs live in the closure.
using OpRun = std::function<torch::Tensor()>;

struct SpaceNetworks {
  std::string space;  // the registered core space of the same name
  // Required: the network of a valid architecture, built for `input`.
  // INVALID_ARGUMENT naming the bad option; INTERNAL when LibTorch fails.
  std::function<absl::StatusOr<torch::nn::AnyModule>(const Architecture& arch,
                                                     const SpaceConfig& space,
                                                     const InputShape& input)>
      build;
  // Optional: a randomly initialised supernet (seed torch first).
  std::function<absl::StatusOr<std::unique_ptr<Supernet>>(const SpaceConfig& space,
                                                          const InputShape& input)>
      build_supernet;
  // Optional: logits and stage outputs of a network from `build`.
  std::function<absl::StatusOr<StageForward>(torch::nn::AnyModule& model, const torch::Tensor& x)>
      forward_stages;
  // Optional: the ONNX graph of a built network (eval semantics) with a
  // fixed input of `shape`.
  std::function<absl::StatusOr<OnnxGraph>(const torch::nn::Module& network,
                                          const OnnxInputShape& shape)>
      onnx_graph;
  // Optional: TorchScript source of `forward(self, x)` for `arch`, reading
  // the built network's tensors as attributes named by their dotted names
  // with '.' replaced by '_'.
  std::function<absl::StatusOr<std::string>(const Architecture& arch, const SpaceConfig& space)>
      torchscript_source;
  // Optional: one operator of the space's latency model (an OpShape from
  // RequiredOpShapes), built as its networks build it, with a random input
  // of batch `batch`, in eval mode.
  std::function<absl::StatusOr<OpRun>(const OpShape& shape, int batch)> profile_op;
};

// Adds `networks` to the registry; call it from the space's
// EDGENAS_SPACE_NETWORKS_REGISTRATION function. A second record for one
// space ends the process.
bool RegisterSpaceNetworks(SpaceNetworks networks);

// Defines the function that registers space `name`'s LibTorch record (inside
// namespace edgenas, in the space's folder); called through the list the
// build generates, on the registry's first use.
#define EDGENAS_SPACE_NETWORKS_REGISTRATION(name) void EdgenasRegisterSpaceNetworks_##name()

// The record of `space`; INVALID_ARGUMENT naming task.space when the space
// is unknown or has no networks (SpaceLacks(space, "networks")).
absl::StatusOr<const SpaceNetworks*> FindSpaceNetworks(absl::string_view space);

// The record of `space` when it has `capability` (the field is set), else
// SpaceLacks(space, what) — e.g. RequireNetworks(name, &SpaceNetworks::build_supernet,
// "supernet").
template <typename Field>
absl::StatusOr<const SpaceNetworks*> RequireNetworks(absl::string_view space,
                                                     Field SpaceNetworks::*capability,
                                                     absl::string_view what) {
  absl::StatusOr<const SpaceNetworks*> found = FindSpaceNetworks(space);
  if (!found.ok()) return found.status();
  if (!((*found)->*capability)) return SpaceLacks(space, what);
  return found;
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_SPACE_NETWORKS_H_
