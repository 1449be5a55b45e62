// latency_table: how well a per-operator latency table predicts whole-network
// latency on this machine. Profiles the space's operators (as
// `edgenas-agent profile` does), then measures N random NB201 cells' networks
// with the same measurement function and prints predicted against measured:
// the share within +-10% (and +-5%), Kendall's tau, the median absolute
// error. The table is made from operator profiles and one all-"none"
// calibration network only; the evaluation cells never feed the model.
// Pinned to one core with one intra-op thread to reduce noise.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/cpu_affinity.h"
#include "common/latency_predictor.h"
#include "spaces/nb201/nb201_space.h"
#include "device_agent/profile/profile_ops.h"
#include "device_agent/profile/profile_table.h"
#include "device_agent/speed_reference.h"

ABSL_FLAG(uint64_t, seed, 1, "seed of the random cells");
ABSL_FLAG(int, cells, 100, "random NB201 cells to measure");
ABSL_FLAG(int, channels, 16, "nb201 channels option");
ABSL_FLAG(int, cells_per_stage, 1, "nb201 cells_per_stage option");
ABSL_FLAG(int, cpu, -1, "CPU to pin to (-1: the last one this process may use)");
ABSL_FLAG(int, threads, 1, "intra-op threads");
ABSL_FLAG(int, warmup_ms, 300, "warm-up per operator / network, ms");
ABSL_FLAG(int, max_measure_ms, 2000, "cap on each measurement's timed runs, ms");
ABSL_FLAG(double, target_ci_rel, 0.01, "stop once the median's 95% CI is within +-this");
ABSL_FLAG(std::string, table_out, "", "also write the profiled table here (.json or .pb)");
ABSL_FLAG(bool, verbose, false, "print one line per cell");
ABSL_FLAG(bool, speed_reference, false,
          "time every operator and network with the reference kernel between blocks and scale "
          "it to the kernel's calibrated speed (edgenas-agent --speed_reference)");
ABSL_FLAG(std::string, clock, "wall",
          "what a run's duration is read from: wall (steady clock, what agents report) or "
          "thread_cpu (CPU time of the measuring thread: leaves out time the thread was "
          "preempted by other processes; needs --threads=1)");

namespace edgenas {
namespace {

// Kendall's tau-b of two equally long samples.
double KendallTau(const std::vector<double>& x, const std::vector<double>& y) {
  int64_t concordant = 0, discordant = 0, ties_x = 0, ties_y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0 && dy == 0) continue;
      if (dx == 0) {
        ++ties_x;
      } else if (dy == 0) {
        ++ties_y;
      } else if ((dx > 0) == (dy > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double n0 = static_cast<double>(concordant + discordant);
  const double denom = std::sqrt((n0 + ties_x) * (n0 + ties_y));
  return denom > 0 ? (concordant - discordant) / denom : 0.0;
}

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int Run() {
  const int n = absl::GetFlag(FLAGS_cells);
  if (n < 2) {
    std::fprintf(stderr, "latency_table: --cells must be >= 2\n");
    return 2;
  }
  int cpu = absl::GetFlag(FLAGS_cpu);
  if (cpu < 0) {
    auto allowed = AllowedCpus();
    if (!allowed.ok() || allowed->empty()) {
      std::fprintf(stderr, "latency_table: cannot read the allowed CPUs\n");
      return 1;
    }
    cpu = allowed->back();
  }
  if (absl::Status s = PinProcessToCpus({cpu}, "--cpu"); !s.ok()) {
    std::fprintf(stderr, "latency_table: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  const SpaceConfig space{"nb201",
                          {{"channels", absl::StrCat(absl::GetFlag(FLAGS_channels))},
                           {"cells_per_stage", absl::StrCat(absl::GetFlag(FLAGS_cells_per_stage))}}};
  ProfileSettings settings;
  settings.threads = absl::GetFlag(FLAGS_threads);
  settings.latency.warmup_ms = absl::GetFlag(FLAGS_warmup_ms);
  settings.latency.max_measure_ms = absl::GetFlag(FLAGS_max_measure_ms);
  settings.latency.target_ci_rel = absl::GetFlag(FLAGS_target_ci_rel);
  const std::string clock_name = absl::GetFlag(FLAGS_clock);
  if (clock_name == "thread_cpu") {
    if (settings.threads != 1) {
      std::fprintf(stderr, "latency_table: --clock=thread_cpu needs --threads=1\n");
      return 2;
    }
    // With one intra-op thread LibTorch computes on the calling thread, so
    // its CPU time is the run's compute time without preemption.
    settings.latency.now_ns = []() -> int64_t {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
    };
  } else if (clock_name != "wall") {
    std::fprintf(stderr, "latency_table: --clock: wall or thread_cpu, got \"%s\"\n",
                 clock_name.c_str());
    return 2;
  }

  std::unique_ptr<SpeedReference> speed_reference;
  if (absl::GetFlag(FLAGS_speed_reference)) {
    auto created = SpeedReference::Create();
    if (!created.ok()) {
      std::fprintf(stderr, "latency_table: %s\n", created.status().ToString().c_str());
      return 1;
    }
    speed_reference = std::move(*created);
    settings.speed_reference = speed_reference.get();
  }
  const absl::Time start = absl::Now();
  auto profile = ProfileSpace(space, settings);
  if (!profile.ok()) {
    std::fprintf(stderr, "latency_table: profile: %s\n", profile.status().ToString().c_str());
    return 1;
  }
  const double profile_s = absl::ToDoubleSeconds(absl::Now() - start);
  v1::DeviceDescriptor device;
  device.set_runner("libtorch-cpu");
  device.set_affinity(absl::StrCat(cpu));
  device.set_threads(settings.threads);
  const v1::LatencyTable table = MakeLatencyTable(*profile, "nb201", "bench", settings,
                                                  absl::ToUnixMillis(absl::Now()), device);
  if (absl::Status s = ValidateLatencyTable(table); !s.ok()) {
    std::fprintf(stderr, "latency_table: invalid table: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_table_out).empty()) {
    if (absl::Status s = WriteLatencyTableFile(table, absl::GetFlag(FLAGS_table_out)); !s.ok()) {
      std::fprintf(stderr, "latency_table: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  int unstable_ops = 0;
  for (const auto& e : table.entries()) unstable_ops += e.unstable() ? 1 : 0;

  // Distinct random cells.
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  std::uniform_int_distribution<int> pick(0, 15624);
  std::set<int> chosen;
  std::vector<int> order;
  while (static_cast<int>(order.size()) < n) {
    const int index = pick(rng);
    if (chosen.insert(index).second) order.push_back(index);
  }
  const Nb201Space nb201;
  std::vector<double> predicted, measured, rel_err, abs_err;
  int unstable_cells = 0;
  const absl::Time measure_start = absl::Now();
  for (int index : order) {
    const Architecture arch = Nb201Space::FromIndex(index);
    const std::string text = nb201.Print(arch);
    auto p = PredictLatency(table, space, arch);
    if (!p.ok()) {
      std::fprintf(stderr, "latency_table: predict %s: %s\n", text.c_str(),
                   p.status().ToString().c_str());
      return 1;
    }
    auto m = MeasureNetworkLatency(space, text, settings);
    if (!m.ok()) {
      std::fprintf(stderr, "latency_table: measure %s: %s\n", text.c_str(),
                   m.status().ToString().c_str());
      return 1;
    }
    unstable_cells += m->unstable ? 1 : 0;
    predicted.push_back(p->latency_ms);
    measured.push_back(m->median_ms);
    rel_err.push_back((p->latency_ms - m->median_ms) / m->median_ms);
    abs_err.push_back(std::abs(p->latency_ms - m->median_ms));
    if (absl::GetFlag(FLAGS_verbose)) {
      std::printf("%-72s predicted %8.4f ms  measured %8.4f ms  error %+6.1f%%%s\n", text.c_str(),
                  p->latency_ms, m->median_ms, 100 * rel_err.back(),
                  m->unstable ? "  (unstable)" : "");
    }
  }
  const double measure_s = absl::ToDoubleSeconds(absl::Now() - measure_start);
  auto share_within = [&](double band) {
    int k = 0;
    for (double e : rel_err) k += std::abs(e) <= band ? 1 : 0;
    return 100.0 * k / static_cast<double>(rel_err.size());
  };
  std::vector<double> abs_rel;
  for (double e : rel_err) abs_rel.push_back(std::abs(e));
  std::vector<double> signed_rel = rel_err;

  std::printf("latency_table: nb201 channels=%d cells_per_stage=%d, input 1x1x28x28, batch 1, "
              "%d thread(s), pinned to CPU %d, LibTorch CPU, clock %s%s\n",
              absl::GetFlag(FLAGS_channels), absl::GetFlag(FLAGS_cells_per_stage),
              settings.threads, cpu, clock_name.c_str(),
              speed_reference ? ", normalised to the reference kernel" : "");
  std::printf("table: %d entries (%d unstable), overhead %.4f ms, profiled in %.1f s; %s\n",
              table.entries_size(), unstable_ops, table.overhead_ms(), profile_s,
              profile->notes.empty() ? "" : profile->notes[0].c_str());
  for (size_t i = 1; i < profile->notes.size(); ++i) {
    std::printf("table note: %s\n", profile->notes[i].c_str());
  }
  std::printf("cells: %d random (seed %llu), measured in %.1f s, %d unstable; measured median "
              "%.4f ms (range %.4f..%.4f)\n",
              n, static_cast<unsigned long long>(absl::GetFlag(FLAGS_seed)), measure_s,
              unstable_cells, MedianOf(measured),
              *std::min_element(measured.begin(), measured.end()),
              *std::max_element(measured.begin(), measured.end()));
  std::printf("within +-10%%: %.1f%%   within +-5%%: %.1f%%   Kendall tau: %.3f\n",
              share_within(0.10), share_within(0.05), KendallTau(predicted, measured));
  std::printf("median abs error: %.4f ms (%.2f%%)   median signed error: %+.2f%%   max abs "
              "error: %.2f%%\n",
              MedianOf(abs_err), 100 * MedianOf(abs_rel), 100 * MedianOf(signed_rel),
              100 * *std::max_element(abs_rel.begin(), abs_rel.end()));
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "latency_table: per-operator latency table predictions against measured NB201 networks");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Run();
}
