// LabeledData: a split of a dataset as tensors on the CPU, and the one way
// to read network inputs from it. Fashion-MNIST keeps float images already
// normalised; image folders keep uint8 pixels (a quarter of the memory) with
// their per-channel mean and std, normalised per batch.
#ifndef EDGENAS_WORKER_DATASETS_LABELED_DATA_H_
#define EDGENAS_WORKER_DATASETS_LABELED_DATA_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace edgenas {

// Images [N, C, H, W] (float32 normalised, or uint8 with mean/std) and
// labels [N] int64.
struct LabeledData {
  torch::Tensor images;
  torch::Tensor labels;
  // Per channel, in [0, 1] pixel units; used only when images are uint8:
  // input = (pixel / 255 - mean) / std.
  std::vector<double> mean;
  std::vector<double> std;
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// `raw` (rows of data.images, on any device) as float network input: float
// images are returned as they are; uint8 ones are normalised with data's
// mean and std (identity when those are empty: pixel / 255).
torch::Tensor NormalizeBatch(const LabeledData& data, const torch::Tensor& raw);

// Rows [start, start + len) of `data` as float input on `device`.
torch::Tensor InputRange(const LabeledData& data, int64_t start, int64_t len,
                         const torch::Device& device);

// Rows `index` (int64, on data.images' device or the CPU) as float input.
torch::Tensor InputRows(const LabeledData& data, const torch::Tensor& index);

// `data` with rows `index` (a copy of those rows; mean and std kept).
LabeledData SelectRows(const LabeledData& data, const torch::Tensor& index);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_LABELED_DATA_H_
