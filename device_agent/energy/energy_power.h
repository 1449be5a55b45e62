// Energy from power: meters that can only read instantaneous power (Jetson
// INA3221 rails, the Raspberry Pi 5 PMIC, an external power meter) become
// EnergyMeters by sampling the power and integrating it over time with the
// trapezoid rule. The integrator is pure; the sampler takes an injectable
// clock so that tests fix every sample's time.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_POWER_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_POWER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "device_agent/energy/energy_meter.h"

namespace edgenas {

// Monotonic time in nanoseconds; empty std::function means steady_clock.
using NowNsFn = std::function<int64_t()>;

// The steady clock in nanoseconds (the default for every NowNsFn).
int64_t SteadyNowNs();

// Trapezoid integration of power samples into energy. Not thread-safe.
class PowerIntegrator {
 public:
  // Adds the power `microwatts` seen at `t_ns`. The first sample only sets
  // the start; a sample not later than the previous one (a clock that went
  // backwards or repeated) replaces the previous power without adding energy.
  void Add(int64_t t_ns, double microwatts);
  // Microjoules integrated so far.
  double TotalUj() const { return total_uj_; }
  int64_t samples() const { return samples_; }
  int64_t last_ns() const { return last_ns_; }

 private:
  double total_uj_ = 0;
  int64_t samples_ = 0;
  int64_t last_ns_ = 0;
  double last_uw_ = 0;
};

// Something that reads instantaneous power (the sum of its chosen rails).
class PowerSource {
 public:
  virtual ~PowerSource() = default;
  // Short description naming the rails, e.g. "ina3221(VDD_IN)".
  virtual std::string Name() const = 0;
  // Instantaneous power in microwatts. Called from one thread at a time.
  virtual absl::StatusOr<double> ReadMicrowatts() = 0;
};

struct SamplerOptions {
  int period_ms = 10;  // background sampling period, >= 1
  // false: no background thread; only Create and Read take samples (tests).
  bool background = true;
  NowNsFn now_ns;  // empty: SteadyNowNs
};

// An EnergyMeter that samples a PowerSource every period_ms on a background
// thread (and once more at each Read, so that a window's edges are exact)
// and reports the integrated energy. A background sample that fails is
// skipped: the trapezoid then spans the gap. Thread-safe.
class SampledPowerMeter : public EnergyMeter {
 public:
  // Takes the first sample now: a source that cannot be read fails here,
  // with its own error. INVALID_ARGUMENT for period_ms < 1.
  static absl::StatusOr<std::unique_ptr<SampledPowerMeter>> Create(
      std::unique_ptr<PowerSource> source, SamplerOptions options);
  ~SampledPowerMeter() override;

  std::string Name() const override { return name_; }
  // Samples now and returns the energy integrated since Create; the
  // source's error when that sample fails.
  absl::StatusOr<uint64_t> Read() override;
  int MinWindowMs() const override { return 20 * period_ms_; }
  // Background samples that failed so far.
  int64_t failed_samples() const;

 private:
  SampledPowerMeter(std::unique_ptr<PowerSource> source, SamplerOptions options);
  absl::Status SampleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop();

  const std::string name_;
  const int period_ms_;
  const NowNsFn now_ns_;
  mutable absl::Mutex mu_;
  std::unique_ptr<PowerSource> source_ ABSL_GUARDED_BY(mu_);
  PowerIntegrator integrator_ ABSL_GUARDED_BY(mu_);
  int64_t failed_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_POWER_H_
