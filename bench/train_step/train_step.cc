// train_step: trains the NB201 network for --steps SGD steps through the
// worker's own path (BuildNb201Network + TrainAndEvaluate) on Fashion-MNIST
// held in memory, and prints images/s and seconds per step (median over
// --repeats). train_step.py does the same in PyTorch; run.sh puts the two
// side by side. See README.md.
//
//   train_step [--arch STR] [--channels 16] [--cells_per_stage 1]
//       [--batch_size 64] [--steps 200] [--threads N] [--warmup_steps 10]
//       [--repeats 3] [--seed 0] [--dataset_dir DIR] [--device cpu|cuda]
//       [--json OUT]
//
// Each repeat (and the warm-up) seeds LibTorch, builds a fresh network and
// trains it with TrainAndEvaluate; the figure is TrainAndEvaluate's own
// train_seconds (the SGD loop only: batch gather, forward, loss.item(),
// backward, step). Its evaluation afterwards is untimed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>
#include <torch/version.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/model/network_util.h"
#include "spaces/nb201/nb201_model.h"
#include "spaces/nb201/nb201_space.h"
#include "worker/fashion_mnist.h"
#include "worker/trainer.h"

ABSL_FLAG(std::string, arch,
          "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
          "skip_connect~2|",
          "NB201 architecture string");
ABSL_FLAG(int, channels, 16, "channels of the first stage (doubled at each reduction)");
ABSL_FLAG(int, cells_per_stage, 1, "cells per stage");
ABSL_FLAG(int, batch_size, 64, "training batch size");
ABSL_FLAG(int, steps, 200, "timed SGD steps per repeat (also the cosine schedule's length)");
ABSL_FLAG(int, threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "torch intra-op threads (default: number of cores)");
ABSL_FLAG(int, warmup_steps, 10, "untimed steps on a throw-away network first (0: none)");
ABSL_FLAG(int, repeats, 3, "timed runs of --steps steps, each on a freshly built network");
ABSL_FLAG(int, seed, 0, "seeds weight initialisation (torch::manual_seed) and batch order");
ABSL_FLAG(std::string, dataset_dir, edgenas::kDefaultFashionMnistDir,
          "directory with the four Fashion-MNIST IDX files (.gz or plain)");
ABSL_FLAG(std::string, device, "cpu", "cpu or cuda (cuda fails when LibTorch has none)");
ABSL_FLAG(int, eval_examples, 1000,
          "first N test images for the untimed accuracy check after each run");
ABSL_FLAG(std::string, json, "", "write the figures here as one JSON object");

namespace edgenas {
namespace {

struct BenchConfig {
  std::string arch;
  Nb201ModelOptions model;
  TrainOptions train;
  int warmup_steps = 0;
  int repeats = 0;
  uint64_t seed = 0;
  std::string device;
  int eval_examples = 0;
};

struct RepeatResult {
  double seconds = 0.0;
  double final_loss = 0.0;
  double accuracy = 0.0;
};

absl::StatusOr<BenchConfig> ConfigFromFlags() {
  BenchConfig c;
  c.arch = absl::GetFlag(FLAGS_arch);
  c.model.channels = absl::GetFlag(FLAGS_channels);
  c.model.cells_per_stage = absl::GetFlag(FLAGS_cells_per_stage);
  c.model.in_channels = kFashionMnistChannels;  // the bench trains on Fashion-MNIST
  c.model.num_classes = kFashionMnistClasses;
  c.train.batch_size = absl::GetFlag(FLAGS_batch_size);
  c.train.steps = absl::GetFlag(FLAGS_steps);
  c.train.threads = absl::GetFlag(FLAGS_threads);
  c.warmup_steps = absl::GetFlag(FLAGS_warmup_steps);
  c.repeats = absl::GetFlag(FLAGS_repeats);
  c.seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_seed));
  c.device = absl::GetFlag(FLAGS_device);
  c.eval_examples = absl::GetFlag(FLAGS_eval_examples);
  c.train.seed = c.seed;
  if (c.device != "cpu" && c.device != "cuda") {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: \"", c.device, "\" is neither cpu nor cuda"));
  }
  c.train.allow_cuda = c.device == "cuda";
  if (c.train.allow_cuda && !torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        "--device=cuda: this LibTorch build sees no CUDA device (Debian's libtorch is CPU-only)");
  }
  if (c.train.steps < 1 || c.repeats < 1 || c.warmup_steps < 0 || c.eval_examples < 1) {
    return absl::InvalidArgumentError(
        "--steps, --repeats and --eval_examples must be >= 1; --warmup_steps >= 0");
  }
  return c;
}

// Sum of |w| over all parameters, in double, in registration order: equal
// values on both sides mean the same layers got the same initial weights.
double InitChecksum(const torch::nn::Module& module) {
  double total = 0.0;
  for (const torch::Tensor& p : module.parameters(/*recurse=*/true)) {
    total += p.detach().to(torch::kFloat64).abs().sum().item<double>();
  }
  return total;
}

struct BuiltModel {
  torch::nn::AnyModule module;
  int64_t params = 0;
  double init_checksum = 0.0;
};

// Seeds LibTorch and builds the network, as the worker does for a candidate.
absl::StatusOr<BuiltModel> Build(const Architecture& arch, const BenchConfig& c) {
  SeedTorch(c.seed);
  absl::StatusOr<torch::nn::AnyModule> module = BuildNb201Network(arch, c.model);
  if (!module.ok()) return module.status();
  BuiltModel built;
  built.module = std::move(*module);
  built.params = CountParameters(*built.module.ptr());
  built.init_checksum = InitChecksum(*built.module.ptr());
  return built;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out + "\"";
}

absl::Status Run() {
  absl::StatusOr<BenchConfig> config = ConfigFromFlags();
  if (!config.ok()) return config.status();
  const BenchConfig& c = *config;
  absl::StatusOr<Architecture> arch = Nb201Space().Parse(c.arch);
  if (!arch.ok()) return arch.status();
  torch::set_num_threads(c.train.threads);

  const std::string dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  absl::StatusOr<FashionMnist> data = LoadFashionMnist(dataset_dir);
  if (!data.ok()) return data.status();
  LabeledData check;  // untimed accuracy check after each run
  const int64_t eval_n = std::min<int64_t>(c.eval_examples, data->test.size());
  check.images = data->test.images.narrow(0, 0, eval_n);
  check.labels = data->test.labels.narrow(0, 0, eval_n);

  std::printf("train_step [LibTorch %s, C++]: device %s, %d threads, arch %s, channels %d, "
              "cells/stage %d, batch %d, %d steps x %d repeats after %d warm-up steps, seed %llu, "
              "%lld training images in memory (%s)\n",
              TORCH_VERSION, c.device.c_str(), c.train.threads, c.arch.c_str(),
              c.model.channels, c.model.cells_per_stage, c.train.batch_size, c.train.steps,
              c.repeats, c.warmup_steps, static_cast<unsigned long long>(c.seed),
              static_cast<long long>(data->train.size()), dataset_dir.c_str());

  if (c.warmup_steps > 0) {
    absl::StatusOr<BuiltModel> warm = Build(*arch, c);
    if (!warm.ok()) return warm.status();
    TrainOptions options = c.train;
    options.steps = c.warmup_steps;
    absl::StatusOr<TrainResult> r =
        TrainAndEvaluate(warm->module, data->train, check, options, /*cancel=*/nullptr);
    if (!r.ok()) return r.status();
  }

  int64_t params = 0;
  double init_checksum = 0.0;
  std::string device_used;
  std::vector<RepeatResult> repeats;
  for (int i = 0; i < c.repeats; ++i) {
    absl::StatusOr<BuiltModel> built = Build(*arch, c);
    if (!built.ok()) return built.status();
    params = built->params;
    init_checksum = built->init_checksum;
    absl::StatusOr<TrainResult> r =
        TrainAndEvaluate(built->module, data->train, check, c.train, /*cancel=*/nullptr);
    if (!r.ok()) return r.status();
    device_used = r->device;
    repeats.push_back({r->train_seconds, r->final_loss, r->accuracy});
    std::printf("  repeat %d: %d steps in %.3f s (%.2f ms/step), final loss %.4f, "
                "accuracy on first %lld test images %.4f\n",
                i + 1, r->steps, r->train_seconds, 1e3 * r->train_seconds / r->steps,
                r->final_loss, static_cast<long long>(eval_n), r->accuracy);
  }

  std::vector<double> seconds;
  for (const RepeatResult& r : repeats) seconds.push_back(r.seconds);
  const double median = Median(seconds);
  const double per_step = median / c.train.steps;
  const double images_per_second = c.train.batch_size * c.train.steps / median;
  std::printf("parameters: %lld (init checksum %.9g)\n", static_cast<long long>(params),
              init_checksum);
  std::printf("median of %d: %.3f s for %d steps, %.2f ms/step, %.1f images/s "
              "[LibTorch %s, %s, %d threads]\n",
              c.repeats, median, c.train.steps, 1e3 * per_step, images_per_second, TORCH_VERSION,
              device_used.c_str(), c.train.threads);

  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    std::vector<std::string> secs, losses, accs;
    for (const RepeatResult& r : repeats) {
      secs.push_back(absl::StrFormat("%.6f", r.seconds));
      losses.push_back(absl::StrFormat("%.6f", r.final_loss));
      accs.push_back(absl::StrFormat("%.4f", r.accuracy));
    }
    const std::string json = absl::StrCat(
        "{\"impl\": \"libtorch\", \"language\": \"C++\", \"torch_version\": ",
        JsonString(TORCH_VERSION), ", \"device\": ", JsonString(device_used),
        ", \"threads\": ", c.train.threads, ", \"arch\": ", JsonString(c.arch),
        ", \"channels\": ", c.model.channels, ", \"cells_per_stage\": ", c.model.cells_per_stage,
        ", \"batch_size\": ", c.train.batch_size, ", \"steps\": ", c.train.steps,
        ", \"warmup_steps\": ", c.warmup_steps, ", \"repeats\": ", c.repeats,
        ", \"seed\": ", c.seed, ", \"train_examples\": ", data->train.size(),
        ", \"params\": ", params, ", \"init_checksum\": ", absl::StrFormat("%.12g", init_checksum),
        ", \"repeat_seconds\": [", absl::StrJoin(secs, ", "), "]",
        ", \"median_seconds\": ", absl::StrFormat("%.6f", median),
        ", \"seconds_per_step\": ", absl::StrFormat("%.6f", per_step),
        ", \"images_per_second\": ", absl::StrFormat("%.2f", images_per_second),
        ", \"final_loss\": [", absl::StrJoin(losses, ", "), "]",
        ", \"eval_examples\": ", eval_n, ", \"accuracy\": [", absl::StrJoin(accs, ", "), "]}\n");
    std::ofstream out(json_path);
    out << json;
    if (!out) return absl::UnavailableError(absl::StrCat("--json: cannot write ", json_path));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains the NB201 network for --steps steps with the worker's TrainAndEvaluate and "
      "prints images/s and seconds per step (median over --repeats).");
  absl::ParseCommandLine(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines through pipes, as they come
  if (absl::Status s = edgenas::Run(); !s.ok()) {
    std::fprintf(stderr, "train_step: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
