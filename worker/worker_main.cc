// edgenas-worker: an accuracy worker. Registers with the coordinator, pulls
// TASK_ACCURACY tasks and trains/evaluates each candidate (CUDA when present
// and allowed, CPU otherwise), or, for jobs in evaluation.mode "table", looks
// its accuracy up in the job's table (no training, no LibTorch).
#include <unistd.h>

#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "executor/executor_loop.h"
#include "executor/signal_stop.h"
#include "common/logging.h"
#include "worker/accuracy_task.h"
#include "worker/table_accuracy_task.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:50051", "Coordinator TaskService address");
ABSL_FLAG(std::string, name, "", "Name shown by the coordinator (default: host name)");
ABSL_FLAG(int, threads, 1, "Torch intra-op threads on CPU");
ABSL_FLAG(std::string, dataset_dir, "", "Overrides the job's dataset directory when set");
ABSL_FLAG(bool, allow_cuda, true, "Train on CUDA when a GPU is available");

namespace edgenas {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "worker";
  return buf;
}

bool CudaAvailable() {
  try {
    return torch::cuda::is_available();
  } catch (const c10::Error&) {
    return false;
  }
}

int Main() {
  AccuracyTaskOptions task_options;
  task_options.dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  task_options.threads = absl::GetFlag(FLAGS_threads);
  task_options.allow_cuda = absl::GetFlag(FLAGS_allow_cuda);
  if (task_options.threads < 1) {
    std::fprintf(stderr, "edgenas-worker: --threads must be >= 1, got %d\n",
                 task_options.threads);
    return 2;
  }

  ExecutorOptions options;
  options.coordinator = absl::GetFlag(FLAGS_coordinator);
  options.kind = v1::WORKER;
  options.name = absl::GetFlag(FLAGS_name).empty() ? HostName() : absl::GetFlag(FLAGS_name);
  const bool cuda = task_options.allow_cuda && CudaAvailable();
  // Device classes route latency tasks to agents; a worker advertises its
  // hardware through accelerators instead.
  if (cuda) options.accelerators.push_back("cuda");
  const std::string device = cuda ? "cuda" : "cpu";
  options.capabilities.push_back("accuracy:full_train");
  options.capabilities.push_back("accuracy:table");  // routes "table" jobs' tasks here
  options.on_registered = [&options, &device](const std::string& id) {
    std::printf("edgenas-worker: registered executor_id=%s name=%s device=%s coordinator=%s\n",
                id.c_str(), options.name.c_str(), device.c_str(), options.coordinator.c_str());
    std::fflush(stdout);
  };

  return RunExecutorUntilStopped(
      "edgenas-worker", options, v1::TASK_ACCURACY,
      [task_options, tables = std::make_shared<TableAccuracyTasks>()](
          const v1::Task& task, const std::atomic<bool>* cancel) {
        if (IsTableAccuracyTask(task)) return tables->Run(task);
        return RunAccuracyTask(task, task_options, cancel);
      });
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
