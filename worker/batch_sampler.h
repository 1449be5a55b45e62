// BatchSampler: the seeded mini-batch order shared by the trainers.
#ifndef EDGENAS_WORKER_BATCH_SAMPLER_H_
#define EDGENAS_WORKER_BATCH_SAMPLER_H_

#include <cstdint>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace edgenas {

// Draws batches of indices (int64, CPU) from a seeded permutation; a new
// permutation each epoch. The final partial batch of an epoch is dropped so
// every step sees `batch_size` examples. Requires 1 <= batch_size <= size.
class BatchSampler {
 public:
  BatchSampler(int64_t size, int64_t batch_size, uint64_t seed)
      : size_(size),
        batch_size_(batch_size),
        generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  torch::Tensor Next() {
    if (!order_.defined() || cursor_ + batch_size_ > size_) {
      order_ = torch::randperm(size_, generator_, torch::kInt64);
      cursor_ = 0;
    }
    torch::Tensor batch = order_.narrow(0, cursor_, batch_size_);
    cursor_ += batch_size_;
    return batch;
  }

 private:
  int64_t size_;
  int64_t batch_size_;
  at::Generator generator_;
  torch::Tensor order_;
  int64_t cursor_ = 0;
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_BATCH_SAMPLER_H_
