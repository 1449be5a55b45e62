#include "device_agent/profile/profile_ops.h"

#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model/model_registry.h"
#include "common/model/space_networks.h"
#include "common/status_macros.h"
#include "device_agent/speed_reference.h"

namespace edgenas {
namespace {

constexpr int kCalibrationRounds = 3;

torch::Tensor Input(const ProfileSettings& settings, const InputShape& shape) {
  return torch::randn({settings.batch_size, shape.channels, shape.height, shape.width});
}

absl::StatusOr<LatencyStats> Time(const OpRun& run, const ProfileSettings& settings,
                                  const std::atomic<bool>* cancel) {
  const std::function<absl::Status()> once = [&run]() -> absl::Status {
    torch::Tensor out = run();
    if (!out.defined() || out.numel() == 0) return absl::InternalError("operator produced nothing");
    return absl::OkStatus();
  };
  if (settings.speed_reference == nullptr) return MeasureLatency(once, settings.latency, cancel);
  SpeedReference* const reference = settings.speed_reference;
  ASSIGN_OR_RETURN(const double baseline_ms,
                   reference->BaselineMs(settings.threads, settings.latency, cancel));
  LatencyOptions options = settings.latency;
  options.reference_run = [reference]() { return reference->RunOnce(); };
  options.reference_baseline_ms = baseline_ms;
  return MeasureLatency(once, options, cancel);
}

absl::Status CheckSettings(const ProfileSettings& settings) {
  if (settings.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads: must be >= 1, got ", settings.threads));
  }
  if (settings.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size: must be >= 1, got ", settings.batch_size));
  }
  return ValidateLatencyOptions(settings.latency);
}

absl::StatusOr<LatencyStats> MeasureNetworkUnsafe(const SpaceConfig& space,
                                                  const std::string& arch_text,
                                                  const ProfileSettings& settings,
                                                  const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(CheckSettings(settings));
  torch::set_num_threads(settings.threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  ASSIGN_OR_RETURN(torch::nn::AnyModule model, BuildModel(space, arch_text, settings.input));
  model.ptr()->eval();
  // The network's own input (a space whose architectures choose their
  // resolution takes images at it), as its operators were profiled.
  ASSIGN_OR_RETURN(const std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space));
  ASSIGN_OR_RETURN(const Architecture arch, search_space->Parse(arch_text));
  const torch::Tensor x = Input(settings, NetworkInputShape(space, arch, settings.input));
  return Time([&model, &x]() { return model.forward(x); }, settings, cancel);
}

absl::StatusOr<ProfileResult> ProfileSpaceUnsafe(const SpaceConfig& space,
                                                 const ProfileSettings& settings,
                                                 const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(CheckSettings(settings));
  ASSIGN_OR_RETURN(const std::vector<OpShape> shapes, RequiredOpShapes(space, settings.input));
  ASSIGN_OR_RETURN(const SpaceNetworks* networks,
                   RequireNetworks(space.name, &SpaceNetworks::profile_op, "operator profiler"));
  ASSIGN_OR_RETURN(const LatencyModel* model, SpaceLatencyModel(space.name));
  const auto make_runner = [&](const OpShape& shape) {
    return networks->profile_op(shape, settings.batch_size);
  };
  torch::set_num_threads(settings.threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  ProfileResult result;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const OpShape& shape = shapes[i];
    if (settings.progress) {
      settings.progress(absl::StrCat(i + 1, "/", shapes.size(), " ", shape.ToString()));
    }
    ASSIGN_OR_RETURN(OpRun run, make_runner(shape));
    ASSIGN_OR_RETURN(LatencyStats stats, Time(run, settings, cancel));
    result.ops.push_back(MeasuredOp{shape, stats});
  }

  // Overhead: the network of only the fixed parts, whole, minus its parts. One noisy
  // window would bias every prediction, so the network and its parts are
  // measured back to back kCalibrationRounds times and the median of the
  // differences is kept (the profiled parts above are not reused here).
  result.calibration_arch = model->OverheadCalibrationArch(space);
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space));
  ASSIGN_OR_RETURN(const Architecture calibration_arch, search_space->Parse(result.calibration_arch));
  ASSIGN_OR_RETURN(const std::vector<OpShape> parts,
                   NetworkOpShapes(space, calibration_arch, settings.input));
  std::vector<double> differences, network_ms, parts_sums;
  for (int round = 0; round < kCalibrationRounds; ++round) {
    if (settings.progress) {
      settings.progress(absl::StrCat("calibration network ", result.calibration_arch, ", round ",
                                     round + 1, "/", kCalibrationRounds));
    }
    std::map<OpShape, double> part_ms;
    for (const OpShape& p : parts) {
      if (part_ms.count(p) > 0) continue;
      ASSIGN_OR_RETURN(OpRun run, make_runner(p));
      ASSIGN_OR_RETURN(LatencyStats stats, Time(run, settings, cancel));
      part_ms[p] = stats.median_ms;
    }
    double sum = 0;
    for (const OpShape& p : parts) sum += part_ms.at(p);
    ASSIGN_OR_RETURN(LatencyStats whole,
                     MeasureNetworkUnsafe(space, result.calibration_arch, settings, cancel));
    if (round == 0 || whole.median_ms < result.calibration.median_ms) result.calibration = whole;
    differences.push_back(whole.median_ms - sum);
    network_ms.push_back(whole.median_ms);
    parts_sums.push_back(sum);
  }
  std::sort(differences.begin(), differences.end());
  const double overhead = differences[differences.size() / 2];
  result.overhead_ms = std::max(overhead, 0.0);
  std::string rounds;
  for (size_t i = 0; i < network_ms.size(); ++i) {
    absl::StrAppend(&rounds, i ? ", " : "", absl::StrFormat("%.4f-%.4f", network_ms[i],
                                                            parts_sums[i]));
  }
  result.notes.push_back(absl::StrFormat(
      "overhead_ms = %.5f: median over %d rounds of the calibration network %s timed whole "
      "minus its %d parts timed alone, back to back (ms: %s)",
      result.overhead_ms, kCalibrationRounds, result.calibration_arch,
      static_cast<int>(parts.size()), rounds));
  if (settings.speed_reference != nullptr) {
    ASSIGN_OR_RETURN(const double baseline_ms,
                     settings.speed_reference->BaselineMs(settings.threads, settings.latency,
                                                          cancel));
    result.notes.push_back(absl::StrFormat(
        "every latency normalised to the reference kernel %s at its baseline %.4g ms "
        "(timed between the blocks of each measurement; baseline: %s)",
        settings.speed_reference->name(), baseline_ms,
        settings.speed_reference->baseline_note()));
  }
  if (overhead < 0) {
    result.notes.push_back(absl::StrFormat(
        "the difference was negative (%.5f ms, measurement noise) and is stored as 0", overhead));
  }
  return result;
}

template <typename Fn>
auto CatchTorch(Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("libtorch: ", std::string(e.what_without_backtrace()).substr(0, 1024)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("profile: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<ProfileResult> ProfileSpace(const SpaceConfig& space,
                                           const ProfileSettings& settings,
                                           const std::atomic<bool>* cancel) {
  return CatchTorch([&]() { return ProfileSpaceUnsafe(space, settings, cancel); });
}

absl::StatusOr<LatencyStats> MeasureNetworkLatency(const SpaceConfig& space,
                                                   const std::string& arch_text,
                                                   const ProfileSettings& settings,
                                                   const std::atomic<bool>* cancel) {
  return CatchTorch([&]() { return MeasureNetworkUnsafe(space, arch_text, settings, cancel); });
}

}  // namespace edgenas
