#include "device_agent/runners/runner_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device_agent/runners/external_runner.h"
#include "device_agent/runners/onnx_runner.h"
#include "device_agent/runners/replay_runner.h"
#include "device_agent/runners/torch_runner.h"

namespace edgenas {

const std::vector<RunnerRegistration>& RegisteredRunners() {
  static const auto* runners = new std::vector<RunnerRegistration>{
      {"libtorch", CreateTorchRunnerFromFlags, nullptr},
      {"onnx", CreateOnnxRunnerFromFlags, nullptr},
      {"external", CreateExternalRunnerFromFlags, ExternalFlagsUnused},
      {"replay", CreateReplayRunnerFromFlags, ReplayFlagsUnused},
  };
  return *runners;
}

std::vector<std::string> RunnerNames() {
  std::vector<std::string> names;
  for (const RunnerRegistration& r : RegisteredRunners()) names.push_back(r.name);
  return names;
}

absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateRunner(const std::string& name,
                                                            const RunnerContext& context) {
  const RunnerRegistration* selected = nullptr;
  for (const RunnerRegistration& r : RegisteredRunners()) {
    if (r.name == name) selected = &r;
  }
  if (selected == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--runner: unknown runner \"", name,
                                                   "\"; known: ",
                                                   absl::StrJoin(RunnerNames(), ", ")));
  }
  for (const RunnerRegistration& r : RegisteredRunners()) {
    if (&r == selected || !r.flags_unused) continue;
    if (absl::Status unused = r.flags_unused(name); !unused.ok()) return unused;
  }
  return selected->create(context);
}

}  // namespace edgenas
