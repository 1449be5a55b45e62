// edgenas-agent: a device agent. Registers with the coordinator for one
// device class, pulls TASK_LATENCY tasks and answers them with its runner:
//   --runner=libtorch (default): measures on this machine (LibTorch CPU
//       latency; energy from the meter --energy_meter picks: auto, none,
//       rapl, ina3221, tegrastats, pi5_pmic or command; see
//       device_agent/energy/energy_meter_registry.h);
//   --runner=replay: replays board measurements from a CSV table
//       (--replay_table, --replay_latency_column, [--replay_energy_column],
//       [--replay_arch_column]); see device_agent/runners/replay_runner.h;
//   --runner=onnx: exports each candidate to ONNX and measures it through
//       OpenCV DNN on this machine's CPU (device_agent/runners/onnx_runner.h);
//   --runner=external: exports each candidate to ONNX and runs a measuring
//       tool on it (--external_command, --external_latency_pattern,
//       --external_name, [--external_latency_unit], [--external_timeout_s]);
//       see device_agent/runners/external_runner.h.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "executor/executor_loop.h"
#include "executor/result_spool.h"
#include "executor/signal_stop.h"
#include "common/logging.h"
#include "common/grpc_tls.h"
#include "common/metrics/metrics_server.h"
#include "executor/executor_metrics.h"
#include "device_agent/profile/profile_command.h"
#include "device_agent/runners/latency_runner.h"
#include "device_agent/runners/runner_registry.h"
#include "device_agent/device_descriptor.h"
#include "device_agent/torch_version.h"
#include "common/cpu_affinity.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:50051", "Coordinator TaskService address");
ABSL_FLAG(int, register_timeout_s, 0,
          "Give up when the coordinator stays unreachable this long while (re-)registering; "
          "0 (default) keeps retrying with backoff forever, as a board agent should");
ABSL_FLAG(std::string, name, "", "Name shown by the coordinator (default: host name)");
ABSL_FLAG(int, threads, 1, "Intra-op threads when the job does not set latency.threads");
ABSL_FLAG(std::string, device_class, "cpu", "Device class whose latency tasks to run");
ABSL_FLAG(std::string, cpus, "",
          "CPU list the agent (and so every measurement) is pinned to, e.g. \"1\" or \"2-3\" "
          "(sched_setaffinity); empty: not pinned");
ABSL_FLAG(std::string, emulated, "auto",
          "whether this agent runs emulated (e.g. an arm64 binary under qemu-user): auto "
          "(detect from QEMU_* variables and /proc/cpuinfo), true or false");
ABSL_FLAG(bool, speed_reference, false,
          "--runner=libtorch on a shared or virtual machine: time a fixed reference kernel "
          "between the blocks of every measurement and report latency scaled to the kernel's "
          "speed calibrated at the first task (device_agent/speed_reference.h); the method "
          "line keeps the raw median. Off: raw wall-clock latency");
ABSL_FLAG(std::string, speed_reference_file, "default",
          "--speed_reference: file of the fastest reference calibrations on this machine, so "
          "that every run reports at the machine's quiet speed (default: "
          "$XDG_CACHE_HOME/edgenas/speed_reference.tsv, else ~/.cache/...; \"\" = keep none)");
ABSL_FLAG(std::string, runner, "libtorch",
          "How latency tasks are answered: libtorch (measure on this machine), onnx (the "
          "exported ONNX model through OpenCV DNN on this machine), external (an external tool "
          "measures the exported model: --external_*) or replay (look them up in "
          "--replay_table: board measurements made earlier)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA certificates to verify the coordinator with (TLS); empty: $EDGENAS_TLS_CA_FILE, "
          "else plaintext");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM client certificate for mutual TLS (with --tls_key_file; needs --tls_ca_file), naming "
          "this executor's role: edgenas://agent/<device_class> or CN=agent:<device_class>; empty: $EDGENAS_TLS_CERT_FILE");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file; empty: $EDGENAS_TLS_KEY_FILE");
ABSL_FLAG(std::string, spool_dir, "",
          "Folder where finished results wait until the coordinator has answered them, so "
          "that they survive coordinator outages and a restart of this process (default: "
          "$XDG_CACHE_HOME/edgenas/spool/agent-<name>, else ~/.cache/edgenas/spool/agent-<name>)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9466",
          "host:port of the Prometheus /metrics endpoint (port 0 lets the OS choose; \"off\" "
          "or empty disables it)");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the metrics endpoint's bound port is written here once serving");

namespace edgenas {
namespace {

// --speed_reference_file, with "default" resolved under the cache folder.
std::string SpeedRecordPath() {
  const std::string flag = absl::GetFlag(FLAGS_speed_reference_file);
  if (flag != "default") return flag;
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache != nullptr && *cache != '\0') return std::string(cache) + "/edgenas/speed_reference.tsv";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') {
    return std::string(home) + "/.cache/edgenas/speed_reference.tsv";
  }
  return "";
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "agent";
  return buf;
}

// Pins the process to --cpus (before any thread starts, so that all inherit
// the mask); fills *cpus. False after printing the error.
bool PinFromFlags(std::vector<int>* cpus) {
  const std::string text = absl::GetFlag(FLAGS_cpus);
  if (text.empty()) return true;
  absl::StatusOr<std::vector<int>> parsed = ParseCpuList(text, "--cpus");
  absl::Status pinned = parsed.ok() ? PinProcessToCpus(*parsed, "--cpus") : parsed.status();
  if (!pinned.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n", std::string(pinned.message()).c_str());
    return false;
  }
  *cpus = *parsed;
  return true;
}

// The descriptor sent at registration and stamped on every metric.
v1::DeviceDescriptor AgentDevice(const std::string& device_class, const std::vector<int>& cpus,
                                 int threads, int emulated, const std::string& runner,
                                 const std::string& runner_version,
                                 const std::string& energy_meter) {
  DeviceProbeOptions probe;
  probe.device_class = device_class;
  probe.cpus = cpus;
  probe.threads = threads;
  probe.emulated = emulated;
  probe.runner = runner;
  probe.runner_version = runner_version;
  probe.energy_meter = energy_meter;
  v1::DeviceDescriptor device = DescribeDevice(probe);
  EDGENAS_LOG(kInfo, "agent", "device ", DescribeDeviceLine(device));
  return device;
}

int Main(bool profile) {
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1) {
    std::fprintf(stderr, "edgenas-agent: --threads must be >= 1, got %d\n", threads);
    return 2;
  }
  std::vector<int> cpus;
  if (!PinFromFlags(&cpus)) return 2;
  const std::string emulated_flag = absl::GetFlag(FLAGS_emulated);
  if (emulated_flag != "auto" && emulated_flag != "true" && emulated_flag != "false") {
    std::fprintf(stderr, "edgenas-agent: --emulated: must be auto, true or false, got \"%s\"\n",
                 emulated_flag.c_str());
    return 2;
  }
  const int emulated = emulated_flag == "auto" ? -1 : (emulated_flag == "true" ? 1 : 0);
  const std::string device_class = absl::GetFlag(FLAGS_device_class);
  if (device_class.empty()) {
    std::fprintf(stderr, "edgenas-agent: --device_class must not be empty\n");
    return 2;
  }

  ExecutorOptions options;
  options.coordinator = absl::GetFlag(FLAGS_coordinator);
  if (absl::GetFlag(FLAGS_register_timeout_s) < 0) {
    std::fprintf(stderr, "edgenas-agent: --register_timeout_s must be >= 0, got %d\n",
                 absl::GetFlag(FLAGS_register_timeout_s));
    return 2;
  }
  options.register_timeout_ms = absl::GetFlag(FLAGS_register_timeout_s) * 1000;
  auto credentials = ClientCredentials(ClientTlsFilesFromFlagsOrEnv(
      absl::GetFlag(FLAGS_tls_ca_file), absl::GetFlag(FLAGS_tls_cert_file),
      absl::GetFlag(FLAGS_tls_key_file)));
  if (!credentials.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }
  options.credentials = *credentials;
  options.kind = v1::DEVICE_AGENT;
  options.name = absl::GetFlag(FLAGS_name).empty() ? HostName() : absl::GetFlag(FLAGS_name);
  options.spool_dir = absl::GetFlag(FLAGS_spool_dir).empty()
                          ? DefaultSpoolDir("agent", options.name)
                          : absl::GetFlag(FLAGS_spool_dir);
  if (profile) {  // `edgenas-agent profile`: device_agent/profile/profile_command.h
    return RunProfileCommand(ProfileCommandOptions{
        options.coordinator, options.credentials, device_class, options.name, threads,
        AgentDevice(device_class, cpus, threads, emulated, "libtorch-cpu", LibTorchVersion(), ""),
        absl::GetFlag(FLAGS_speed_reference), SpeedRecordPath()});
  }
  options.device_class = device_class;
  options.on_registered = [&options](const std::string& id) {
    std::printf("edgenas-agent: registered executor_id=%s name=%s device_class=%s coordinator=%s\n",
                id.c_str(), options.name.c_str(), options.device_class.c_str(),
                options.coordinator.c_str());
    std::fflush(stdout);
  };

  const std::string runner_name = absl::GetFlag(FLAGS_runner);
  if (absl::GetFlag(FLAGS_speed_reference) && runner_name != "libtorch") {
    std::fprintf(stderr,
                 "edgenas-agent: --speed_reference: only with --runner=libtorch (the reference "
                 "kernel runs on LibTorch), got --runner=%s\n",
                 runner_name.c_str());
    return 2;
  }
  // One path for every runner: built by name from its flags, then every
  // task goes through the LatencyRunner interface.
  RunnerContext context;
  context.device_class = device_class;
  context.default_threads = threads;
  context.speed_reference = absl::GetFlag(FLAGS_speed_reference);
  context.speed_reference_file = SpeedRecordPath();
  context.describe_device = [&](const std::string& runner, const std::string& version,
                                const std::string& energy_meter) {
    return AgentDevice(device_class, cpus, threads, emulated, runner, version, energy_meter);
  };
  absl::StatusOr<std::unique_ptr<LatencyRunner>> created = CreateRunner(runner_name, context);
  if (!created.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n", std::string(created.status().message()).c_str());
    return 2;
  }
  std::shared_ptr<LatencyRunner> runner = *std::move(created);
  const RunnerInfo& info = runner->info();
  options.capabilities = info.capabilities;
  options.device = info.device;

  auto registry = std::make_shared<prometheus::Registry>();
  AgentMetrics metrics(*registry, info.name, device_class, info.energy_meter_kind);
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics_server = StartMetricsFromFlags(
      absl::GetFlag(FLAGS_metrics_listen), absl::GetFlag(FLAGS_metrics_port_file), registry);
  if (!metrics_server.ok()) {
    std::fprintf(stderr, "edgenas-agent: %s\n",
                 std::string(metrics_server.status().message()).c_str());
    return 1;
  }
  return RunExecutorUntilStopped(
      "edgenas-agent", options, v1::TASK_LATENCY,
      metrics.Wrap([runner](const v1::Task& task, const std::atomic<bool>* cancel) {
        return runner->Run(task, cancel);
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
  absl::SetProgramUsageMessage(
      "edgenas device agent: measures latency/energy tasks; `edgenas-agent profile` makes a "
      "per-operator latency table (device_agent/profile/profile_command.h)");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const bool profile = args.size() > 1 && std::string(args[1]) == "profile";
  if (args.size() > (profile ? 2 : 1)) {
    std::fprintf(stderr, "edgenas-agent: unexpected argument \"%s\" (subcommands: profile)\n",
                 args[profile ? 2 : 1]);
    return 2;
  }
  return edgenas::Main(profile);
}
