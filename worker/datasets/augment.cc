#include "worker/datasets/augment.h"

#include <algorithm>
#include <vector>

namespace edgenas {

torch::Tensor CropFlipAugmenter::Apply(const torch::Tensor& x) {
  const int64_t n = x.size(0);
  const int64_t h = x.size(2);
  const int64_t w = x.size(3);
  const int64_t pad = std::max<int64_t>(1, std::min(h, w) / 8);
  const torch::Tensor padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
  std::vector<torch::Tensor> out;
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = static_cast<int64_t>(rng_() % (2 * pad + 1));
    const int64_t dx = static_cast<int64_t>(rng_() % (2 * pad + 1));
    const bool flip = (rng_() & 1) != 0;
    torch::Tensor image = padded[i].narrow(1, dy, h).narrow(2, dx, w);
    if (flip) image = image.flip({2});
    out.push_back(image);
  }
  return torch::stack(out);
}

}  // namespace edgenas
