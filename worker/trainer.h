// Trainer: trains a classifier from scratch with SGD (Nesterov momentum,
// weight decay, cosine decay to zero) for a fixed number of steps, then
// measures its accuracy on a held-out split. Used by full-train accuracy tasks.
#ifndef EDGENAS_WORKER_TRAINER_H_
#define EDGENAS_WORKER_TRAINER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "worker/fashion_mnist.h"

namespace edgenas {

struct TrainOptions {
  int steps = 200;
  int batch_size = 64;
  double learning_rate = 0.05;  // peak; cosine-decayed to 0 over `steps`
  double momentum = 0.9;
  double weight_decay = 5e-4;
  // Validation batch size; the accuracy's standard error is estimated from
  // the spread of the per-batch accuracies.
  int eval_batch_size = 250;
  // Seeds the batch order. (Weight initialisation is seeded by the caller,
  // before the model is built: see SeedTorch.)
  uint64_t seed = 0;
  int threads = 1;  // torch intra-op threads (process-wide setting)
  bool allow_cuda = true;
  // When set, a step's loss is loss_fn(logits, index, labels) instead of
  // cross-entropy; `index` holds the batch's row numbers in the training set
  // (on the training device), e.g. to look up precomputed teacher logits.
  std::function<torch::Tensor(const torch::Tensor& logits, const torch::Tensor& index,
                              const torch::Tensor& labels)>
      loss_fn;
  // When set, a step's loss is step_loss(x, index, labels) and the caller
  // runs the model itself (e.g. to read its stage features); loss_fn is
  // then unused.
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& index,
                              const torch::Tensor& labels)>
      step_loss;
  // Trained with the model (same optimizer, moved to the training device,
  // in training mode), e.g. activation-transfer adapters. May be null.
  std::shared_ptr<torch::nn::Module> extra_module;
  // Random crop with padding and horizontal flip of every training batch
  // (worker/datasets/augment.h), drawn from `seed`.
  bool augment = false;
};

// Accuracy on a validation set with its standard error.
struct AccuracyEstimate {
  double accuracy = 0.0;
  // Standard deviation of the per-batch accuracies over sqrt(batches); 0
  // with a single batch.
  double std_error = 0.0;
  int batches = 0;
};

struct TrainResult {
  double accuracy = 0.0;  // fraction of validation examples classified right
  double accuracy_std_error = 0.0;
  int validation_batches = 0;
  int steps = 0;
  int64_t train_examples = 0;
  int64_t validation_examples = 0;
  std::string device;  // "cpu" or "cuda"
  double final_loss = 0.0;
  double train_seconds = 0.0;  // SGD loop only (steady clock)
  double eval_seconds = 0.0;
};

// Trains `model` (forward(x) -> logits) on `train` and evaluates on
// `validation`, moving it to CUDA when available and allowed. INVALID_ARGUMENT
// for bad options or data, CANCELLED when *cancel becomes true (checked
// between steps), INTERNAL for a non-finite loss or a LibTorch failure.
absl::StatusOr<TrainResult> TrainAndEvaluate(torch::nn::AnyModule& model,
                                             const LabeledData& train,
                                             const LabeledData& validation,
                                             const TrainOptions& options,
                                             const std::atomic<bool>* cancel);

// Accuracy of `model` on `data` in eval mode without gradients, on the
// model's current device `device`. INTERNAL on a LibTorch failure.
absl::StatusOr<double> EvaluateAccuracy(torch::nn::AnyModule& model, const LabeledData& data,
                                        const torch::Device& device, int batch_size);
// The same with the standard error over batches of `batch_size`.
absl::StatusOr<AccuracyEstimate> EstimateAccuracy(torch::nn::AnyModule& model,
                                                  const LabeledData& data,
                                                  const torch::Device& device, int batch_size);

// The device training runs on: CUDA when allowed and present, else CPU.
torch::Device TrainingDevice(bool allow_cuda);

// A seed for one candidate's run, stable across platforms and processes:
// the same job seed and key (e.g. the architecture string) always give the
// same value.
uint64_t DeriveRunSeed(uint64_t job_seed, absl::string_view key);

// Seeds LibTorch's global generators (CPU and CUDA), which weight
// initialisation draws from. Global state: callers that build models on
// several threads must serialise seed + build to keep runs reproducible.
void SeedTorch(uint64_t seed);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_TRAINER_H_
