#include "device_agent/energy/energy_measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "device_agent/energy/energy_power.h"

namespace edgenas {
namespace {

constexpr int64_t kMaxSleepChunkNs = 50'000'000;  // cancellation is checked this often
constexpr double kZ95 = 1.96;

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// Mean power in milliwatts between two readings (uJ / ns * 1e6 = mW).
double PowerMw(uint64_t e0_uj, uint64_t e1_uj, int64_t t0_ns, int64_t t1_ns) {
  return static_cast<double>(e1_uj - e0_uj) / static_cast<double>(t1_ns - t0_ns) * 1e6;
}

double SampleStddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

absl::Status Validate(const EnergyMeasureOptions& o, double median_ms) {
  if (o.window_ms < 1) {
    return absl::InvalidArgumentError(absl::StrCat("window_ms: must be >= 1, got ", o.window_ms));
  }
  if (o.min_runs < 1 || o.max_runs < o.min_runs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_runs/max_runs: need 1 <= min_runs <= max_runs, got ", o.min_runs, "/", o.max_runs));
  }
  if (o.idle_slices < 2 || o.idle_slices > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("idle_slices: must be in [2, 100], got ", o.idle_slices));
  }
  if (!(o.noise_sigmas >= 0)) return absl::InvalidArgumentError("noise_sigmas: must be >= 0");
  if (!std::isfinite(median_ms) || median_ms < 0) {
    return absl::InvalidArgumentError("median_ms: must be a finite, non-negative number");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EnergyMeasurement> MeasureEnergyPerRun(EnergyMeter& meter,
                                                      const std::function<absl::Status()>& run,
                                                      double median_ms,
                                                      const EnergyMeasureOptions& options,
                                                      const std::atomic<bool>* cancel) {
  if (absl::Status s = Validate(options, median_ms); !s.ok()) return s;
  const std::function<int64_t()> now = options.now_ns ? options.now_ns : SteadyNowNs;
  const std::function<void(int64_t)> sleep =
      options.sleep_ns ? options.sleep_ns
                       : [](int64_t ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); };

  const double window_ms = std::max(options.window_ms, meter.MinWindowMs());
  const double per_run_ms = std::max(median_ms, 1e-3);
  const int64_t runs = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(window_ms / per_run_ms)),
                                           options.min_runs, options.max_runs);
  const int64_t planned_ns =
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(runs) * per_run_ms * 1e6));

  // Idle baseline: the same planned length, read in slices.
  const int slices = options.idle_slices;
  std::vector<uint64_t> e(slices + 1);
  std::vector<int64_t> t(slices + 1);
  absl::StatusOr<uint64_t> reading = meter.Read();
  if (!reading.ok()) return reading.status();
  e[0] = *reading;
  t[0] = now();
  for (int k = 1; k <= slices; ++k) {
    const int64_t until = t[0] + planned_ns * k / slices;
    for (int64_t left = until - now(); left > 0; left = until - now()) {
      if (Cancelled(cancel)) return absl::CancelledError("energy measurement cancelled");
      sleep(std::min(left, kMaxSleepChunkNs));
    }
    reading = meter.Read();
    if (!reading.ok()) return reading.status();
    e[k] = *reading;
    t[k] = now();
  }
  // Active window: starts where the idle one ended.
  for (int64_t i = 0; i < runs; ++i) {
    if (Cancelled(cancel)) return absl::CancelledError("energy measurement cancelled");
    if (absl::Status s = run(); !s.ok()) return s;
  }
  reading = meter.Read();
  if (!reading.ok()) return reading.status();
  const uint64_t e_end = *reading;
  const int64_t t_end = now();
  for (int k = 1; k <= slices; ++k) {
    if (t[k] <= t[k - 1]) return absl::InternalError("the clock did not advance during idle");
  }
  if (t_end <= t[slices]) return absl::InternalError("the clock did not advance during runs");

  std::vector<double> slice_mw;
  for (int k = 1; k <= slices; ++k) slice_mw.push_back(PowerMw(e[k - 1], e[k], t[k - 1], t[k]));

  EnergyMeasurement m;
  m.runs = runs;
  m.idle_ms = static_cast<double>(t[slices] - t[0]) / 1e6;
  m.active_ms = static_cast<double>(t_end - t[slices]) / 1e6;
  m.baseline_mw = PowerMw(e[0], e[slices], t[0], t[slices]);
  m.active_mw = PowerMw(e[slices], e_end, t[slices], t_end);
  // A window-long mean has the slices' spread over sqrt(slices); the
  // difference of two such means has sqrt(2) times that.
  m.noise_mw = SampleStddev(slice_mw) * std::sqrt(2.0 / slices);
  const double excess_mw = m.active_mw - m.baseline_mw;
  const std::string windows = absl::StrFormat(
      "active %.1f mW, baseline %.1f mW +- %.1f mW, windows %.0f/%.0f ms", m.active_mw,
      m.baseline_mw, m.noise_mw, m.active_ms, m.idle_ms);
  if (excess_mw <= 0) {
    return absl::UnavailableError(absl::StrCat(
        meter.Name(), ": power while running (", absl::StrFormat("%.1f", m.active_mw),
        " mW) not above the idle baseline over ", runs, " runs (", windows,
        "): the model's energy is below what this meter resolves here, or other load changed"));
  }
  const double active_s = m.active_ms / 1e3;
  m.energy_mj = excess_mw * active_s / static_cast<double>(runs);  // mW * s = mJ
  const double half_mj = kZ95 * m.noise_mw * active_s / static_cast<double>(runs);
  m.ci_low_mj = std::max(0.0, m.energy_mj - half_mj);
  m.ci_high_mj = m.energy_mj + half_mj;
  m.unstable = excess_mw < options.noise_sigmas * m.noise_mw;
  m.method = absl::StrCat(meter.Name(), ": (active - idle baseline) over ", runs, " runs, ",
                          windows,
                          m.unstable ? absl::StrFormat("; unstable: %.1f mW above idle is within "
                                                       "%.0f standard errors of the noise",
                                                       excess_mw, options.noise_sigmas)
                                     : "");
  return m;
}

}  // namespace edgenas
