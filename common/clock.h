// Clock: the one source of "now" for leases, timeouts and timestamps, so that
// tests can drive time by hand (FakeClock in tests/) instead of sleeping.
#ifndef EDGENAS_COMMON_CLOCK_H_
#define EDGENAS_COMMON_CLOCK_H_

#include <cstdint>

namespace edgenas {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowUnixMs() const = 0;
};

// Wall clock (system_clock). Thread-safe.
class RealClock : public Clock {
 public:
  int64_t NowUnixMs() const override;
  // A process-wide instance; never destroyed.
  static RealClock* Get();
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_CLOCK_H_
