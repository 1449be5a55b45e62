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

// Thread-safe: Advance/Set may race with NowUnixMs from other threads.
class FakeClock : public Clock {
 public:
  // Starts at `start_ms` (a recent-looking epoch time by default).
  explicit FakeClock(int64_t start_ms = 1700000000000) : now_ms_(start_ms) {}

  int64_t NowUnixMs() const override { return now_ms_.load(); }

  // Moves time forward by `ms` (may be 0; negative moves it back).
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }

  // Sets the time to `ms` since the epoch.
  void Set(int64_t ms) { now_ms_.store(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace testing
}  // namespace edgenas

#endif  // EDGENAS_TESTS_STORE_FAKE_CLOCK_H_
