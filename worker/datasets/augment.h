// Training augmentation on a batch tensor: random crop with zero padding
// (zero in normalised space is the mean pixel) and random horizontal flip,
// drawn from a seeded generator so a run is reproducible.
#ifndef EDGENAS_WORKER_DATASETS_AUGMENT_H_
#define EDGENAS_WORKER_DATASETS_AUGMENT_H_

#include <cstdint>
#include <random>

#include <torch/torch.h>

namespace edgenas {

class CropFlipAugmenter {
 public:
  // Draws from `seed`; the padding is a side's eighth (at least 1 pixel).
  explicit CropFlipAugmenter(uint64_t seed) : rng_(seed) {}

  // `x` [N, C, H, W] float (normalised), any device: each image padded by
  // max(1, H/8) zeros on every side, cropped back to H x W at a random
  // offset, and flipped left-right with probability 1/2.
  torch::Tensor Apply(const torch::Tensor& x);

 private:
  std::mt19937_64 rng_;
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_AUGMENT_H_
