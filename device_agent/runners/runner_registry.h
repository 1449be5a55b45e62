// The latency runners the agent knows, by name: --runner=<name> selects one
// and the registry builds it from its flags (latency_runner.h). A new runner
// is one .cc in this folder (its class, its flags, its factory) plus one
// line in runner_registry.cc.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_RUNNER_REGISTRY_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_RUNNER_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "device_agent/runners/latency_runner.h"

namespace edgenas {

struct RunnerRegistration {
  std::string name;  // the --runner value
  // Builds the runner from its own flags and the agent's context;
  // INVALID_ARGUMENT naming the flag for a bad value.
  std::function<absl::StatusOr<std::unique_ptr<LatencyRunner>>(const RunnerContext&)> create;
  // INVALID_ARGUMENT naming the first of this runner's own flags that is set
  // although --runner=`selected` names another runner; null: it has none.
  std::function<absl::Status(const std::string& selected)> flags_unused;
};

// Every runner, in the order --runner's help lists them (libtorch first:
// the default).
const std::vector<RunnerRegistration>& RegisteredRunners();

// Their names, in that order.
std::vector<std::string> RunnerNames();

// The runner `name` built from its flags. INVALID_ARGUMENT for an unknown
// name ("--runner: unknown runner ...; known: ..."), for a flag of another
// runner that is set (see flags_unused), or as its factory.
absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateRunner(const std::string& name,
                                                            const RunnerContext& context);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_RUNNER_REGISTRY_H_
