// The mbv3 space's Once-for-All supernet behind the Supernet seam
// (common/model/space_networks.h): the weights and subnet forward of
// mbv3_supernet_module.h, extraction by mbv3_supernet_extract.h, and how it
// trains, step by step:
//   - warm-up (the first warmup_fraction of the steps): the largest
//     architecture alone, from the labels;
//   - at the end of warm-up, every block's channels are sorted by
//     importance (mbv3_channel_sort.h; the trainer then resets momentum);
//   - then the sandwich rule: per step the largest architecture, the
//     smallest and random_paths uniform draws, gradients summed, with
//     in-place distillation (the largest learns from the labels, the others
//     from its detached soft targets at `temperature`).
#ifndef EDGENAS_SPACES_MBV3_MBV3_SUPERNET_H_
#define EDGENAS_SPACES_MBV3_MBV3_SUPERNET_H_

#include <memory>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/model/space_networks.h"
#include "common/space_registry.h"
#include "spaces/mbv3/mbv3_supernet_module.h"

namespace edgenas {

struct Mbv3SupernetOptions {
  int random_paths = 2;          // sandwich: uniform draws besides the largest and smallest
  double warmup_fraction = 0.1;  // of the training steps: the largest alone, then sort
  double temperature = 1.0;      // in-place distillation
};

class Mbv3Supernet : public Supernet {
 public:
  Mbv3Supernet(Mbv3SupernetModule module, Mbv3SupernetOptions options);

  torch::nn::Module& module() override { return *module_; }
  torch::Tensor Forward(const torch::Tensor& x, const Architecture& arch) override;
  absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(const Architecture& arch) override;
  // Warm-up steps: {largest}, no distillation; later steps: {largest,
  // smallest, random_paths draws of space.Sample(rng)}, distilled.
  SupernetStep PlanStep(const SearchSpace& space, int step, int steps, Rng& rng) override;
  // At the first step after a non-empty warm-up: SortChannels(), true.
  bool BeforeStep(int step, int steps) override;

  // Sorts every block's channels by importance (mbv3_channel_sort.h). The
  // largest architecture's function is unchanged; smaller ones now keep the
  // most important channels. Throws c10::Error on a LibTorch failure.
  void SortChannels();
  // Steps of warm-up out of `steps`.
  int WarmupSteps(int steps) const;

  Mbv3SupernetModuleImpl& weights() { return *module_; }
  const Mbv3SupernetOptions& options() const { return options_; }

 private:
  Mbv3SupernetModule module_;
  Mbv3SupernetOptions options_;
};

// A randomly initialised supernet of `config`'s space for `input` (channels
// and classes; seed torch first). INVALID_ARGUMENT naming space.options.<key>
// for bad options, "dataset" for an input without channels or classes, the
// option field for bad training options (random_paths < 0, warmup_fraction
// outside [0, 1), temperature not > 0); INTERNAL when LibTorch fails.
absl::StatusOr<std::unique_ptr<Mbv3Supernet>> CreateMbv3Supernet(
    const SpaceConfig& config, const InputShape& input, Mbv3SupernetOptions options = {});

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_SUPERNET_H_
