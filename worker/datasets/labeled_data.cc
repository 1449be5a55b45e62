#include "worker/datasets/labeled_data.h"

namespace edgenas {

torch::Tensor NormalizeBatch(const LabeledData& data, const torch::Tensor& raw) {
  if (raw.scalar_type() != torch::kUInt8) return raw;
  torch::Tensor x = raw.to(torch::kFloat32).div_(255.0);
  if (data.mean.empty()) return x;
  const int64_t c = static_cast<int64_t>(data.mean.size());
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor mean =
      torch::tensor(data.mean, options).to(x.options()).view({1, c, 1, 1});
  const torch::Tensor std = torch::tensor(data.std, options).to(x.options()).view({1, c, 1, 1});
  return x.sub_(mean).div_(std);
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
