// latency_table: how well a per-operator latency table predicts whole-network
// latency on this machine. Profiles the space's operators (as
// `edgenas-agent profile` does), then measures N distinct random networks of
// the space (drawn with the space's Sample from --seed) with the same
// measurement function and prints predicted against measured: the share
// within +-10% (and +-5%), Kendall's tau, the median absolute error. The
// table is made from operator profiles and one calibration network only; the
// evaluation networks never feed the model. For a space that counts
// multiply-accumulates (common/network_cost.h) it also prints Kendall's tau
// of the MAC count against the measured latency, the proxy a table replaces.
// Pinned to one core with one intra-op thread to reduce noise.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/cpu_affinity.h"
#include "common/latency_predictor.h"
#include "common/network_cost.h"
#include "common/random.h"
#include "device_agent/profile/profile_ops.h"
#include "device_agent/profile/profile_table.h"
#include "device_agent/profile/space_options_flag.h"
#include "device_agent/speed_reference.h"

ABSL_FLAG(std::string, space, "nb201", "the search space (one with a latency model)");
ABSL_FLAG(std::string, space_options, "",
          "the space's options, \"key=value;key=value\" as a job's space.options (absent: "
          "defaults)");
ABSL_FLAG(uint64_t, seed, 1, "seed of the random architectures");
ABSL_FLAG(int, count, 100, "distinct random architectures to measure");
ABSL_FLAG(int, channels, 16, "nb201 only: the channels option (unless in --space_options)");
ABSL_FLAG(int, cells_per_stage, 1,
          "nb201 only: the cells_per_stage option (unless in --space_options)");
ABSL_FLAG(int, rounds, 1,
          "profile the table and measure the networks this many times (round-robin), keeping "
          "each operator's and network's fastest median: other processes only add time, so the "
          "fastest round is the least disturbed (the overhead is the rounds' median)");
ABSL_FLAG(int, cpu, -1, "CPU to pin to (-1: the last one this process may use)");
ABSL_FLAG(int, threads, 1, "intra-op threads");
ABSL_FLAG(int, warmup_ms, 300, "warm-up per operator / network, ms");
ABSL_FLAG(int, max_measure_ms, 2000, "cap on each measurement's timed runs, ms");
ABSL_FLAG(double, target_ci_rel, 0.01, "stop once the median's 95% CI is within +-this");
ABSL_FLAG(std::string, table_out, "", "also write the profiled table here (.json or .pb)");
ABSL_FLAG(std::string, table_in, "",
          "use this table (from --table_out or `edgenas-agent profile --out`) instead of "
          "profiling; it must cover the space");
ABSL_FLAG(bool, verbose, false, "print one line per architecture");
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

// The space of the flags, normalized (defaults filled in).
absl::StatusOr<SpaceConfig> SpaceFromFlags() {
  SpaceConfig space;
  space.name = absl::GetFlag(FLAGS_space);
  absl::StatusOr<std::map<std::string, std::string>> options =
      ParseSpaceOptionsFlag(absl::GetFlag(FLAGS_space_options));
  if (!options.ok()) return options.status();
  space.options = *options;
  if (space.name == "nb201") {
    // The bench's own nb201 defaults (one cell per stage), as before.
    space.options.emplace("channels", absl::StrCat(absl::GetFlag(FLAGS_channels)));
    space.options.emplace("cells_per_stage", absl::StrCat(absl::GetFlag(FLAGS_cells_per_stage)));
  }
  absl::StatusOr<std::unique_ptr<SearchSpace>> checked = CreateSearchSpace(space);
  if (!checked.ok()) return checked.status();
  return space;
}

// `n` distinct architectures (by canonical key) drawn with the space's Sample.
absl::StatusOr<std::vector<Architecture>> DrawArchitectures(const SearchSpace& space, int n,
                                                            uint64_t seed) {
  const int64_t distinct = space.DistinctCount();
  if (distinct >= 0 && distinct < n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--count: the space has only ", distinct, " distinct architectures"));
  }
  Rng rng(seed);
  std::set<std::string> keys;
  std::vector<Architecture> archs;
  for (int tries = 0; static_cast<int>(archs.size()) < n; ++tries) {
    if (tries > 1000 * n) return absl::InternalError("cannot draw enough distinct architectures");
    Architecture arch = space.Sample(rng);
    if (keys.insert(space.CanonicalKey(arch)).second) archs.push_back(std::move(arch));
  }
  return archs;
}

// ProfileSpace `rounds` times; each operator keeps its fastest round, the
// overhead is the median of the rounds'.
absl::StatusOr<ProfileResult> ProfileFastest(const SpaceConfig& space,
                                             const ProfileSettings& settings, int rounds) {
  absl::StatusOr<ProfileResult> best = ProfileSpace(space, settings);
  if (!best.ok() || rounds == 1) return best;
  std::vector<double> overheads = {best->overhead_ms};
  for (int r = 1; r < rounds; ++r) {
    absl::StatusOr<ProfileResult> next = ProfileSpace(space, settings);
    if (!next.ok()) return next.status();
    for (size_t i = 0; i < best->ops.size(); ++i) {
      if (next->ops[i].stats.median_ms < best->ops[i].stats.median_ms) best->ops[i] = next->ops[i];
    }
    overheads.push_back(next->overhead_ms);
  }
  best->overhead_ms = MedianOf(overheads);
  std::string each;
  for (double o : overheads) {
    absl::StrAppend(&each, each.empty() ? "" : ", ", absl::StrFormat("%.4f", o));
  }
  best->notes.push_back(absl::StrFormat(
      "%d rounds: each operator's fastest median kept; overhead_ms = %.5f, the median of the "
      "rounds' (%s)",
      rounds, best->overhead_ms, each));
  return best;
}

int Run() {
  const int n = absl::GetFlag(FLAGS_count);
  if (n < 2) {
    std::fprintf(stderr, "latency_table: --count must be >= 2\n");
    return 2;
  }
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 1) {
    std::fprintf(stderr, "latency_table: --rounds must be >= 1\n");
    return 2;
  }
  absl::StatusOr<SpaceConfig> space_or = SpaceFromFlags();
  if (!space_or.ok()) {
    std::fprintf(stderr, "latency_table: %s\n", space_or.status().ToString().c_str());
    return 2;
  }
  const SpaceConfig space = *space_or;
  std::unique_ptr<SearchSpace> search_space = CreateSearchSpace(space).value();
  absl::StatusOr<std::vector<Architecture>> archs =
      DrawArchitectures(*search_space, n, absl::GetFlag(FLAGS_seed));
  if (!archs.ok()) {
    std::fprintf(stderr, "latency_table: %s\n", archs.status().ToString().c_str());
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
  settings.progress = [](const std::string& line) {
    // "12/943 mb_k3_e4_se_hs ...": every 100th operator; every calibration round.
    int done = 0;
    if (!absl::SimpleAtoi(line.substr(0, line.find('/')), &done) || done % 100 == 0) {
      std::fprintf(stderr, "latency_table: measuring %s\n", line.c_str());
    }
  };
  const absl::Time start = absl::Now();
  absl::StatusOr<ProfileResult> profile = ProfileResult{};
  v1::LatencyTable table;
  if (absl::GetFlag(FLAGS_table_in).empty()) {
    profile = ProfileFastest(space, settings, rounds);
    if (!profile.ok()) {
      std::fprintf(stderr, "latency_table: profile: %s\n", profile.status().ToString().c_str());
      return 1;
    }
    v1::DeviceDescriptor device;
    device.set_runner("libtorch-cpu");
    device.set_affinity(absl::StrCat(cpu));
    device.set_threads(settings.threads);
    table = MakeLatencyTable(*profile, space.name, "bench", settings,
                             absl::ToUnixMillis(absl::Now()), device);
  } else {
    absl::StatusOr<v1::LatencyTable> read = ReadLatencyTableFile(absl::GetFlag(FLAGS_table_in));
    absl::Status covers = read.ok() ? CheckLatencyTableCovers(*read, space, settings.input)
                                    : read.status();
    if (covers.ok() && read->space() != space.name) {
      covers = absl::InvalidArgumentError(absl::StrCat("--table_in: a table of ", read->space()));
    }
    if (!covers.ok()) {
      std::fprintf(stderr, "latency_table: %s\n", covers.ToString().c_str());
      return 2;
    }
    table = *read;
    profile->notes.push_back(absl::StrCat("read from ", absl::GetFlag(FLAGS_table_in)));
  }
  const double profile_s = absl::ToDoubleSeconds(absl::Now() - start);
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

  const bool counts_macs = SpaceCountsMacs(space.name).ok();
  std::vector<double> predicted, measured, rel_err, abs_err, macs;
  int unstable_archs = 0;
  const absl::Time measure_start = absl::Now();
  std::vector<std::string> texts;
  for (const Architecture& arch : *archs) {
    texts.push_back(search_space->Print(arch));
    auto p = PredictLatency(table, space, arch, settings.input);
    if (!p.ok()) {
      std::fprintf(stderr, "latency_table: predict %s: %s\n", texts.back().c_str(),
                   p.status().ToString().c_str());
      return 1;
    }
    predicted.push_back(p->latency_ms);
    if (counts_macs) {
      auto cost = NetworkCostOf(space, arch, settings.input);
      if (!cost.ok()) {
        std::fprintf(stderr, "latency_table: MACs of %s: %s\n", texts.back().c_str(),
                     cost.status().ToString().c_str());
        return 1;
      }
      macs.push_back(static_cast<double>(cost->macs));
    }
  }
  // Round-robin, so that a disturbed stretch of time hits different
  // networks in different rounds; each keeps its fastest median.
  std::vector<LatencyStats> best(archs->size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < texts.size(); ++i) {
      auto m = MeasureNetworkLatency(space, texts[i], settings);
      if (!m.ok()) {
        std::fprintf(stderr, "latency_table: measure %s: %s\n", texts[i].c_str(),
                     m.status().ToString().c_str());
        return 1;
      }
      if (round == 0 || m->median_ms < best[i].median_ms) best[i] = *m;
    }
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    const LatencyStats& m = best[i];
    unstable_archs += m.unstable ? 1 : 0;
    measured.push_back(m.median_ms);
    rel_err.push_back((predicted[i] - m.median_ms) / m.median_ms);
    abs_err.push_back(std::abs(predicted[i] - m.median_ms));
    if (absl::GetFlag(FLAGS_verbose)) {
      std::printf("%-72s predicted %8.4f ms  measured %8.4f ms  error %+6.1f%%%s\n",
                  texts[i].c_str(), predicted[i], m.median_ms, 100 * rel_err.back(),
                  m.unstable ? "  (unstable)" : "");
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

  std::string options;
  for (const auto& [key, value] : space.options) absl::StrAppend(&options, " ", key, "=", value);
  std::printf("latency_table: %s%s; dataset input %s, batch 1, %d thread(s), pinned to CPU %d, "
              "LibTorch CPU, clock %s%s\n",
              space.name.c_str(), options.c_str(), settings.input.ToString().c_str(),
              settings.threads, cpu, clock_name.c_str(),
              speed_reference ? ", normalised to the reference kernel" : "");
  std::printf("table: %d entries (%d unstable), overhead %.4f ms, profiled in %.1f s; %s\n",
              table.entries_size(), unstable_ops, table.overhead_ms(), profile_s,
              profile->notes.empty() ? "" : profile->notes[0].c_str());
  for (size_t i = 1; i < profile->notes.size(); ++i) {
    std::printf("table note: %s\n", profile->notes[i].c_str());
  }
  std::printf("architectures: %d distinct random (seed %llu), measured %d time(s) each in "
              "%.1f s, %d unstable; measured median %.4f ms (range %.4f..%.4f)\n",
              n, static_cast<unsigned long long>(absl::GetFlag(FLAGS_seed)), rounds, measure_s,
              unstable_archs, MedianOf(measured),
              *std::min_element(measured.begin(), measured.end()),
              *std::max_element(measured.begin(), measured.end()));
  std::printf("within +-10%%: %.1f%%   within +-5%%: %.1f%%   Kendall tau: %.3f\n",
              share_within(0.10), share_within(0.05), KendallTau(predicted, measured));
  std::printf("median abs error: %.4f ms (%.2f%%)   median signed error: %+.2f%%   max abs "
              "error: %.2f%%\n",
              MedianOf(abs_err), 100 * MedianOf(abs_rel), 100 * MedianOf(signed_rel),
              100 * *std::max_element(abs_rel.begin(), abs_rel.end()));
  if (counts_macs) {
    std::printf("for comparison, Kendall tau of flops (analytic MACs, median %.4g) against "
                "measured latency: %.3f\n",
                MedianOf(macs), KendallTau(macs, measured));
  }
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "latency_table: per-operator latency table predictions against measured networks of a "
      "space (--space nb201 or mbv3)");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Run();
}
