#include "worker/datasets/stratified_split.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace edgenas {
namespace {

int64_t Share(int64_t n, double fraction) {
  if (fraction <= 0.0 || n < 3) return 0;
  return std::max<int64_t>(1, std::llround(n * fraction));
}

}  // namespace

SplitIndices StratifiedSplit(const std::vector<int>& labels, int classes, double val_fraction,
                             double test_fraction, uint64_t seed) {
  std::vector<std::vector<int64_t>> by_class(std::max(classes, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= 0 && labels[i] < classes) by_class[labels[i]].push_back(i);
  }
  SplitIndices split;
  for (int c = 0; c < classes; ++c) {
    std::vector<int64_t>& items = by_class[c];
    // One stream per class: adding images to one class moves no other.
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(c) + 1);
    for (size_t i = items.size(); i > 1; --i) {  // Fisher-Yates, portable
      const size_t j = static_cast<size_t>(rng() % i);
      std::swap(items[i - 1], items[j]);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    int64_t val = Share(n, val_fraction);
    int64_t test = Share(n, test_fraction);
    while (val + test >= n && (val > 0 || test > 0)) {  // keep one for training
      if (test >= val)
        --test;
      else
        --val;
    }
    split.validation.insert(split.validation.end(), items.begin(), items.begin() + val);
    split.test.insert(split.test.end(), items.begin() + val, items.begin() + val + test);
    split.train.insert(split.train.end(), items.begin() + val + test, items.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

}  // namespace edgenas
