#include "worker/datasets/labeled_data.h"

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
