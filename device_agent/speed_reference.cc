#include "device_agent/speed_reference.h"

#include <torch/torch.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/datasets.h"
#include "common/latency_ops.h"

namespace edgenas {
namespace {

constexpr int kChannels = 16;
constexpr int kCalibrationRounds = 3;
constexpr int kCalibrationPauseMs = 300;

// Tabs and newlines would break the record's lines.
std::string Field(std::string text) {
  for (char& c : text) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// The record's lines, each split into its 4 fields; malformed lines dropped.
std::vector<std::vector<std::string>> ReadRecordLines(const std::string& path) {
  std::vector<std::vector<std::string>> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    double value = 0;
    if (fields.size() == 4 && absl::SimpleAtod(fields[3], &value) && value > 0) {
      lines.push_back(std::move(fields));
    }
  }
  return lines;
}

// ReLU -> 3x3 convolution (stride 1, same padding, no bias) -> batch norm:
// the reference kernel, the operator that dominates the cell networks.
class ReferenceKernelImpl : public torch::nn::Module {
 public:
  explicit ReferenceKernelImpl(int64_t channels)
      : conv_(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, /*kernel_size=*/3)
                                          .stride(1)
                                          .padding(1)
                                          .bias(false)))),
        bn_(register_module("bn", torch::nn::BatchNorm2d(channels))) {}

  torch::Tensor forward(torch::Tensor x) { return bn_(conv_(torch::relu(x))); }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(ReferenceKernel);

}  // namespace

struct SpeedReference::Impl {
  ReferenceKernel kernel{kChannels};
  torch::Tensor input;
  int height = 0;
  int width = 0;
};

std::string DescribeSpeedNormalization(double raw_median_ms, double normalised_median_ms,
                                       double reference_ms, double baseline_ms,
                                       const std::string& kernel) {
  return absl::StrFormat(
      "normalised block by block to the reference speed: raw median %.4g ms -> %.4g ms "
      "(%s: %.4g ms now, %.4g ms baseline)",
      raw_median_ms, normalised_median_ms, kernel, reference_ms, baseline_ms);
}

absl::StatusOr<double> ReadSpeedRecord(const std::string& path, const std::string& kernel,
                                       int threads, const std::string& machine) {
  const std::string t = absl::StrCat(threads);
  for (const auto& f : ReadRecordLines(path)) {
    double value = 0;
    if (f[0] == Field(kernel) && f[1] == t && f[2] == Field(machine) &&
        absl::SimpleAtod(f[3], &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat("no speed record for ", kernel, " in ", path));
}

absl::Status WriteSpeedRecord(const std::string& path, const std::string& kernel, int threads,
                              const std::string& machine, double baseline_ms) {
  namespace fs = std::filesystem;
  std::vector<std::vector<std::string>> lines = ReadRecordLines(path);
  const std::vector<std::string> entry = {Field(kernel), absl::StrCat(threads), Field(machine),
                                          absl::StrFormat("%.9g", baseline_ms)};
  bool replaced = false;
  for (auto& f : lines) {
    if (f[0] == entry[0] && f[1] == entry[1] && f[2] == entry[2]) {
      f = entry;
      replaced = true;
    }
  }
  if (!replaced) lines.push_back(entry);
  std::error_code ec;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string text;
  for (const auto& f : lines) absl::StrAppend(&text, absl::StrJoin(f, "\t"), "\n");
  if (absl::Status s = WriteFileAtomically(path, text); !s.ok()) {
    return absl::UnavailableError(s.message());
  }
  return absl::OkStatus();
}

SpeedReference::SpeedReference(std::unique_ptr<Impl> impl, std::string record_path,
                               std::string machine)
    : impl_(std::move(impl)),
      name_(absl::StrFormat("relu-conv3x3-bn %dch %dx%d", kChannels, impl_->height,
                            impl_->width)),
      record_path_(std::move(record_path)),
      machine_(std::move(machine)) {}

SpeedReference::~SpeedReference() = default;

absl::StatusOr<std::unique_ptr<SpeedReference>> SpeedReference::Create(
    const std::string& record_path, const std::string& machine, int height, int width) {
  if (height == 0 || width == 0) {
    // The default dataset's image size (no protobuf in this LibTorch file).
    const InputShape fallback = DefaultInputShape();
    if (height == 0) height = fallback.height;
    if (width == 0) width = fallback.width;
  }
  if (height < 1 || width < 1 || height > kMaxInputSide || width > kMaxInputSide) {
    return absl::InvalidArgumentError(absl::StrCat("speed reference: image size ", height, "x",
                                                   width, " out of range [1, ", kMaxInputSide,
                                                   "]"));
  }
  try {
    torch::NoGradGuard no_grad;
    torch::manual_seed(0);
    auto impl = std::make_unique<Impl>();
    impl->kernel->eval();
    impl->height = height;
    impl->width = width;
    impl->input = torch::randn({1, kChannels, height, width});
    return std::unique_ptr<SpeedReference>(
        new SpeedReference(std::move(impl), record_path, machine));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("speed reference: ", e.what()));
  }
}

absl::Status SpeedReference::RunOnce() {
  try {
    torch::NoGradGuard no_grad;
    torch::Tensor out = impl_->kernel->forward(impl_->input);
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
  double baseline = best;
  if (record_path_.empty()) {
    baseline_note_ = "calibrated now";
  } else {
    absl::StatusOr<double> recorded = ReadSpeedRecord(record_path_, name_, threads, machine_);
    if (recorded.ok() && *recorded <= best) {
      baseline = *recorded;
      baseline_note_ = absl::StrFormat("fastest on record (now %.4g ms)", best);
    } else {
      absl::Status written = WriteSpeedRecord(record_path_, name_, threads, machine_, best);
      baseline_note_ = written.ok() ? "calibrated now, fastest on record"
                                    : "calibrated now (record not kept)";
      if (!written.ok()) record_error_ = std::string(written.message());
    }
  }
  baselines_[threads] = baseline;
  return baseline;
}

}  // namespace edgenas
