// edgenas-worker: an accuracy worker. Registers with the coordinator, pulls
// TASK_ACCURACY tasks and runs them (CUDA when present and allowed, CPU
// otherwise): full training of a candidate or finalist, a job's teacher or
// supernet, flash distillation, subnet evaluation; for jobs in
// evaluation.mode "table" it looks accuracy up in the job's table. Checkpoints
// travel through the coordinator's ArtifactService. This file includes no
// LibTorch header (see worker/accuracy_plan.h).
#include <unistd.h>

#include <thread>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "executor/artifact_client.h"
#include "executor/executor_loop.h"
#include "executor/result_spool.h"
#include "executor/signal_stop.h"
#include "common/logging.h"
#include "common/grpc_tls.h"
#include "common/metrics/metrics_server.h"
#include "executor/executor_metrics.h"
#include "worker/accuracy_methods.h"
#include "common/data_roots.h"
#include "common/cpu_affinity.h"
#include "worker/accuracy_task.h"
#include "worker/table_accuracy_task.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:50051", "Coordinator TaskService address");
ABSL_FLAG(std::string, name, "", "Name shown by the coordinator (default: host name)");
ABSL_FLAG(int, threads, 0, "Torch intra-op threads on CPU (0 = the machine's cores)");
ABSL_FLAG(std::string, cpus, "",
          "CPU list the worker is pinned to, e.g. \"0\" or \"0-2\" (sched_setaffinity), to keep "
          "training off the cores a device agent measures on; empty: not pinned");
ABSL_FLAG(std::string, dataset_dir, "", "Overrides the job's dataset directory when set");
ABSL_FLAG(std::string, data_root, edgenas::kDefaultDataRoots,
          "comma-separated folders a job's dataset.path and evaluation.table.path must lie in "
          "(after resolving .. and symlinks); \"/\" allows any");
ABSL_FLAG(bool, allow_cuda, true, "Train on CUDA when a GPU is available");
ABSL_FLAG(int, slots, 1,
          "Tasks run at once, each slot registered as its own executor: on a GPU, several "
          "small candidates share the device (its launch overhead, not its arithmetic, bounds "
          "one); on a CPU keep 1 and use --threads");
ABSL_FLAG(int64_t, max_artifact_mb, 1024, "Largest checkpoint this worker downloads");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA certificates to verify the coordinator with (TLS); empty: $EDGENAS_TLS_CA_FILE, "
          "else plaintext");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM client certificate for mutual TLS (with --tls_key_file; needs --tls_ca_file), naming "
          "this executor's role: edgenas://worker or CN=worker; empty: $EDGENAS_TLS_CERT_FILE");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of --tls_cert_file; empty: $EDGENAS_TLS_KEY_FILE");
ABSL_FLAG(std::string, spool_dir, "",
          "Folder where finished results wait until the coordinator has answered them, so "
          "that they survive coordinator outages and a restart of this process (default: "
          "$XDG_CACHE_HOME/edgenas/spool/worker-<name>, else ~/.cache/edgenas/spool/worker-<name>)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9465",
          "host:port of the Prometheus /metrics endpoint (port 0 lets the OS choose; \"off\" "
          "or empty disables it)");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the metrics endpoint's bound port is written here once serving");

namespace edgenas {
namespace {

// The executor id this thread registered as. Each slot's ExecutorLoop
// registers (on_registered) and runs its tasks on its own thread, and with
// --slots N each slot is its own executor, so the id that holds a task's
// lease is the one registered on the thread running the task.
thread_local std::string registered_executor_id;

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "worker";
  return buf;
}

int Main() {
  // Before any thread starts, so that every thread inherits the mask.
  if (const std::string cpus = absl::GetFlag(FLAGS_cpus); !cpus.empty()) {
    absl::StatusOr<std::vector<int>> parsed = ParseCpuList(cpus, "--cpus");
    absl::Status pinned = parsed.ok() ? PinProcessToCpus(*parsed, "--cpus") : parsed.status();
    if (!pinned.ok()) {
      std::fprintf(stderr, "edgenas-worker: %s\n", std::string(pinned.message()).c_str());
      return 2;
    }
  }
  AccuracyTaskOptions task_options;
  task_options.dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  task_options.threads = absl::GetFlag(FLAGS_threads);
  if (task_options.threads == 0) {
    task_options.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    // Pinned (or confined by a cpuset): as many threads as cores it may use.
    if (absl::StatusOr<std::vector<int>> allowed = AllowedCpus(); allowed.ok() && !allowed->empty()) {
      task_options.threads = std::min(task_options.threads, static_cast<int>(allowed->size()));
    }
  }
  task_options.allow_cuda = absl::GetFlag(FLAGS_allow_cuda);
  if (task_options.threads < 1) {
    std::fprintf(stderr, "edgenas-worker: --threads must be >= 0, got %d\n",
                 task_options.threads);
    return 2;
  }

  absl::StatusOr<std::vector<std::string>> data_roots =
      ParseDataRoots(absl::GetFlag(FLAGS_data_root), "--data_root");
  if (!data_roots.ok()) {
    std::fprintf(stderr, "edgenas-worker: %s\n", std::string(data_roots.status().message()).c_str());
    return 2;
  }
  // Every file of an image folder is checked too (a CSV may point anywhere);
  // an operator's --dataset_dir is trusted as a whole.
  if (task_options.dataset_dir.empty()) task_options.data_roots = *data_roots;

  ExecutorOptions options;
  options.coordinator = absl::GetFlag(FLAGS_coordinator);
  auto credentials = ClientCredentials(ClientTlsFilesFromFlagsOrEnv(
      absl::GetFlag(FLAGS_tls_ca_file), absl::GetFlag(FLAGS_tls_cert_file),
      absl::GetFlag(FLAGS_tls_key_file)));
  if (!credentials.ok()) {
    std::fprintf(stderr, "edgenas-worker: %s\n", std::string(credentials.status().message()).c_str());
    return 2;
  }
  options.credentials = *credentials;
  options.kind = v1::WORKER;
  options.name = absl::GetFlag(FLAGS_name).empty() ? HostName() : absl::GetFlag(FLAGS_name);
  options.spool_dir = absl::GetFlag(FLAGS_spool_dir).empty()
                          ? DefaultSpoolDir("worker", options.name)
                          : absl::GetFlag(FLAGS_spool_dir);
  const TrainingDeviceInfo device = DescribeTrainingDevice(task_options.allow_cuda);
  // Device classes route latency tasks to agents; a worker advertises its
  // hardware through accelerators and capabilities instead.
  if (device.cuda) {
    options.accelerators.push_back(absl::StrCat(device.name, " (", device.device_count,
                                                " CUDA device(s))"));
    options.capabilities.push_back("cuda");
  } else {
    options.accelerators.push_back(
        absl::StrCat("cpu threads=", task_options.threads,
                     device.memory_bytes > 0
                         ? absl::StrCat(" memory_mib=", device.memory_bytes >> 20)
                         : std::string()));
    options.capabilities.push_back("cpu");
  }
  options.capabilities.push_back(absl::StrCat("threads:", task_options.threads));
  std::vector<std::string> modes = AccuracyEvaluationModes();
  modes.push_back(kTableMode);  // answered by TableAccuracyTasks, without LibTorch
  for (const std::string& mode : modes) {
    options.capabilities.push_back(absl::StrCat("accuracy:", mode));
  }
  auto artifacts = std::make_shared<ArtifactClient>(options.coordinator, options.credentials);
  const int64_t max_bytes = absl::GetFlag(FLAGS_max_artifact_mb) << 20;
  // Uploads name the task they belong to: bound per task below, with this
  // slot's executor id.
  task_options.artifacts.download = [artifacts, max_bytes](const std::string& job_id,
                                                           const std::string& name) {
    return artifacts->Download(job_id, name, max_bytes);
  };
  task_options.artifacts.content_hash =
      [artifacts](const std::string& job_id,
                  const std::string& name) -> absl::StatusOr<std::string> {
    absl::StatusOr<ArtifactInfo> info = artifacts->Stat(job_id, name);
    if (!info.ok()) return info.status();
    return info->sha256;
  };
  const std::string device_name = device.cuda ? "cuda" : "cpu";
  options.on_registered = [&options, device_name, threads = task_options.threads](
                              const std::string& id) {
    registered_executor_id = id;
    std::printf(
        "edgenas-worker: registered executor_id=%s name=%s device=%s threads=%d "
        "coordinator=%s\n",
        id.c_str(), options.name.c_str(), device_name.c_str(), threads,
        options.coordinator.c_str());
    std::fflush(stdout);
  };

  auto registry = std::make_shared<prometheus::Registry>();
  WorkerMetrics metrics(*registry, device_name, options.accelerators.front());
  auto metrics_server = StartMetricsFromFlags(absl::GetFlag(FLAGS_metrics_listen),
                                              absl::GetFlag(FLAGS_metrics_port_file), registry);
  if (!metrics_server.ok()) {
    std::fprintf(stderr, "edgenas-worker: %s\n",
                 std::string(metrics_server.status().message()).c_str());
    return 1;
  }
  return RunExecutorUntilStopped(
      "edgenas-worker", options, v1::TASK_ACCURACY,
      metrics.Wrap([task_options, roots = *data_roots, artifacts,
                    tables = std::make_shared<TableAccuracyTasks>()](
                       const v1::Task& task,
                       const std::atomic<bool>* cancel) -> absl::StatusOr<TaskOutcome> {
        if (absl::Status allowed = CheckTaskDataPaths(task, roots, task_options.dataset_dir);
            !allowed.ok()) {
          return allowed;
        }
        if (IsTableAccuracyTask(task)) return tables->Run(task);
        AccuracyTaskOptions run_options = task_options;
        run_options.artifacts.upload =
            [artifacts, uploader = ArtifactUploader{registered_executor_id, task.task_id(),
                                                    task.lease_token()}](
                const std::string& job_id, const std::string& name, const std::string& bytes) {
              return artifacts->Upload(job_id, name, bytes, uploader).status();
            };
        return RunAccuracyTask(task, run_options, cancel);
      }),
      absl::GetFlag(FLAGS_slots));
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  // Before any thread exists (torch and gRPC start their own), so that only
  // the SignalStopper thread receives SIGTERM / SIGINT.
  if (absl::Status s = edgenas::BlockTerminationSignals(); !s.ok()) {
    std::fprintf(stderr, "edgenas-worker: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::SetProgramUsageMessage("edgenas worker: trains and evaluates accuracy tasks");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
