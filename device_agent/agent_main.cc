// edgenas-agent: a device agent. Registers with the coordinator for one
// device class, pulls TASK_LATENCY tasks and answers them with its runner:
//   --runner=libtorch (default): measures on this machine (LibTorch CPU
//       latency; energy from powercap RAPL when readable);
//   --runner=replay: replays board measurements from a CSV table
//       (--replay_table, --replay_latency_column, [--replay_energy_column],
//       [--replay_arch_column]); see device_agent/replay_runner.h.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "executor/executor_loop.h"
#include "executor/signal_stop.h"
#include "common/logging.h"
#include "common/grpc_tls.h"
#include "common/metrics/metrics_server.h"
#include "executor/executor_metrics.h"
#include "device_agent/energy_meter.h"
#include "device_agent/latency_task.h"
#include "device_agent/replay_runner.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:50051", "Coordinator TaskService address");
ABSL_FLAG(std::string, name, "", "Name shown by the coordinator (default: host name)");
ABSL_FLAG(int, threads, 1, "Intra-op threads when the job does not set latency.threads");
ABSL_FLAG(std::string, device_class, "cpu", "Device class whose latency tasks to run");
ABSL_FLAG(std::string, powercap_root, "/sys/class/powercap", "Root of the powercap tree");
ABSL_FLAG(std::string, runner, "libtorch",
          "How latency tasks are answered: libtorch (measure on this machine) or replay "
          "(look them up in --replay_table: board measurements made earlier)");
ABSL_FLAG(std::string, replay_table, "", "--runner=replay: CSV table, header row required");
ABSL_FLAG(std::string, replay_latency_column, "",
          "--runner=replay: column with the latency in ms (required)");
ABSL_FLAG(std::string, replay_energy_column, "",
          "--runner=replay: column with the energy per inference in mJ (optional; without "
          "it, energy_mj is unavailable)");
ABSL_FLAG(std::string, replay_arch_column, "arch",
          "--runner=replay: column with the architecture strings");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA certificates to verify the coordinator with (TLS); empty: plaintext");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9466",
          "host:port of the Prometheus /metrics endpoint (port 0 lets the OS choose; \"off\" "
          "or empty disables it)");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the metrics endpoint's bound port is written here once serving");

namespace edgenas {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "agent";
  return buf;
}

// The replay runner from the --replay_* flags; errors name the flag.
absl::StatusOr<std::shared_ptr<const ReplayRunner>> CreateReplayRunner(
    const std::string& device_class) {
  ReplayOptions replay;
  replay.table = absl::GetFlag(FLAGS_replay_table);
  replay.latency_column = absl::GetFlag(FLAGS_replay_latency_column);
  replay.energy_column = absl::GetFlag(FLAGS_replay_energy_column);
  replay.arch_column = absl::GetFlag(FLAGS_replay_arch_column);
  replay.device_class = device_class;
  absl::StatusOr<std::unique_ptr<ReplayRunner>> runner = ReplayRunner::Create(std::move(replay));
  if (!runner.ok()) return runner.status();
  return std::shared_ptr<const ReplayRunner>(*std::move(runner));
}

int Main() {
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) {
    std::fprintf(stderr, "edgenas-agent: --threads must be >= 1, got %d\n", threads);
    return 2;
  }
  const std::string device_class = absl::GetFlag(FLAGS_device_class);
  if (device_class.empty()) {
    std::fprintf(stderr, "edgenas-agent: --device_class must not be empty\n");
    return 2;
  }

  ExecutorOptions options;
  options.coordinator = absl::GetFlag(FLAGS_coordinator);
  auto credentials = ClientCredentials(absl::GetFlag(FLAGS_tls_ca_file));
  if (!credentials.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }
  options.credentials = *credentials;
  options.kind = v1::DEVICE_AGENT;
  options.name = absl::GetFlag(FLAGS_name).empty() ? HostName() : absl::GetFlag(FLAGS_name);
  options.device_class = device_class;
  options.on_registered = [&options](const std::string& id) {
    std::printf("edgenas-agent: registered executor_id=%s name=%s device_class=%s coordinator=%s\n",
                id.c_str(), options.name.c_str(), options.device_class.c_str(),
                options.coordinator.c_str());
    std::fflush(stdout);
  };

  const std::string runner = absl::GetFlag(FLAGS_runner);
  auto registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<MetricsServer> metrics_server;
  // Started once the runner is known (the metrics say which one it is).
  auto start_metrics = [&registry, &metrics_server]() -> bool {
    auto server = StartMetricsFromFlags(absl::GetFlag(FLAGS_metrics_listen),
                                        absl::GetFlag(FLAGS_metrics_port_file), registry);
    if (!server.ok()) {
      std::fprintf(stderr, "edgenas-agent: %s\n", std::string(server.status().message()).c_str());
      return false;
    }
    metrics_server = *std::move(server);
    return true;
  };
  if (runner == "replay") {
    absl::StatusOr<std::shared_ptr<const ReplayRunner>> replay = CreateReplayRunner(device_class);
    if (!replay.ok()) {
      std::fprintf(stderr, "edgenas-agent: %s\n", std::string(replay.status().message()).c_str());
      return 2;
    }
    options.capabilities.push_back("latency:replay");
    if ((*replay)->has_energy()) {
      options.capabilities.push_back("energy_meter");  // routes energy tasks here
      options.capabilities.push_back("energy:replay");
    }
    EDGENAS_LOG(kInfo, "agent", "replay runner: ", (*replay)->NumRows(), " rows from ",
                absl::GetFlag(FLAGS_replay_table));
    AgentMetrics metrics(*registry, "replay", device_class,
                         (*replay)->has_energy() ? "replay" : "");
    if (!start_metrics()) return 1;
    return RunExecutorUntilStopped(
        "edgenas-agent", options, v1::TASK_LATENCY,
        metrics.Wrap([replay = *replay](const v1::Task& task, const std::atomic<bool>*) {
          return replay->Run(task);
        }));
  }
  if (runner != "libtorch") {
    std::fprintf(stderr,
                 "edgenas-agent: --runner: unknown runner \"%s\"; known: libtorch, replay\n",
                 runner.c_str());
    return 2;
  }
  for (const auto& [flag, value] :
       {std::pair{"--replay_table", absl::GetFlag(FLAGS_replay_table)},
        std::pair{"--replay_latency_column", absl::GetFlag(FLAGS_replay_latency_column)},
        std::pair{"--replay_energy_column", absl::GetFlag(FLAGS_replay_energy_column)}}) {
    if (!value.empty()) {
      std::fprintf(stderr, "edgenas-agent: %s: only used with --runner=replay\n", flag);
      return 2;
    }
  }

  LatencyTaskOptions task_options;
  task_options.device_class = device_class;
  task_options.powercap_root = absl::GetFlag(FLAGS_powercap_root);
  task_options.default_threads = threads;
  options.capabilities.push_back("latency:libtorch-cpu");
  // Probed once for the startup report; each task probes again, so a meter
  // that appears (or a permission granted) later is picked up.
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter =
      DetectEnergyMeter(task_options.powercap_root);
  if (meter.ok()) {
    options.capabilities.push_back("energy_meter");  // routes energy tasks here
    options.capabilities.push_back("energy:rapl");
    EDGENAS_LOG(kInfo, "agent", "energy meter ", (*meter)->Name());
  } else {
    EDGENAS_LOG(kInfo, "agent", "energy_mj unavailable: ", meter.status().message());
  }
  AgentMetrics metrics(*registry, "libtorch", device_class, meter.ok() ? "rapl" : "");
  if (!start_metrics()) return 1;
  return RunExecutorUntilStopped(
      "edgenas-agent", options, v1::TASK_LATENCY,
      metrics.Wrap([task_options](const v1::Task& task, const std::atomic<bool>* cancel) {
        return RunLatencyTask(task, task_options, cancel);
      }));
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask and
  // only the SignalStopper thread receives SIGTERM / SIGINT.
  if (absl::Status s = edgenas::BlockTerminationSignals(); !s.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::SetProgramUsageMessage("edgenas device agent: measures latency/energy tasks");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
