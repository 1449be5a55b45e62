// proxy_fidelity: how well the worker's cheap accuracy proxies rank the
// architectures of a space (--space nb201 or mbv3) against full training.
// Draws --archs distinct architectures with --seed (NB201: connected cells),
// then runs through RunAccuracyPlan (the worker's own path, artifacts in an
// in-memory map):
//   once:     train_teacher (flash_distill), train_supernet (supernet);
//   per cell: full_train (the finalist path, --full_steps), flash
//             distillation (--distill_fraction x --full_steps steps),
//             supernet evaluation (inherited weights, BN recalibrated);
// and prints Kendall tau-b / Spearman rho of each proxy's accuracies against
// full training, with seconds per candidate (own and amortised over the
// one-off training) beside full training's, and the supernet's training
// cost per step (--step_cost_steps). See README.md.
//
//   proxy_fidelity [--space nb201|mbv3] [--space_options "k=v;k=v"]
//       [--archs 30] [--seed 1] [--full_steps N] [--threads N]
//       [--device cpu|cuda] [--json OUT] [--csv OUT] [--skip_flash]
//       [--skip_supernet] ...   (--help lists all)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/proxy_fidelity/arch_sample.h"
#include "bench/proxy_fidelity/fidelity_report.h"
#include "bench/proxy_fidelity/supernet_step_cost.h"
#include "common/datasets.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/csv_table.h"
#include "common/job_defaults.h"
#include "common/metric_names.h"
#include "common/space_registry.h"
#include "spaces/mbv3/mbv3_space.h"
#include "spaces/nb201/nb201_space.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"

ABSL_FLAG(std::string, space, "nb201", "the search space: nb201 or mbv3");
ABSL_FLAG(std::string, space_options, "",
          "options of the space as key=value pairs separated by ';' (e.g. "
          "\"stages=2;channels=16,24\"); unset keys take the space's defaults (NB201: "
          "--channels and --cells_per_stage)");
ABSL_FLAG(int, archs, 30, "distinct architectures to rank (NB201: connected cells)");
ABSL_FLAG(int, seed, 1, "draws the cells; also the job seed (weight init and batch order)");
ABSL_FLAG(int, full_steps, 600,
          "full-training steps per cell (the reference ranking; job default 2000); 600 keeps "
          "the default run within ~90 minutes on 2 shared CPU cores (README.md)");
ABSL_FLAG(double, distill_fraction, edgenas::kDefaultDistillFraction,
          "flash distillation trains fraction x --full_steps steps per cell");
ABSL_FLAG(double, alpha, edgenas::kDefaultDistillAlpha,
          "distillation loss weight on the teacher's soft targets");
ABSL_FLAG(double, temperature, edgenas::kDefaultDistillTemperature, "distillation temperature");
ABSL_FLAG(int, teacher_steps, 1500,
          "teacher training steps (job default 3000; README.md says why fewer here)");
ABSL_FLAG(int, teacher_channels, 16,
          "NB201 teacher width (job default 32: about 8x the CPU time with 2 cells per stage)");
ABSL_FLAG(int, teacher_cells_per_stage, 1, "NB201 teacher depth (job default 2)");
ABSL_FLAG(std::string, teacher_arch, "",
          "teacher architecture (default: NB201's job default cell; mbv3: the largest "
          "architecture of the job's space)");
ABSL_FLAG(int, supernet_steps, edgenas::kDefaultSupernetTrainSteps,
          "supernet training steps (job default 3000)");
ABSL_FLAG(int, calibration_examples, edgenas::kDefaultCalibrationExamples,
          "training images for each subnet's batch-norm recalibration");
ABSL_FLAG(int, channels, edgenas::kDefaultChannels, "NB201 width (first-stage channels)");
ABSL_FLAG(int, cells_per_stage, edgenas::kDefaultCellsPerStage, "NB201 depth");
ABSL_FLAG(int, step_cost_steps, 5,
          "supernet steps timed on their own (the job's batch and options; 0 skips): ms per "
          "step of the supernet's own step plan (mbv3: sandwich with in-place distillation)");
ABSL_FLAG(int, batch_size, edgenas::kDefaultBatchSize, "training batch size");
ABSL_FLAG(double, learning_rate, edgenas::kDefaultLearningRate, "peak SGD learning rate");
ABSL_FLAG(int, validation_examples, edgenas::kDefaultValidationExamples,
          "last N training images held out; every accuracy is measured on them");
ABSL_FLAG(int, threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "torch intra-op threads (default: number of cores)");
ABSL_FLAG(std::string, device, "cpu", "cpu or cuda (cuda fails when LibTorch has none)");
ABSL_FLAG(std::string, dataset_dir, edgenas::kDefaultDatasetPath,
          "directory with the four Fashion-MNIST IDX files");
ABSL_FLAG(std::string, json, "", "write one JSON object per proxy mode here (a JSON list)");
ABSL_FLAG(std::string, csv, "", "write per-cell rows here (rewritten after every cell)");
ABSL_FLAG(bool, skip_flash, false, "skip the teacher and flash distillation");
ABSL_FLAG(bool, skip_supernet, false, "skip the supernet");
ABSL_FLAG(double, feature_weight, 0.0,
          "flash distillation's activation-transfer weight (0 = logits only)");
ABSL_FLAG(std::string, reference_csv, "",
          "reuse the full-training results of an earlier --csv (same seed and settings): "
          "cells found there are not trained again");

namespace edgenas {
namespace {

constexpr char kJobId[] = "proxy_fidelity";

struct Config {
  int archs = 0;
  uint64_t seed = 0;
  AccuracyPlan base;  // job-level fields shared by every task
  MethodOptions options;
  bool flash = true;
  bool supernet = true;
  int step_cost_steps = 0;
  std::string json_path;
  std::string csv_path;
  std::optional<CsvTable> reference;  // earlier full-training results, by arch
};

// Adds "key=value;key=value" to `options` (later keys win).
absl::Status ParseSpaceOptions(const std::string& text, std::map<std::string, std::string>* options) {
  for (absl::string_view pair : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--space_options: \"", pair, "\" is not key=value"));
    }
    (*options)[std::string(absl::StripAsciiWhitespace(pair.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(pair.substr(eq + 1)));
  }
  return absl::OkStatus();
}

// The teacher of flash distillation: `given`, else NB201's job default cell,
// else (mbv3) the largest architecture of the job's own space, else the
// space's registered default.
absl::StatusOr<std::string> TeacherArch(const SpaceConfig& space, const std::string& given) {
  if (!given.empty()) return given;
  // The space's default teacher (nb201: every edge a 3x3 convolution; mbv3:
  // the largest network of these options).
  absl::StatusOr<ResolvedTeacher> resolved = ResolveTeacher(space, "", 0, 0);
  if (!resolved.ok()) return resolved.status();
  return resolved->arch;
}

// The job's space options as "key=value" pairs, for the printed header.
std::string DescribeOptions(const SpaceConfig& space) {
  std::vector<std::string> pairs;
  for (const auto& [key, value] : space.options) pairs.push_back(absl::StrCat(key, "=", value));
  return pairs.empty() ? std::string("default") : absl::StrJoin(pairs, " ");
}

absl::StatusOr<Config> ConfigFromFlags() {
  Config c;
  c.archs = absl::GetFlag(FLAGS_archs);
  c.seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_seed));
  AccuracyPlan& p = c.base;
  p.job_id = kJobId;
  p.space.name = absl::GetFlag(FLAGS_space);
  const bool nb201 = p.space.name == "nb201";
  if (nb201) {
    p.space.options["channels"] = absl::StrCat(absl::GetFlag(FLAGS_channels));
    p.space.options["cells_per_stage"] = absl::StrCat(absl::GetFlag(FLAGS_cells_per_stage));
  }
  if (absl::Status s = ParseSpaceOptions(absl::GetFlag(FLAGS_space_options), &p.space.options);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CreateSearchSpace(p.space).status(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("--space/--space_options: ", s.message()));
  }
  p.job_seed = c.seed;
  p.dataset_dir = absl::GetFlag(FLAGS_dataset_dir);
  p.input = FindDataset(kFashionMnistName)->shape;
  p.validation_examples = absl::GetFlag(FLAGS_validation_examples);
  p.batch_size = absl::GetFlag(FLAGS_batch_size);
  p.learning_rate = absl::GetFlag(FLAGS_learning_rate);
  p.full_steps = absl::GetFlag(FLAGS_full_steps);
  p.train_steps = p.full_steps;
  absl::StatusOr<std::string> teacher = TeacherArch(p.space, absl::GetFlag(FLAGS_teacher_arch));
  if (!teacher.ok()) return teacher.status();
  p.teacher_arch = *teacher;
  // The teacher's widths are NB201 options; other spaces' teachers use the
  // job's options.
  p.teacher_channels = nb201 ? absl::GetFlag(FLAGS_teacher_channels) : 0;
  p.teacher_cells_per_stage = nb201 ? absl::GetFlag(FLAGS_teacher_cells_per_stage) : 0;
  c.step_cost_steps = absl::GetFlag(FLAGS_step_cost_steps);
  p.teacher_steps = absl::GetFlag(FLAGS_teacher_steps);
  p.distill_fraction = absl::GetFlag(FLAGS_distill_fraction);
  p.distill_alpha = absl::GetFlag(FLAGS_alpha);
  p.distill_temperature = absl::GetFlag(FLAGS_temperature);
  p.supernet_steps = absl::GetFlag(FLAGS_supernet_steps);
  p.calibration_examples = absl::GetFlag(FLAGS_calibration_examples);
  c.options.threads = absl::GetFlag(FLAGS_threads);
  c.flash = !absl::GetFlag(FLAGS_skip_flash);
  c.supernet = !absl::GetFlag(FLAGS_skip_supernet);
  p.feature_weight = absl::GetFlag(FLAGS_feature_weight);
  if (!(p.feature_weight >= 0.0)) return absl::InvalidArgumentError("--feature_weight: must be >= 0");
  if (const std::string ref = absl::GetFlag(FLAGS_reference_csv); !ref.empty()) {
    absl::StatusOr<CsvTable> table = CsvTable::Load(ref, "arch");
    if (!table.ok()) return table.status();
    c.reference = *std::move(table);
  }
  c.json_path = absl::GetFlag(FLAGS_json);
  c.csv_path = absl::GetFlag(FLAGS_csv);
  const std::string device = absl::GetFlag(FLAGS_device);
  if (device != "cpu" && device != "cuda") {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: \"", device, "\" is neither cpu nor cuda"));
  }
  c.options.allow_cuda = device == "cuda";
  if (c.options.allow_cuda && !DescribeTrainingDevice(/*allow_cuda=*/true).cuda) {
    return absl::FailedPreconditionError(
        "--device=cuda: this LibTorch build sees no CUDA device (Debian's libtorch is CPU-only)");
  }
  if (p.full_steps < 1 || p.teacher_steps < 1 || p.supernet_steps < 1 || p.batch_size < 1 ||
      p.calibration_examples < 1 || c.options.threads < 1) {
    return absl::InvalidArgumentError(
        "--full_steps, --teacher_steps, --supernet_steps, --batch_size, --calibration_examples "
        "and --threads must be >= 1");
  }
  if (c.step_cost_steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--step_cost_steps: ", c.step_cost_steps, " is negative (0 skips)"));
  }
  if (!(p.distill_fraction > 0.0 && p.distill_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--distill_fraction: ", p.distill_fraction, " is not in (0, 1]"));
  }
  if (!c.flash && !c.supernet) {
    return absl::InvalidArgumentError("--skip_flash and --skip_supernet leave nothing to compare");
  }
  return c;
}

// The artifact store of one process: (job, name) -> bytes.
ArtifactAccess MapArtifacts(std::map<std::string, std::string>* store) {
  ArtifactAccess access;
  access.upload = [store](const std::string& job, const std::string& name,
                          const std::string& bytes) {
    (*store)[absl::StrCat(job, "/", name)] = bytes;
    return absl::OkStatus();
  };
  access.download = [store](const std::string& job,
                            const std::string& name) -> absl::StatusOr<std::string> {
    auto it = store->find(absl::StrCat(job, "/", name));
    if (it == store->end()) {
      return absl::NotFoundError(absl::StrCat("artifact ", job, "/", name, " not stored"));
    }
    return it->second;
  };
  return access;
}

struct Ran {
  AccuracyReport report;
  double wall_seconds = 0.0;
};

absl::StatusOr<Ran> Run(const AccuracyPlan& plan, const MethodOptions& options,
                        const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<AccuracyReport> report = RunAccuracyPlan(plan, options, /*cancel=*/nullptr);
  if (!report.ok()) {
    return absl::Status(report.status().code(),
                        absl::StrCat(what, ": ", report.status().message()));
  }
  Ran ran;
  ran.report = *std::move(report);
  ran.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ran;
}

const ReportedMetric* FindMetric(const AccuracyReport& report, const char* name) {
  for (const ReportedMetric& m : report.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

absl::StatusOr<Measurement> AccuracyOf(const Ran& ran, const std::string& what) {
  const ReportedMetric* acc = FindMetric(ran.report, kMetricAccuracy);
  if (acc == nullptr) {
    return absl::InternalError(absl::StrCat(what, ": the report has no accuracy metric"));
  }
  Measurement m;
  m.present = true;
  m.accuracy = acc->value;
  m.std_error = acc->std_error;
  m.cost_seconds = acc->cost_seconds;
  m.wall_seconds = ran.wall_seconds;
  m.steps = acc->steps;
  return m;
}

// A cell's full-training result from an earlier run's --csv.
absl::StatusOr<Measurement> ReferenceMeasurement(const CsvTable& table, const std::string& arch) {
  Measurement m;
  m.present = true;
  absl::StatusOr<double> v = table.Value(arch, "full_accuracy");
  if (!v.ok()) return v.status();
  m.accuracy = *v;
  if (!(v = table.Value(arch, "full_std_error")).ok()) return v.status();
  m.std_error = *v;
  if (!(v = table.Value(arch, "full_cost_seconds")).ok()) return v.status();
  m.cost_seconds = *v;
  if (!(v = table.Value(arch, "full_wall_seconds")).ok()) return v.status();
  m.wall_seconds = *v;
  m.steps = absl::GetFlag(FLAGS_full_steps);
  return m;
}

void PrintNotes(const std::string& what, const AccuracyReport& report) {
  for (const std::string& note : report.notes) {
    std::fprintf(stderr, "  %s: %s\n", what.c_str(), note.c_str());
  }
}

// Runs a job-level training task and returns its cost (the metric named
// `metric`'s cost_seconds).
absl::StatusOr<OneOffCost> RunOneOff(AccuracyPlan plan, const MethodOptions& options,
                                     const char* operation, const char* metric, int64_t steps) {
  plan.operation = operation;
  std::fprintf(stderr, "running %s (%lld steps)...\n", operation, static_cast<long long>(steps));
  absl::StatusOr<Ran> ran = Run(plan, options, operation);
  if (!ran.ok()) return ran.status();
  const ReportedMetric* m = FindMetric(ran->report, metric);
  if (m == nullptr) {
    return absl::InternalError(absl::StrCat(operation, ": the report has no ", metric));
  }
  PrintNotes(operation, ran->report);
  if (const ReportedMetric* acc = FindMetric(ran->report, kMetricAccuracy)) {
    std::printf("%s: accuracy %.4f +- %.4f after %lld steps, %.1f s cost (%.1f s wall)\n",
                operation, acc->value, acc->std_error, static_cast<long long>(steps),
                m->cost_seconds, ran->wall_seconds);
  } else {
    std::printf("%s: %lld steps, %.1f s cost (%.1f s wall)\n", operation,
                static_cast<long long>(steps), m->cost_seconds, ran->wall_seconds);
  }
  std::fflush(stdout);
  OneOffCost cost;
  cost.present = true;
  cost.cost_seconds = m->cost_seconds;
  cost.steps = steps;
  return cost;
}

absl::Status WriteFile(const std::string& path, const std::string& text, const char* flag) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(flag, ": cannot write ", path));
  return absl::OkStatus();
}

std::string Describe(const char* label, const Measurement& m) {
  if (!m.present) return absl::StrCat(label, " skipped");
  return absl::StrFormat("%s %.4f (%.1f s)", label, m.accuracy, m.cost_seconds);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

absl::Status RunBenchmark() {
  absl::StatusOr<Config> config = ConfigFromFlags();
  if (!config.ok()) return config.status();
  Config& c = *config;
  std::map<std::string, std::string> store;
  c.options.artifacts = MapArtifacts(&store);
  absl::StatusOr<std::unique_ptr<SearchSpace>> created = CreateSearchSpace(c.base.space);
  if (!created.ok()) return created.status();
  const SearchSpace& space = **created;
  absl::StatusOr<std::vector<Architecture>> archs =
      c.base.space.name == "nb201" ? DrawConnectedNb201(c.archs, c.seed)
                                   : DrawDistinct(space, c.archs, c.seed);
  if (!archs.ok()) return archs.status();

  RunInfo info;
  info.space = c.base.space.name;
  info.space_options = DescribeOptions(c.base.space);
  info.archs = c.archs;
  info.seed = c.seed;
  info.full_steps = c.base.full_steps;
  info.flash_steps = std::max(
      1, static_cast<int>(std::lround(c.base.distill_fraction * c.base.full_steps)));
  info.feature_weight = c.base.feature_weight;
  info.teacher_steps = c.base.teacher_steps;
  info.supernet_steps = c.base.supernet_steps;
  info.channels = c.base.space.name == "nb201" ? absl::GetFlag(FLAGS_channels) : 0;
  info.batch_size = c.base.batch_size;
  info.validation_examples = c.base.validation_examples;
  info.device = DescribeTrainingDevice(c.options.allow_cuda).cuda ? "cuda" : "cpu";
  info.threads = c.options.threads;
  std::printf("proxy_fidelity: %d %s architectures (seed %llu), options %s, "
              "full_steps %d, flash %d steps (fraction %g, alpha %g, T %g), teacher %s %d steps "
              "(%d channels, %d cells/stage; 0 = the job's options), supernet %d steps, "
              "calibration %d images, "
              "batch %d, lr %g, validation %d images; device %s, %d threads; dataset %s\n",
              c.archs, info.space.c_str(), static_cast<unsigned long long>(c.seed),
              info.space_options.c_str(), info.full_steps, info.flash_steps,
              c.base.distill_fraction, c.base.distill_alpha, c.base.distill_temperature,
              c.base.teacher_arch.c_str(), info.teacher_steps, c.base.teacher_channels,
              c.base.teacher_cells_per_stage, info.supernet_steps, c.base.calibration_examples, info.batch_size,
              c.base.learning_rate, info.validation_examples, info.device.c_str(), info.threads,
              c.base.dataset_dir.c_str());
  std::fflush(stdout);

  OneOffCost teacher, supernet;
  if (c.flash) {
    absl::StatusOr<OneOffCost> t = RunOneOff(c.base, c.options, kOpTrainTeacher,
                                             kMetricAccuracy, c.base.teacher_steps);
    if (!t.ok()) return t.status();
    teacher = *t;
  }
  if (c.supernet) {
    AccuracyPlan plan = c.base;
    plan.mode = kModeSupernet;
    absl::StatusOr<OneOffCost> s = RunOneOff(plan, c.options, kOpTrainSupernet,
                                             kMetricTrainSeconds, c.base.supernet_steps);
    if (!s.ok()) return s.status();
    supernet = *s;
    std::printf("train_supernet: %.1f ms per step over the job's %d steps (as the supernet "
                "plans them; mbv3: warm-up steps of the largest included)\n",
                1000.0 * supernet.cost_seconds / c.base.supernet_steps, c.base.supernet_steps);
    if (c.step_cost_steps > 0) {
      std::fprintf(stderr, "timing %d supernet steps...\n", c.step_cost_steps);
      absl::StatusOr<SupernetStepCost> cost =
          MeasureSupernetSteps(plan, c.options, c.step_cost_steps);
      if (!cost.ok()) return cost.status();
      std::printf("supernet step cost: %.1f ms per step, %.1f ms per path (%d steps of batch %d, "
                  "%.2f paths per step, %d with in-place distillation; %s options %s; %s, %d "
                  "threads)\n",
                  cost->ms_per_step, cost->ms_per_path, cost->steps, c.base.batch_size,
                  static_cast<double>(cost->paths) / cost->steps, cost->distilled_steps,
                  info.space.c_str(), info.space_options.c_str(), info.device.c_str(),
                  info.threads);
    }
    std::fflush(stdout);
  }

  std::vector<ArchResult> results;
  for (int i = 0; i < c.archs; ++i) {
    ArchResult r;
    r.arch = space.Print((*archs)[i]);
    AccuracyPlan plan = c.base;
    plan.arch = r.arch;
    plan.candidate_id = absl::StrFormat("%s-%04d", kJobId, i + 1);
    const std::string tag = absl::StrFormat("[%d/%d]", i + 1, c.archs);

    absl::StatusOr<Ran> ran;
    absl::StatusOr<Measurement> m;
    if (c.reference && c.reference->Value(r.arch, "full_accuracy").ok()) {
      absl::StatusOr<Measurement> reused = ReferenceMeasurement(*c.reference, r.arch);
      if (!reused.ok()) return reused.status();
      r.full = *reused;
      std::fprintf(stderr, "%s %s: full training reused from %s\n", tag.c_str(), r.arch.c_str(),
                   c.reference->source().c_str());
    } else {
      std::fprintf(stderr, "%s %s: full training (%d steps)...\n", tag.c_str(),
                   r.arch.c_str(), plan.full_steps);
      plan.operation = kOpFullTrain;
      plan.mode = "full_train";
      ran = Run(plan, c.options, absl::StrCat(tag, " full_train"));
      if (!ran.ok()) return ran.status();
      m = AccuracyOf(*ran, "full_train");
      if (!m.ok()) return m.status();
      r.full = *m;
    }

    plan.operation = kOpEvaluate;
    if (c.flash) {
      std::fprintf(stderr, "%s flash distillation (%d steps)...\n", tag.c_str(),
                   info.flash_steps);
      plan.mode = kModeFlash;
      ran = Run(plan, c.options, absl::StrCat(tag, " flash_distill"));
      if (!ran.ok()) return ran.status();
      m = AccuracyOf(*ran, "flash_distill");
      if (!m.ok()) return m.status();
      r.flash = *m;
    }
    if (c.supernet) {
      std::fprintf(stderr, "%s supernet evaluation...\n", tag.c_str());
      plan.mode = kModeSupernet;
      ran = Run(plan, c.options, absl::StrCat(tag, " supernet"));
      if (!ran.ok()) return ran.status();
      m = AccuracyOf(*ran, "supernet");
      if (!m.ok()) return m.status();
      r.supernet = *m;
    }
    std::printf("%s %s | %s | %s | %s  [accuracy (cost s); %s, %d threads]\n", tag.c_str(),
                r.arch.c_str(), Describe("full", r.full).c_str(),
                Describe("flash", r.flash).c_str(), Describe("supernet", r.supernet).c_str(),
                info.device.c_str(), info.threads);
    std::fflush(stdout);
    results.push_back(std::move(r));
    if (!c.csv_path.empty()) {
      if (absl::Status s = WriteFile(c.csv_path, ResultsCsv(results), "--csv"); !s.ok()) return s;
    }
  }

  // The first distillation task also loads the teacher into the worker's
  // cache; on CUDA that computes its logits over the whole training split,
  // outside every cost_seconds (on CPU the worker fills them lazily inside
  // the distillation steps, so they are in the early candidates' cost).
  // That overhead joins the teacher's one-off cost: the first task's
  // wall-clock overhead beyond the median task's.
  if (c.flash && results.size() > 1) {
    std::vector<double> overheads;
    for (size_t i = 1; i < results.size(); ++i) {
      overheads.push_back(results[i].flash.wall_seconds - results[i].flash.cost_seconds);
    }
    const double first = results[0].flash.wall_seconds - results[0].flash.cost_seconds;
    teacher.extra_seconds = std::max(0.0, first - Median(overheads));
    std::printf("teacher loading (first distillation task's wall-clock overhead beyond the "
                "median task's): %.1f s, counted in the teacher's one-off cost\n",
                teacher.extra_seconds);
  }

  std::vector<ModeSummary> summaries;
  if (c.flash) {
    absl::StatusOr<ModeSummary> s = SummarizeMode(kModeFlash, results, teacher);
    if (!s.ok()) return s.status();
    summaries.push_back(*s);
  }
  if (c.supernet) {
    absl::StatusOr<ModeSummary> s = SummarizeMode(kModeSupernet, results, supernet);
    if (!s.ok()) return s.status();
    summaries.push_back(*s);
  }
  double full_min = 1.0, full_max = 0.0, full_se = 0.0;
  for (const ArchResult& r : results) {
    full_min = std::min(full_min, r.full.accuracy);
    full_max = std::max(full_max, r.full.accuracy);
    full_se += r.full.std_error / results.size();
  }
  std::printf("\nfull-training accuracies span %.4f .. %.4f (mean standard error %.4f over "
              "%d validation images)\n",
              full_min, full_max, full_se, info.validation_examples);
  std::printf("%s", FormatSummaryTable(summaries, info).c_str());
  if (!c.json_path.empty()) {
    if (absl::Status s = WriteFile(c.json_path, SummaryJson(summaries, info), "--json"); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Ranks the architectures of a space (NB201 cells, mbv3 networks) by full training, flash "
      "distillation and the supernet through the worker's RunAccuracyPlan, and prints each "
      "proxy's Kendall tau / Spearman rho against full training with its cost. See "
      "bench/proxy_fidelity/README.md.");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = edgenas::RunBenchmark(); !s.ok()) {
    std::fprintf(stderr, "proxy_fidelity: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
