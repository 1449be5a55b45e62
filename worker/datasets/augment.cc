#include "worker/datasets/augment.h"

#include <algorithm>
#include <vector>

namespace edgenas {
namespace {

using torch::indexing::Slice;

// The rows (or columns) [begin, end) of the output that hold image pixels
// when the image moves by `shift` (output[y] = input[y + shift]).
struct Span {
  int64_t begin;
  int64_t end;
};
Span Valid(int64_t size, int64_t shift) {
  return {std::max<int64_t>(0, -shift), std::min<int64_t>(size, size - shift)};
}

}  // namespace

torch::Tensor CropFlipAugmenter::Apply(const LabeledData& data, const torch::Tensor& raw) {
  const int64_t n = raw.size(0);
  const int64_t h = raw.size(2);
  const int64_t w = raw.size(3);
  const int64_t pad = std::max<int64_t>(1, std::min(h, w) / 8);
  struct Draw {
    int64_t dy, dx;
    bool flip;
  };
  std::vector<Draw> draws(n);
  // The window's corner in padded coordinates is (dy, dx) in [0, 2 pad]:
  // output[y][x] = input[y + dy - pad][x + dx - pad], then mirrored.
  torch::Tensor moved = torch::empty_like(raw);
  for (int64_t i = 0; i < n; ++i) {
    Draw& d = draws[i];
    d.dy = static_cast<int64_t>(rng_() % (2 * pad + 1)) - pad;
    d.dx = static_cast<int64_t>(rng_() % (2 * pad + 1)) - pad;
    d.flip = (rng_() & 1) != 0;
    const Span rows = Valid(h, d.dy);
    const Span cols = Valid(w, d.dx);
    torch::Tensor source = raw[i].index({Slice(), Slice(rows.begin + d.dy, rows.end + d.dy),
                                         Slice(cols.begin + d.dx, cols.end + d.dx)});
    int64_t c0 = cols.begin, c1 = cols.end;
    if (d.flip) {
      source = source.flip({2});
      c0 = w - cols.end;
      c1 = w - cols.begin;
    }
    moved[i].index({Slice(), Slice(rows.begin, rows.end), Slice(c0, c1)}).copy_(source);
  }
  torch::Tensor x = NormalizeBatch(data, moved);
  // The padded strips: zero in normalised space.
  for (int64_t i = 0; i < n; ++i) {
    const Draw& d = draws[i];
    const Span rows = Valid(h, d.dy);
    Span cols = Valid(w, d.dx);
    if (d.flip) cols = {w - cols.end, w - cols.begin};
    torch::Tensor image = x[i];
    if (rows.begin > 0) image.index({Slice(), Slice(0, rows.begin)}).zero_();
    if (rows.end < h) image.index({Slice(), Slice(rows.end, h)}).zero_();
    if (cols.begin > 0) image.index({Slice(), Slice(), Slice(0, cols.begin)}).zero_();
    if (cols.end < w) image.index({Slice(), Slice(), Slice(cols.end, w)}).zero_();
  }
  return x;
}

}  // namespace edgenas
