// FakeClock: a Clock that moves only when a test moves it, so lease expiry
// and timeouts are tested without sleeping. For tests only; shared by every
// component's tests (include "tests/coordinator/fake_clock.h").
#ifndef EDGENAS_TESTS_STORE_FAKE_CLOCK_H_
#define EDGENAS_TESTS_STORE_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace edgenas {
namespace testing {

// Thread-safe: Advance/Set/StepWallClock may race with the readings from
// other threads. Wall and monotonic time move together, except for
// StepWallClock, which moves only the wall clock (an NTP step).
class FakeClock : public Clock {
 public:
  // Starts at `start_ms` (a recent-looking epoch time by default); the
  // monotonic reading starts at an unrelated small value.
  explicit FakeClock(int64_t start_ms = 1700000000000) : now_ms_(start_ms) {}

  int64_t NowUnixMs() const override { return now_ms_.load(); }
  int64_t NowMonotonicMs() const override { return mono_ms_.load(); }

  // Moves time forward by `ms` (may be 0; negative moves it back, the
  // monotonic reading included: only tests may do that).
  void Advance(int64_t ms) {
    now_ms_.fetch_add(ms);
    mono_ms_.fetch_add(ms);
  }

  // Sets the time to `ms` since the epoch (as Advance by the difference).
  void Set(int64_t ms) { Advance(ms - now_ms_.load()); }

  // Steps only the wall clock by `ms` (either way); monotonic time stays.
  void StepWallClock(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> mono_ms_{5000};
};

}  // namespace testing
}  // namespace edgenas

#endif  // EDGENAS_TESTS_STORE_FAKE_CLOCK_H_
