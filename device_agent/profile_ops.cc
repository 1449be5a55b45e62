#include "device_agent/profile_ops.h"

#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/model/model_registry.h"
#include "common/model/nb201_blocks.h"
#include "common/nb201_space.h"
#include "common/status_macros.h"
#include "device_agent/speed_reference.h"

namespace edgenas {
namespace {

// The network whose cells compute nothing ("none" everywhere): stem,
// reductions, head and one zeros_like per cell.
constexpr char kAllNoneCell[] = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
constexpr int kCalibrationRounds = 3;

// One operator ready to run: its module(s) and input(s).
using Runner = std::function<torch::Tensor()>;

torch::Tensor Input(const ProfileSettings& settings, int64_t channels, int64_t resolution) {
  return torch::randn({settings.batch_size, channels, resolution, resolution});
}

// The NB201 stem (as Nb201Network's stem_conv + stem_bn).
class StemImpl : public torch::nn::Module {
 public:
  StemImpl(int64_t in, int64_t out)
      : conv_(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)))),
        bn_(register_module("bn", torch::nn::BatchNorm2d(out))) {}
  torch::Tensor forward(torch::Tensor x) { return bn_(conv_(x)); }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(Stem);

// The NB201 head (as Nb201Network::Head).
class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(int64_t in, int64_t classes)
      : bn_(register_module("bn", torch::nn::BatchNorm2d(in))),
        classifier_(register_module("classifier", torch::nn::Linear(in, classes))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(bn_(x));
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(/*start_dim=*/1);
    return classifier_(x);
  }

 private:
  torch::nn::BatchNorm2d bn_;
  torch::nn::Linear classifier_;
};
TORCH_MODULE(Head);

// A cell edge's module, wrapped in a Sequential as Nb201Cell builds it.
absl::StatusOr<torch::nn::Sequential> CellOp(const std::string& op, int64_t width) {
  torch::nn::Sequential seq;
  const auto& names = Nb201OpNames();
  if (op == names[static_cast<int>(Nb201Op::kSkipConnect)]) {
    seq->push_back(torch::nn::Identity());
  } else if (op == names[static_cast<int>(Nb201Op::kConv1x1)]) {
    seq->push_back(nb201::ReluConvBn(width, width, /*kernel=*/1, /*stride=*/1));
  } else if (op == names[static_cast<int>(Nb201Op::kConv3x3)]) {
    seq->push_back(nb201::ReluConvBn(width, width, /*kernel=*/3, /*stride=*/1));
  } else if (op == names[static_cast<int>(Nb201Op::kAvgPool3x3)]) {
    seq->push_back(torch::nn::AvgPool2d(
        torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("op: no module for \"", op, "\""));
  }
  return seq;
}

template <typename Module>
Module Eval(Module m) {
  m->eval();
  return m;
}

// Builds the runner of one operator shape; modules and inputs live in the
// returned closure.
absl::StatusOr<Runner> MakeRunner(const OpShape& s, const ProfileSettings& settings) {
  if (s.op == kOpStem) {
    auto stem = Eval(Stem(s.in_channels, s.out_channels));
    auto x = Input(settings, s.in_channels, s.resolution);
    return Runner([stem, x]() mutable { return stem->forward(x); });
  }
  if (s.op == kOpReduction) {
    auto block = Eval(nb201::ReductionBlock(s.in_channels, s.out_channels));
    auto x = Input(settings, s.in_channels, s.resolution);
    return Runner([block, x]() mutable { return block->forward(x); });
  }
  if (s.op == kOpHead) {
    auto head = Eval(Head(s.in_channels, s.out_channels));
    auto x = Input(settings, s.in_channels, s.resolution);
    return Runner([head, x]() mutable { return head->forward(x); });
  }
  if (s.op == kOpAdd) {
    auto a = Input(settings, s.in_channels, s.resolution);
    auto b = Input(settings, s.in_channels, s.resolution);
    return Runner([a, b]() { return a + b; });
  }
  if (s.op == kOpZero) {
    auto x = Input(settings, s.in_channels, s.resolution);
    return Runner([x]() { return torch::zeros_like(x); });
  }
  ASSIGN_OR_RETURN(torch::nn::Sequential seq, CellOp(s.op, s.in_channels));
  seq = Eval(seq);
  auto x = Input(settings, s.in_channels, s.resolution);
  return Runner([seq, x]() mutable { return seq->forward(x); });
}

absl::StatusOr<LatencyStats> Time(const Runner& run, const ProfileSettings& settings,
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
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(space, arch_text, settings.input.channels, settings.input.classes));
  model.ptr()->eval();
  const torch::Tensor x = Input(settings, settings.input.channels, settings.input.resolution);
  return Time([&model, &x]() { return model.forward(x); }, settings, cancel);
}

absl::StatusOr<ProfileResult> ProfileSpaceUnsafe(const SpaceConfig& space,
                                                 const ProfileSettings& settings,
                                                 const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(CheckSettings(settings));
  ASSIGN_OR_RETURN(const std::vector<OpShape> shapes, RequiredOpShapes(space, settings.input));
  torch::set_num_threads(settings.threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  ProfileResult result;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const OpShape& shape = shapes[i];
    if (settings.progress) {
      settings.progress(absl::StrCat(i + 1, "/", shapes.size(), " ", shape.ToString()));
    }
    ASSIGN_OR_RETURN(Runner run, MakeRunner(shape, settings));
    ASSIGN_OR_RETURN(LatencyStats stats, Time(run, settings, cancel));
    result.ops.push_back(MeasuredOp{shape, stats});
  }

  // Overhead: the all-"none" network, whole, minus its parts. One noisy
  // window would bias every prediction, so the network and its parts are
  // measured back to back kCalibrationRounds times and the median of the
  // differences is kept (the profiled parts above are not reused here).
  result.calibration_arch = kAllNoneCell;
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space.name));
  ASSIGN_OR_RETURN(const Architecture none_arch, search_space->Parse(kAllNoneCell));
  ASSIGN_OR_RETURN(const std::vector<OpShape> parts,
                   NetworkOpShapes(space, none_arch, settings.input));
  std::vector<double> differences, network_ms, parts_sums;
  for (int round = 0; round < kCalibrationRounds; ++round) {
    if (settings.progress) {
      settings.progress(absl::StrCat("calibration network (all cells none), round ", round + 1,
                                     "/", kCalibrationRounds));
    }
    std::map<OpShape, double> part_ms;
    for (const OpShape& p : parts) {
      if (part_ms.count(p) > 0) continue;
      ASSIGN_OR_RETURN(Runner run, MakeRunner(p, settings));
      ASSIGN_OR_RETURN(LatencyStats stats, Time(run, settings, cancel));
      part_ms[p] = stats.median_ms;
    }
    double sum = 0;
    for (const OpShape& p : parts) sum += part_ms.at(p);
    ASSIGN_OR_RETURN(LatencyStats whole,
                     MeasureNetworkUnsafe(space, kAllNoneCell, settings, cancel));
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
      "overhead_ms = %.5f: median over %d rounds of the all-none network timed whole minus "
      "its %d parts timed alone, back to back (ms: %s)",
      result.overhead_ms, kCalibrationRounds, static_cast<int>(parts.size()), rounds));
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
