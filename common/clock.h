// Clock: the one source of "now" for leases, timeouts and timestamps, so that
// tests can drive time by hand (FakeClock in tests/) instead of sleeping.
//
// Two readings: NowUnixMs (wall clock: timestamps, anything stored or shown)
// and NowMonotonicMs (never jumps: durations such as how long a lease has
// left). A wall-clock step (NTP, an operator) moves only the first, so
// durations measured on the second are not cut short or stretched by it.
#ifndef EDGENAS_COMMON_CLOCK_H_
#define EDGENAS_COMMON_CLOCK_H_

#include <cstdint>

namespace edgenas {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowUnixMs() const = 0;
  // Milliseconds since an arbitrary fixed point (per process); never goes
  // back and does not follow wall-clock steps. Only differences between two
  // readings mean anything. The default reads NowUnixMs, for clocks whose
  // wall time never steps.
  virtual int64_t NowMonotonicMs() const { return NowUnixMs(); }
};

// Wall clock (system_clock) and monotonic clock (steady_clock). Thread-safe.
class RealClock : public Clock {
 public:
  int64_t NowUnixMs() const override;
  int64_t NowMonotonicMs() const override;
  // A process-wide instance; never destroyed.
  static RealClock* Get();
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_CLOCK_H_
