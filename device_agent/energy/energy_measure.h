// Energy per inference from any EnergyMeter: the energy over a window of
// timed runs minus the idle baseline measured just before over a window of
// the same length, divided by the runs. Clock and idle wait are injectable,
// so tests drive a fake meter through exactly known windows.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_MEASURE_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_MEASURE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device_agent/energy/energy_meter.h"

namespace edgenas {

struct EnergyMeasureOptions {
  // Shortest active window; raised to the meter's MinWindowMs.
  int window_ms = 500;
  int64_t min_runs = 1;
  int64_t max_runs = 100000;
  // The idle window is read in this many equal slices; their spread is the
  // baseline's noise.
  int idle_slices = 5;
  // The result is flagged unstable when the model's power above idle is
  // less than this many standard errors of the active-minus-idle difference.
  double noise_sigmas = 2.0;
  // Monotonic clock (ns) and idle wait (ns); empty: steady clock and sleep.
  std::function<int64_t()> now_ns;
  std::function<void(int64_t)> sleep_ns;
};

struct EnergyMeasurement {
  double energy_mj = 0;  // per run: (active - idle baseline) / runs
  // 95% interval of energy_mj from the idle slices' spread (both equal when
  // the spread is 0).
  double ci_low_mj = 0;
  double ci_high_mj = 0;
  bool unstable = false;    // model power within noise_sigmas of the noise
  int64_t runs = 0;
  double active_mw = 0;     // mean power over the runs
  double baseline_mw = 0;   // mean idle power just before
  double noise_mw = 0;      // standard error of active_mw - baseline_mw
  double active_ms = 0;
  double idle_ms = 0;
  // e.g. "rapl(1 package): (active - idle baseline) over 812 runs, active
  // 5210.3 mW, baseline 4980.1 mW +- 12.0 mW, windows 500 ms"
  std::string method;
};

// Runs `run` about window_ms / median_ms times (within [min_runs, max_runs])
// after an idle window of the same planned length. CANCELLED when *cancel
// (may be null) becomes true; the meter's or run's error otherwise;
// INVALID_ARGUMENT for bad options; UNAVAILABLE saying why when the active
// power is not above the idle baseline (the model's energy is below what
// the meter resolves, or the machine got quieter): no number is invented.
absl::StatusOr<EnergyMeasurement> MeasureEnergyPerRun(EnergyMeter& meter,
                                                      const std::function<absl::Status()>& run,
                                                      double median_ms,
                                                      const EnergyMeasureOptions& options,
                                                      const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_MEASURE_H_
