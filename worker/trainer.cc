#include "worker/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

constexpr double kPi = 3.14159265358979323846;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// splitmix64 finaliser: spreads nearby inputs over the whole 64-bit range.
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

absl::Status ValidateOptions(const TrainOptions& options) {
  if (options.steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation.train_steps: ", options.steps, " is negative"));
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation.batch_size: ", options.batch_size, " must be >= 1"));
  }
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evaluation.learning_rate: ", options.learning_rate, " must be finite and > 0"));
  }
  if (options.momentum < 0.0 || options.weight_decay < 0.0 || options.eval_batch_size < 1 ||
      options.threads < 1) {
    return absl::InvalidArgumentError(
        "trainer options: momentum, weight_decay must be >= 0; eval_batch_size, threads >= 1");
  }
  return absl::OkStatus();
}

absl::Status ValidateData(const LabeledData& data, const char* name) {
  if (!data.images.defined() || !data.labels.defined() || data.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": empty data set"));
  }
  if (data.images.size(0) != data.labels.size(0) || data.labels.dim() != 1 ||
      data.labels.scalar_type() != torch::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": images and int64 labels must have the same length"));
  }
  return absl::OkStatus();
}

// Draws batches from a seeded permutation; a new permutation each epoch.
// The final partial batch of an epoch is dropped so every step sees
// `batch_size` examples.
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

absl::StatusOr<double> EvaluateUnchecked(torch::nn::AnyModule& model, const LabeledData& data,
                                         const torch::Device& device, int batch_size,
                                         const std::atomic<bool>* cancel) {
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  const int64_t n = data.size();
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("evaluation cancelled");
    const int64_t len = std::min<int64_t>(batch_size, n - start);
    torch::Tensor x = data.images.narrow(0, start, len).to(device);
    torch::Tensor y = data.labels.narrow(0, start, len).to(device);
    torch::Tensor logits = model.forward(x);
    correct += logits.argmax(/*dim=*/1).eq(y).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace

uint64_t DeriveRunSeed(uint64_t job_seed, absl::string_view key) {
  // FNV-1a over the id: unlike std::hash, the same on every platform.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(Mix64(job_seed) ^ h);
}

void SeedTorch(uint64_t seed) { torch::manual_seed(seed); }

absl::StatusOr<double> EvaluateAccuracy(torch::nn::AnyModule& model, const LabeledData& data,
                                        const torch::Device& device, int batch_size) {
  if (absl::Status status = ValidateData(data, "evaluation data"); !status.ok()) return status;
  if (batch_size < 1) return absl::InvalidArgumentError("eval batch size must be >= 1");
  try {
    return EvaluateUnchecked(model, data, device, batch_size, /*cancel=*/nullptr);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("evaluation: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("evaluation: ", e.what()));
  }
}

absl::StatusOr<TrainResult> TrainAndEvaluate(torch::nn::AnyModule& model,
                                             const LabeledData& train,
                                             const LabeledData& validation,
                                             const TrainOptions& options,
                                             const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidateData(train, "training data"); !s.ok()) return s;
  if (absl::Status s = ValidateData(validation, "validation data"); !s.ok()) return s;
  if (options.batch_size > train.size()) {
    return absl::InvalidArgumentError(absl::StrCat("evaluation.batch_size: ", options.batch_size,
                                                   " exceeds the ", train.size(),
                                                   " training examples"));
  }
  if (model.is_empty()) return absl::InvalidArgumentError("model: empty module");

  TrainResult result;
  try {
    torch::set_num_threads(options.threads);
    const bool use_cuda = options.allow_cuda && torch::cuda::is_available();
    const torch::Device device(use_cuda ? torch::kCUDA : torch::kCPU);
    result.device = use_cuda ? "cuda" : "cpu";
    result.train_examples = train.size();
    result.validation_examples = validation.size();

    std::shared_ptr<torch::nn::Module> module = model.ptr();
    module->to(device);
    module->train();
    torch::optim::SGD optimizer(module->parameters(),
                                torch::optim::SGDOptions(options.learning_rate)
                                    .momentum(options.momentum)
                                    .nesterov(options.momentum > 0.0)
                                    .weight_decay(options.weight_decay));
    BatchSampler sampler(train.size(), options.batch_size, options.seed);

    const auto train_start = std::chrono::steady_clock::now();
    for (int step = 0; step < options.steps; ++step) {
      if (cancel != nullptr && cancel->load()) {
        return absl::CancelledError(absl::StrCat("training cancelled at step ", step));
      }
      const double lr =
          0.5 * options.learning_rate * (1.0 + std::cos(kPi * step / options.steps));
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
      const torch::Tensor index = sampler.Next();
      const torch::Tensor x = train.images.index_select(0, index).to(device);
      const torch::Tensor y = train.labels.index_select(0, index).to(device);
      optimizer.zero_grad();
      torch::Tensor loss = torch::cross_entropy_loss(model.forward(x), y);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        return absl::InternalError(
            absl::StrCat("training diverged at step ", step, ": loss ", loss_value));
      }
      loss.backward();
      optimizer.step();
      result.final_loss = loss_value;
      result.steps = step + 1;
    }
    result.train_seconds = SecondsSince(train_start);

    const auto eval_start = std::chrono::steady_clock::now();
    absl::StatusOr<double> accuracy =
        EvaluateUnchecked(model, validation, device, options.eval_batch_size, cancel);
    if (!accuracy.ok()) return accuracy.status();
    result.accuracy = *accuracy;
    result.eval_seconds = SecondsSince(eval_start);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("training: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("training: ", e.what()));
  }
  return result;
}

}  // namespace edgenas
