// worker_throughput: candidates per hour a worker evaluates on one device,
// through the worker's own accuracy methods (RunAccuracyPlan: full training
// of a candidate at a fixed schedule, the same code edgenas-worker runs),
// with --slots candidates trained at once as edgenas-worker --slots does.
// The GPU figure that matters is this against the same schedule on 16 CPU
// threads, one candidate at a time. Optionally also trains the job's
// supernet once (--supernet_steps) and reports its seconds; run.sh samples
// GPU utilisation with nvidia-smi meanwhile.
//
//   worker_throughput --device cuda --slots 8 --candidates 32 --steps 400 --batch_size 128
//   worker_throughput --device cpu --threads 16 --slots 1 --candidates 4 --steps 400 ...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/proxy_fidelity/arch_sample.h"
#include "common/datasets.h"
#include "common/datasets/fashion_mnist_info.h"
#include "spaces/nb201/nb201_space.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"

ABSL_FLAG(std::string, device, "cpu", "cpu or cuda");
ABSL_FLAG(int, threads, 0, "intra-op threads (0 = the machine's cores)");
ABSL_FLAG(int, slots, 1, "candidates trained at once, as edgenas-worker --slots");
ABSL_FLAG(int, candidates, 8, "candidates to evaluate (distinct connected NB201 cells)");
ABSL_FLAG(int, steps, 400, "SGD steps per candidate (the schedule)");
ABSL_FLAG(int, batch_size, 128, "training batch size");
ABSL_FLAG(int, channels, 16, "first-stage width");
ABSL_FLAG(int, validation_examples, 2000, "held-out images per evaluation");
ABSL_FLAG(int, supernet_steps, 0, "also train the supernet for this many steps (0 = skip)");
ABSL_FLAG(uint64_t, seed, 1, "architecture draw and training seed");
ABSL_FLAG(std::string, dataset_dir, "", "Fashion-MNIST folder (default: the job default)");
ABSL_FLAG(std::string, json, "", "write the figures here as one JSON object");

namespace edgenas {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

AccuracyPlan BasePlan() {
  AccuracyPlan plan;
  plan.mode = "full_train";
  plan.job_id = "throughput";
  plan.space.name = "nb201";
  plan.space.options = {{"channels", absl::StrCat(absl::GetFlag(FLAGS_channels))},
                        {"cells_per_stage", "1"}};
  plan.job_seed = absl::GetFlag(FLAGS_seed);
  plan.dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  plan.input = FindDataset(kFashionMnistName)->shape;
  plan.validation_examples = absl::GetFlag(FLAGS_validation_examples);
  plan.batch_size = absl::GetFlag(FLAGS_batch_size);
  plan.learning_rate = 0.05;
  plan.train_steps = absl::GetFlag(FLAGS_steps);
  plan.full_steps = plan.train_steps;
  plan.supernet_steps = absl::GetFlag(FLAGS_supernet_steps);
  plan.calibration_examples = 512;
  return plan;
}

int Main() {
  const bool cuda = absl::GetFlag(FLAGS_device) == "cuda";
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int slots = std::max(1, absl::GetFlag(FLAGS_slots));
  const TrainingDeviceInfo device = DescribeTrainingDevice(cuda);
  if (cuda && !device.cuda) {
    std::fprintf(stderr, "worker_throughput: --device cuda but LibTorch sees no CUDA device\n");
    return 1;
  }
  auto archs = DrawConnectedNb201(absl::GetFlag(FLAGS_candidates), absl::GetFlag(FLAGS_seed));
  if (!archs.ok()) {
    std::fprintf(stderr, "worker_throughput: %s\n", archs.status().ToString().c_str());
    return 2;
  }
  MethodOptions options;
  options.threads = threads;
  options.allow_cuda = cuda;
  std::mutex store_mu;
  std::map<std::string, std::string> store;
  options.artifacts.upload = [&](const std::string& job, const std::string& name,
                                 const std::string& bytes) {
    std::lock_guard<std::mutex> lock(store_mu);
    store[job + "/" + name] = bytes;
    return absl::OkStatus();
  };
  options.artifacts.download = [&](const std::string& job,
                                   const std::string& name) -> absl::StatusOr<std::string> {
    std::lock_guard<std::mutex> lock(store_mu);
    auto it = store.find(job + "/" + name);
    if (it == store.end()) return absl::NotFoundError(name);
    return it->second;
  };
  Nb201Space space;
  const AccuracyPlan base = BasePlan();

  // Warm-up: one short run pays for CUDA context creation and data loading.
  {
    AccuracyPlan warm = base;
    warm.arch = space.Print((*archs)[0]);
    warm.train_steps = 5;
    auto r = RunAccuracyPlan(warm, options, nullptr);
    if (!r.ok()) {
      std::fprintf(stderr, "worker_throughput: warm-up: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<double> per_candidate(archs->size(), 0.0);
  std::vector<double> accuracy(archs->size(), 0.0);
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    while (true) {
      const int i = next.fetch_add(1);
      if (i >= static_cast<int>(archs->size())) return;
      AccuracyPlan plan = base;
      plan.arch = space.Print((*archs)[i]);
      const auto t = std::chrono::steady_clock::now();
      auto r = RunAccuracyPlan(plan, options, nullptr);
      per_candidate[i] = Since(t);
      if (!r.ok()) {
        ++failures;
        std::fprintf(stderr, "candidate %d: %s\n", i, r.status().ToString().c_str());
        continue;
      }
      for (const auto& m : r->metrics) {
        if (m.name == "accuracy") accuracy[i] = m.value;
      }
      std::fprintf(stderr, "candidate %2d  %6.2f s  accuracy %.4f  %s\n", i, per_candidate[i],
                   accuracy[i], plan.arch.c_str());
    }
  };
  std::vector<std::thread> pool;
  for (int s = 0; s < slots; ++s) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  const double wall = Since(start);
  const int done = static_cast<int>(archs->size()) - failures.load();
  const double per_hour = done > 0 ? 3600.0 * done / wall : 0.0;
  double mean_accuracy = 0.0;
  for (double a : accuracy) mean_accuracy += a;
  mean_accuracy /= std::max<size_t>(1, archs->size());

  double supernet_seconds = 0.0;
  if (base.supernet_steps > 0) {
    AccuracyPlan plan = base;
    plan.operation = kOpTrainSupernet;
    plan.mode = "supernet";
    const auto t = std::chrono::steady_clock::now();
    auto r = RunAccuracyPlan(plan, options, nullptr);
    supernet_seconds = Since(t);
    if (!r.ok()) std::fprintf(stderr, "supernet: %s\n", r.status().ToString().c_str());
  }

  const std::string where =
      cuda ? absl::StrCat("cuda (", device.device_count, " device(s))")
           : absl::StrCat("cpu, ", threads, " threads");
  std::printf(
      "worker_throughput: %s, %d slot(s): %d candidates of %d steps (batch %d, %d channels) "
      "in %.1f s -> %.0f candidates/hour (%.2f s per candidate in flight, mean accuracy %.4f, "
      "%d failed)\n",
      where.c_str(), slots, done, base.train_steps, base.batch_size,
      absl::GetFlag(FLAGS_channels), wall, per_hour, wall / std::max(1, done) * slots,
      mean_accuracy, failures.load());
  if (base.supernet_steps > 0) {
    std::printf("worker_throughput: supernet %d steps (batch %d) in %.1f s on %s\n",
                base.supernet_steps, base.batch_size, supernet_seconds, where.c_str());
  }
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << absl::StrFormat(
        "{\"device\": \"%s\", \"threads\": %d, \"slots\": %d, \"candidates\": %d, \"steps\": %d, "
        "\"batch_size\": %d, \"wall_seconds\": %.3f, \"candidates_per_hour\": %.1f, "
        "\"mean_accuracy\": %.5f, \"supernet_steps\": %d, \"supernet_seconds\": %.3f}\n",
        cuda ? "cuda" : "cpu", threads, slots, done, base.train_steps, base.batch_size, wall,
        per_hour, mean_accuracy, base.supernet_steps, supernet_seconds);
  }
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "candidates per hour through the worker's accuracy methods on one device");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
