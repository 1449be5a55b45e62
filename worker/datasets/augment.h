// Training augmentation on a batch: random crop with zero padding (zero in
// normalised space is the mean pixel) and random horizontal flip, drawn from
// a seeded generator so a run is reproducible. The crop and flip move raw
// pixels (uint8 for image folders) before normalization, and only the
// padded strips are written afterwards: one float pass for the whole batch.
#ifndef EDGENAS_WORKER_DATASETS_AUGMENT_H_
#define EDGENAS_WORKER_DATASETS_AUGMENT_H_

#include <cstdint>
#include <random>

#include <torch/torch.h>

#include "worker/datasets/labeled_data.h"

namespace edgenas {

class CropFlipAugmenter {
 public:
  // Draws from `seed`.
  explicit CropFlipAugmenter(uint64_t seed) : rng_(seed) {}

  // `raw`: rows of `data` ([N, C, H, W], uint8 or float, any device). Returns
  // the float network input (NormalizeBatch) of every image padded by
  // max(1, min(H, W) / 8) zeros (in normalised space) on every side,
  // cropped back to H x W at a random offset, and flipped left-right with
  // probability 1/2.
  torch::Tensor Apply(const LabeledData& data, const torch::Tensor& raw);

  // The same for a batch that is already float network input.
  torch::Tensor Apply(const torch::Tensor& x) { return Apply(LabeledData(), x); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_AUGMENT_H_
