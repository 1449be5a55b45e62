// A seeded, stratified split of a list of labelled items into train,
// validation and test parts (image folders without val/ or test/). No
// LibTorch: plain index lists.
#ifndef EDGENAS_WORKER_DATASETS_STRATIFIED_SPLIT_H_
#define EDGENAS_WORKER_DATASETS_STRATIFIED_SPLIT_H_

#include <cstdint>
#include <vector>

namespace edgenas {

struct SplitIndices {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
  std::vector<int64_t> test;
};

// Splits item i (labels[i] in [0, classes)) class by class: a class of n
// items gives round(n * fraction) to validation and to test (at least one
// each when n >= 3 and the fraction is > 0; none when n < 3), the rest to
// train. Which items go where is drawn from `seed` (and the class), so the
// same seed and labels always give the same split. Each part is sorted.
SplitIndices StratifiedSplit(const std::vector<int>& labels, int classes, double val_fraction,
                             double test_fraction, uint64_t seed);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_STRATIFIED_SPLIT_H_
