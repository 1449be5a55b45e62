#include "worker/datasets/labeled_data.h"

#include <array>
#include <cstdint>
#include <vector>

namespace edgenas {

torch::Tensor NormalizeBatch(const LabeledData& data, const torch::Tensor& raw) {
  if (raw.scalar_type() != torch::kUInt8) return raw;
  torch::Tensor x = raw.to(torch::kFloat32);
  if (data.mean.empty()) return x.div_(255.0);
  // (pixel / 255 - mean) / std as one multiply-add per pixel.
  const int64_t c = static_cast<int64_t>(data.mean.size());
  std::vector<float> scale(c), shift(c);
  for (int64_t i = 0; i < c; ++i) {
    scale[i] = static_cast<float>(1.0 / (255.0 * data.std[i]));
    shift[i] = static_cast<float>(-data.mean[i] / data.std[i]);
  }
  if (raw.device().is_cpu() && raw.dim() == 4 && raw.size(1) == c) {
    // One pass through a 256-entry table per channel: what to(float) plus
    // addcmul computes, without two batch-sized temporaries.
    const torch::Tensor in = raw.contiguous();
    torch::Tensor out = torch::empty(in.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
    const int64_t n = in.size(0);
    const int64_t plane = in.size(2) * in.size(3);
    std::vector<std::array<float, 256>> table(c);
    for (int64_t k = 0; k < c; ++k) {
      for (int v = 0; v < 256; ++v) table[k][v] = static_cast<float>(v) * scale[k] + shift[k];
    }
    const uint8_t* src = in.data_ptr<uint8_t>();
    float* dst = out.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < c; ++k) {
        const std::array<float, 256>& t = table[k];
        const int64_t at = (i * c + k) * plane;
        for (int64_t j = 0; j < plane; ++j) dst[at + j] = t[src[at + j]];
      }
    }
    return out;
  }
  const auto on = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor s = torch::tensor(scale, on).to(x.device()).view({1, c, 1, 1});
  const torch::Tensor b = torch::tensor(shift, on).to(x.device()).view({1, c, 1, 1});
  return torch::addcmul(b, x, s);
}

torch::Tensor InputRange(const LabeledData& data, int64_t start, int64_t len,
                         const torch::Device& device) {
  return NormalizeBatch(data, data.images.narrow(0, start, len).to(device));
}

torch::Tensor InputRows(const LabeledData& data, const torch::Tensor& index) {
  return NormalizeBatch(data, data.images.index_select(0, index.to(data.images.device())));
}

LabeledData SelectRows(const LabeledData& data, const torch::Tensor& index) {
  LabeledData out = data;
  out.images = data.images.index_select(0, index);
  out.labels = data.labels.index_select(0, index);
  return out;
}

}  // namespace edgenas
