#include "device_agent/speed_reference.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model/nb201_blocks.h"

namespace edgenas {
namespace {

constexpr int kChannels = 16;
constexpr int kResolution = 28;
constexpr int kCalibrationRounds = 3;
constexpr int kCalibrationPauseMs = 300;

}  // namespace

struct SpeedReference::Impl {
  torch::nn::Sequential block;
  torch::Tensor input;
};

std::string DescribeSpeedNormalization(double raw_median_ms, double normalised_median_ms,
                                       double reference_ms, double baseline_ms,
                                       const std::string& kernel) {
  return absl::StrFormat(
      "normalised block by block to this agent's reference speed: raw median %.4g ms -> %.4g ms "
      "(reference %s took %.4g ms during the measurement, %.4g ms at calibration)",
      raw_median_ms, normalised_median_ms, kernel, reference_ms, baseline_ms);
}

SpeedReference::SpeedReference(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)),
      name_(absl::StrFormat("relu-conv3x3-bn %dch %dx%d", kChannels, kResolution, kResolution)) {}

SpeedReference::~SpeedReference() = default;

absl::StatusOr<std::unique_ptr<SpeedReference>> SpeedReference::Create() {
  try {
    torch::NoGradGuard no_grad;
    torch::manual_seed(0);
    auto impl = std::make_unique<Impl>();
    impl->block->push_back(nb201::ReluConvBn(kChannels, kChannels, /*kernel=*/3, /*stride=*/1));
    impl->block->eval();
    impl->input = torch::randn({1, kChannels, kResolution, kResolution});
    return std::unique_ptr<SpeedReference>(new SpeedReference(std::move(impl)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("speed reference: ", e.what()));
  }
}

absl::Status SpeedReference::RunOnce() {
  try {
    torch::NoGradGuard no_grad;
    torch::Tensor out = impl_->block->forward(impl_->input);
    if (out.numel() == 0) return absl::InternalError("speed reference produced nothing");
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("speed reference: ", e.what()));
  }
}

absl::StatusOr<double> SpeedReference::BaselineMs(int threads, const LatencyOptions& options,
                                                  const std::atomic<bool>* cancel) {
  auto it = baselines_.find(threads);
  if (it != baselines_.end()) return it->second;
  LatencyOptions calibration = options;
  calibration.reference_run = nullptr;
  calibration.reference_baseline_ms = 0;
  double best = 0;
  for (int round = 0; round < kCalibrationRounds; ++round) {
    if (round > 0) {
      if (options.sleep_ms) {
        options.sleep_ms(kCalibrationPauseMs);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(kCalibrationPauseMs));
      }
    }
    absl::StatusOr<LatencyStats> stats =
        MeasureLatency([this] { return RunOnce(); }, calibration, cancel);
    if (!stats.ok()) return stats.status();
    if (round == 0 || stats->median_ms < best) best = stats->median_ms;
  }
  if (!(best > 0)) {
    return absl::InternalError(absl::StrCat("speed reference: calibrated to ", best, " ms"));
  }
  baselines_[threads] = best;
  return best;
}

}  // namespace edgenas
