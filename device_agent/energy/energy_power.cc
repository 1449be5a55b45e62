#include "device_agent/energy/energy_power.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace edgenas {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void PowerIntegrator::Add(int64_t t_ns, double microwatts) {
  if (samples_ > 0 && t_ns > last_ns_) {
    total_uj_ += (last_uw_ + microwatts) / 2.0 * static_cast<double>(t_ns - last_ns_) / 1e9;
  }
  if (samples_ == 0 || t_ns > last_ns_) last_ns_ = t_ns;
  last_uw_ = microwatts;
  ++samples_;
}

SampledPowerMeter::SampledPowerMeter(std::unique_ptr<PowerSource> source, SamplerOptions options)
    : name_(source->Name()),
      period_ms_(options.period_ms),
      now_ns_(options.now_ns ? std::move(options.now_ns) : NowNsFn(SteadyNowNs)),
      source_(std::move(source)) {}

absl::StatusOr<std::unique_ptr<SampledPowerMeter>> SampledPowerMeter::Create(
    std::unique_ptr<PowerSource> source, SamplerOptions options) {
  if (source == nullptr) return absl::InvalidArgumentError("power source: null");
  if (options.period_ms < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample period: must be >= 1 ms, got ", options.period_ms));
  }
  const bool background = options.background;
  std::unique_ptr<SampledPowerMeter> meter(
      new SampledPowerMeter(std::move(source), std::move(options)));
  {
    absl::MutexLock lock(&meter->mu_);
    if (absl::Status s = meter->SampleLocked(); !s.ok()) return s;
  }
  if (background) meter->thread_ = std::thread([m = meter.get()] { m->Loop(); });
  return meter;
}

SampledPowerMeter::~SampledPowerMeter() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status SampledPowerMeter::SampleLocked() {
  absl::StatusOr<double> uw = source_->ReadMicrowatts();
  if (!uw.ok()) return uw.status();
  if (!std::isfinite(*uw)) {
    return absl::DataLossError(absl::StrCat(name_, ": power reading is not a finite number"));
  }
  // Power drawn is never negative; a reverse-current reading (sensor offset
  // near 0 A) counts as 0 so that the energy stays monotone.
  integrator_.Add(now_ns_(), std::max(0.0, *uw));
  return absl::OkStatus();
}

void SampledPowerMeter::Loop() {
  absl::MutexLock lock(&mu_);
  const absl::Duration period = absl::Milliseconds(period_ms_);
  while (true) {
    // Wakes early only to stop; the wait releases the lock for Read.
    mu_.AwaitWithTimeout(absl::Condition(&stop_), period);
    if (stop_) return;
    if (!SampleLocked().ok()) ++failed_;
  }
}

absl::StatusOr<uint64_t> SampledPowerMeter::Read() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = SampleLocked(); !s.ok()) return s;
  const double total = integrator_.TotalUj();
  return total <= 0 ? uint64_t{0} : static_cast<uint64_t>(total);
}

int64_t SampledPowerMeter::failed_samples() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

}  // namespace edgenas
