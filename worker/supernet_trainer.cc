#include "worker/supernet_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model/network_util.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "worker/batch_sampler.h"
#include "worker/datasets/augment.h"
#include "worker/distill_loss.h"

namespace edgenas {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kFinalLossWindow = 50;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::Status ValidateData(const LabeledData& data, const char* name) {
  if (!data.images.defined() || !data.labels.defined() || data.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": empty data set"));
  }
  if (data.images.dim() == 0 || data.images.size(0) != data.labels.size(0) ||
      data.labels.dim() != 1 || data.labels.scalar_type() != torch::kInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": images and int64 labels must have the same length"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const TrainOptions& options, int64_t train_size) {
  if (options.steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("supernet.train_steps: ", options.steps, " is negative"));
  }
  if (options.batch_size < 1 || options.batch_size > train_size) {
    return absl::InvalidArgumentError(absl::StrCat("supernet.batch_size: ", options.batch_size,
                                                   " not in [1, ", train_size, "]"));
  }
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "supernet.learning_rate: ", options.learning_rate, " must be finite and > 0"));
  }
  if (options.momentum < 0.0 || options.weight_decay < 0.0 || options.threads < 1) {
    return absl::InvalidArgumentError(
        "supernet trainer options: momentum, weight_decay must be >= 0; threads >= 1");
  }
  return absl::OkStatus();
}

torch::Device DeviceOf(const torch::nn::Module& module) {
  const std::vector<torch::Tensor> params = module.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

// Checks what a supernet's PlanStep returned (a programming error of the
// space's supernet, not bad input).
absl::Status CheckStep(const SupernetStep& plan, int step) {
  if (plan.paths.empty()) {
    return absl::InternalError(absl::StrCat("supernet step ", step, ": no paths to train"));
  }
  if (plan.distill && !(plan.temperature > 0.0 && std::isfinite(plan.temperature))) {
    return absl::InternalError(absl::StrCat("supernet step ", step, ": distillation temperature ",
                                            plan.temperature, " must be finite and > 0"));
  }
  return absl::OkStatus();
}

// Runs TrainSupernet's loop; LibTorch errors escape as exceptions.
absl::StatusOr<SupernetTrainResult> TrainUnchecked(Supernet& supernet, const SearchSpace& space,
                                                   const LabeledData& train,
                                                   const TrainOptions& options,
                                                   const std::atomic<bool>* cancel) {
  SupernetTrainResult result;
  torch::set_num_threads(options.threads);
  const bool use_cuda = options.allow_cuda && torch::cuda::is_available();
  const torch::Device device(use_cuda ? torch::kCUDA : torch::kCPU);
  result.device = use_cuda ? "cuda" : "cpu";

  supernet.module().to(device);
  supernet.module().train();
  // One transfer for the whole set: batches are gathered on the device.
  const torch::Tensor images = train.images.to(device);
  const torch::Tensor labels = train.labels.to(device);
  const std::vector<torch::Tensor> params = supernet.module().parameters();
  torch::optim::SGD optimizer(params, torch::optim::SGDOptions(options.learning_rate)
                                          .momentum(options.momentum)
                                          .nesterov(options.momentum > 0.0)
                                          .weight_decay(options.weight_decay));
  BatchSampler sampler(train.size(), options.batch_size, options.seed);
  // A stream of its own, so that the batch order matches TrainAndEvaluate's.
  Rng arch_rng(DeriveRunSeed(options.seed, "spos-architectures"));
  CropFlipAugmenter augmenter(DeriveRunSeed(options.seed, "augment"));

  const auto start = std::chrono::steady_clock::now();
  result.losses.reserve(options.steps);
  for (int step = 0; step < options.steps; ++step) {
    if (cancel != nullptr && cancel->load()) {
      return absl::CancelledError(absl::StrCat("supernet training cancelled at step ", step));
    }
    const double lr = 0.5 * options.learning_rate * (1.0 + std::cos(kPi * step / options.steps));
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    bool rearranged = false;
    {
      torch::NoGradGuard no_grad;
      rearranged = supernet.BeforeStep(step, options.steps);
    }
    // Rearranged weights: the momentum buffers no longer line up with them.
    if (rearranged) optimizer.state().clear();
    const SupernetStep plan = supernet.PlanStep(space, step, options.steps, arch_rng);
    RETURN_IF_ERROR(CheckStep(plan, step));
    const torch::Tensor index = sampler.Next().to(device);
    const torch::Tensor raw = images.index_select(0, index);
    const torch::Tensor x =
        options.augment ? augmenter.Apply(train, raw) : NormalizeBatch(train, raw);
    const torch::Tensor y = labels.index_select(0, index);
    // Undefined (not zero) gradients: SGD skips parameters off every path, so
    // their weights, weight decay and momentum are left alone. Each path's
    // backward adds to the gradients of the ones before it.
    for (const torch::Tensor& p : params) p.mutable_grad() = torch::Tensor();
    double loss_value = 0.0;
    torch::Tensor teacher_logits;
    for (size_t i = 0; i < plan.paths.size(); ++i) {
      const torch::Tensor logits = supernet.Forward(x, plan.paths[i]);
      torch::Tensor loss =
          plan.distill && i > 0
              ? DistillationLoss(logits, teacher_logits, y, /*alpha=*/1.0, plan.temperature)
              : torch::cross_entropy_loss(logits, y);
      const double path_loss = loss.item<double>();
      if (!std::isfinite(path_loss)) {
        return absl::InternalError(absl::StrCat("supernet training diverged at step ", step,
                                                ", path ", i, ": loss ", path_loss));
      }
      if (plan.distill && i == 0) teacher_logits = logits.detach();
      loss.backward();
      loss_value += path_loss;
    }
    optimizer.step();
    result.paths += static_cast<int64_t>(plan.paths.size());
    if (plan.distill && plan.paths.size() > 1) ++result.distilled_steps;
    result.losses.push_back(loss_value);
    result.steps = step + 1;
  }
  result.seconds = SecondsSince(start);
  const int window = std::min<int>(kFinalLossWindow, result.steps);
  if (window > 0) {
    double sum = 0.0;
    for (int i = result.steps - window; i < result.steps; ++i) sum += result.losses[i];
    result.final_loss = sum / window;
  }
  return result;
}

// Accuracy and its standard error over batches of `batch_size`.
SubnetEval EvaluateBatches(torch::nn::AnyModule& model, const LabeledData& data,
                           const torch::Device& device, int batch_size) {
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  const int64_t n = data.size();
  std::vector<double> batch_accuracies;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min<int64_t>(batch_size, n - start);
    const torch::Tensor x = InputRange(data, start, len, device);
    const torch::Tensor y = data.labels.narrow(0, start, len).to(device);
    const int64_t batch_correct =
        model.forward(x).argmax(/*dim=*/1).eq(y).sum().item<int64_t>();
    correct += batch_correct;
    batch_accuracies.push_back(static_cast<double>(batch_correct) / static_cast<double>(len));
  }
  SubnetEval eval;
  eval.examples = n;
  eval.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  const size_t batches = batch_accuracies.size();
  if (batches > 1) {
    double mean = 0.0;
    for (double a : batch_accuracies) mean += a;
    mean /= static_cast<double>(batches);
    double sum_sq = 0.0;
    for (double a : batch_accuracies) sum_sq += (a - mean) * (a - mean);
    const double std_dev = std::sqrt(sum_sq / static_cast<double>(batches - 1));
    eval.standard_error = std_dev / std::sqrt(static_cast<double>(batches));
  }
  return eval;
}

// Shapes of every parameter and buffer, by name.
std::map<std::string, std::vector<int64_t>> TensorShapes(const torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& item : module.named_parameters()) {
    shapes[item.key()] = item.value().sizes().vec();
  }
  for (const auto& item : module.named_buffers()) {
    shapes[item.key()] = item.value().defined() ? item.value().sizes().vec()
                                                : std::vector<int64_t>{};
  }
  return shapes;
}

}  // namespace

absl::StatusOr<SupernetTrainResult> TrainSupernet(Supernet& supernet, const SearchSpace& space,
                                                  const LabeledData& train,
                                                  const TrainOptions& options,
                                                  const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(ValidateData(train, "training data"));
  RETURN_IF_ERROR(ValidateOptions(options, train.size()));
  try {
    return TrainUnchecked(supernet, space, train, options, cancel);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("supernet training: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("supernet training: ", e.what()));
  }
}

absl::StatusOr<SubnetEval> EvaluateSubnet(Supernet& supernet, const Architecture& arch,
                                          const LabeledData& calibration,
                                          const LabeledData& validation, int batch_size) {
  RETURN_IF_ERROR(ValidateData(calibration, "calibration data"));
  RETURN_IF_ERROR(ValidateData(validation, "validation data"));
  if (batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("subnet evaluation: batch size ", batch_size, " must be >= 1"));
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(torch::nn::AnyModule subnet, supernet.ExtractSubnet(arch));
  RETURN_IF_ERROR(RecalibrateBatchNorm(subnet, NormalizeBatch(calibration, calibration.images), batch_size));
  try {
    SubnetEval eval = EvaluateBatches(subnet, validation, DeviceOf(*subnet.ptr()), batch_size);
    eval.seconds = SecondsSince(start);
    return eval;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("subnet evaluation: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("subnet evaluation: ", e.what()));
  }
}

absl::StatusOr<std::string> SaveSupernet(Supernet& supernet) {
  try {
    torch::serialize::OutputArchive archive;
    supernet.module().save(archive);
    std::ostringstream out;
    archive.save_to(out);
    return out.str();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("saving supernet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("saving supernet: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<Supernet>> LoadSupernet(const std::string& bytes,
                                                       const SpaceConfig& space,
                                                       const InputShape& input) {
  ASSIGN_OR_RETURN(const SpaceNetworks* networks,
                   RequireNetworks(space.name, &SpaceNetworks::build_supernet, "supernet"));
  ASSIGN_OR_RETURN(std::unique_ptr<Supernet> supernet, networks->build_supernet(space, input));
  // Loading replaces tensors wholesale (shape included): check shapes after.
  const std::map<std::string, std::vector<int64_t>> expected = TensorShapes(supernet->module());
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in, torch::Device(torch::kCPU));
    supernet->module().load(archive);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("loading supernet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("loading supernet: ", e.what()));
  }
  const std::map<std::string, std::vector<int64_t>> loaded = TensorShapes(supernet->module());
  for (const auto& [name, shape] : expected) {
    const auto it = loaded.find(name);
    if (it == loaded.end() || it->second != shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          "loading supernet: tensor ", name, " has shape [",
          it == loaded.end() ? "" : absl::StrJoin(it->second, ","), "], options need [",
          absl::StrJoin(shape, ","), "]"));
    }
  }
  return supernet;
}

}  // namespace edgenas
