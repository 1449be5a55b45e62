#include "worker/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/batch_sampler.h"
#include "worker/datasets/augment.h"

namespace edgenas {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kLossCheckEvery = 25;

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

absl::StatusOr<AccuracyEstimate> EvaluateUnchecked(torch::nn::AnyModule& model,
                                                   const LabeledData& data,
                                                   const torch::Device& device, int batch_size,
                                                   const std::atomic<bool>* cancel) {
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  const int64_t n = data.size();
  int64_t correct = 0;
  std::vector<double> batch_accuracy;
  for (int64_t start = 0; start < n; start += batch_size) {
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("evaluation cancelled");
    const int64_t len = std::min<int64_t>(batch_size, n - start);
    torch::Tensor x = InputRange(data, start, len, device);
    torch::Tensor y = data.labels.narrow(0, start, len).to(device);
    torch::Tensor logits = model.forward(x);
    const int64_t right = logits.argmax(/*dim=*/1).eq(y).sum().item<int64_t>();
    correct += right;
    // A short last batch would weigh as much as a full one: left out of the
    // spread (it still counts in the accuracy).
    if (len == batch_size) batch_accuracy.push_back(static_cast<double>(right) / len);
  }
  AccuracyEstimate estimate;
  estimate.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  estimate.batches = static_cast<int>(batch_accuracy.size());
  if (batch_accuracy.size() >= 2) {
    double mean = 0.0;
    for (double a : batch_accuracy) mean += a;
    mean /= batch_accuracy.size();
    double ss = 0.0;
    for (double a : batch_accuracy) ss += (a - mean) * (a - mean);
    const double sd = std::sqrt(ss / (batch_accuracy.size() - 1));
    estimate.std_error = sd / std::sqrt(static_cast<double>(batch_accuracy.size()));
  }
  return estimate;
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

torch::Device TrainingDevice(bool allow_cuda) {
  bool cuda = false;
  try {
    cuda = allow_cuda && torch::cuda::is_available();
  } catch (const c10::Error&) {
    cuda = false;
  }
  return torch::Device(cuda ? torch::kCUDA : torch::kCPU);
}

absl::StatusOr<AccuracyEstimate> EstimateAccuracy(torch::nn::AnyModule& model,
                                                  const LabeledData& data,
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

absl::StatusOr<double> EvaluateAccuracy(torch::nn::AnyModule& model, const LabeledData& data,
                                        const torch::Device& device, int batch_size) {
  absl::StatusOr<AccuracyEstimate> estimate = EstimateAccuracy(model, data, device, batch_size);
  if (!estimate.ok()) return estimate.status();
  return estimate->accuracy;
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
    const torch::Device device = TrainingDevice(options.allow_cuda);
    const bool use_cuda = device.is_cuda();
    result.device = use_cuda ? "cuda" : "cpu";
    // The training set lives on the training device for the whole run: one
    // copy instead of one per step.
    const torch::Tensor train_images = train.images.to(device);
    const torch::Tensor train_labels = train.labels.to(device);
    result.train_examples = train.size();
    result.validation_examples = validation.size();

    std::shared_ptr<torch::nn::Module> module = model.ptr();
    module->to(device);
    module->train();
    std::vector<torch::Tensor> parameters = module->parameters();
    if (options.extra_module) {
      options.extra_module->to(device);
      options.extra_module->train();
      for (const torch::Tensor& p : options.extra_module->parameters()) parameters.push_back(p);
    }
    torch::optim::SGD optimizer(parameters,
                                torch::optim::SGDOptions(options.learning_rate)
                                    .momentum(options.momentum)
                                    .nesterov(options.momentum > 0.0)
                                    .weight_decay(options.weight_decay));
    BatchSampler sampler(train.size(), options.batch_size, options.seed);
    // Its own stream, so turning augmentation on moves no batch.
    CropFlipAugmenter augmenter(DeriveRunSeed(options.seed, "augment"));

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
      const torch::Tensor index = sampler.Next().to(device);
      const torch::Tensor raw = train_images.index_select(0, index);
      const torch::Tensor x =
          options.augment ? augmenter.Apply(train, raw) : NormalizeBatch(train, raw);
      const torch::Tensor y = train_labels.index_select(0, index);
      optimizer.zero_grad();
      torch::Tensor loss;
      if (options.step_loss) {
        loss = options.step_loss(x, index, y);
      } else {
        const torch::Tensor logits = model.forward(x);
        loss = options.loss_fn ? options.loss_fn(logits, index, y)
                               : torch::cross_entropy_loss(logits, y);
      }
      // Reading the loss synchronises a GPU with the host: on CUDA it is
      // checked every kLossCheckEvery steps (and at the last one), on CPU at
      // every step. A non-finite loss stops the run either way.
      const bool check = !use_cuda || step % kLossCheckEvery == 0 || step + 1 == options.steps;
      if (check) {
        const double loss_value = loss.item<double>();
        if (!std::isfinite(loss_value)) {
          return absl::InternalError(
              absl::StrCat("training diverged at step ", step, ": loss ", loss_value));
        }
        result.final_loss = loss_value;
      }
      loss.backward();
      optimizer.step();
      result.steps = step + 1;
    }
    result.train_seconds = SecondsSince(train_start);

    const auto eval_start = std::chrono::steady_clock::now();
    absl::StatusOr<AccuracyEstimate> accuracy =
        EvaluateUnchecked(model, validation, device, options.eval_batch_size, cancel);
    if (!accuracy.ok()) return accuracy.status();
    result.accuracy = accuracy->accuracy;
    result.accuracy_std_error = accuracy->std_error;
    result.validation_batches = accuracy->batches;
    result.eval_seconds = SecondsSince(eval_start);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("training: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("training: ", e.what()));
  }
  return result;
}

}  // namespace edgenas
