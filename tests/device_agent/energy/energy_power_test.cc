// PowerIntegrator's trapezoid rule and SampledPowerMeter with a scripted
// power source and a fake clock (no background thread unless stated).
#include "device_agent/energy/energy_power.h"

#include <deque>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::SteppingClock;

// A source that returns scripted readings (the last one repeats).
class ScriptedSource : public PowerSource {
 public:
  explicit ScriptedSource(std::deque<absl::StatusOr<double>> readings)
      : readings_(std::move(readings)) {}
  std::string Name() const override { return "scripted"; }
  absl::StatusOr<double> ReadMicrowatts() override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    absl::StatusOr<double> r = readings_.front();
    if (readings_.size() > 1) readings_.pop_front();
    return r;
  }
  // Waits (up to 10 s) until at least `n` readings were taken.
  bool WaitForCalls(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }

 private:
  absl::Mutex mu_;
  std::deque<absl::StatusOr<double>> readings_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// Two samples one second apart at 1 W and 3 W hold 2 J (the trapezoid).
TEST(PowerIntegrator, IntegratesTrapezoids) {
  PowerIntegrator p;
  p.Add(0, 1e6);
  EXPECT_EQ(p.TotalUj(), 0);
  p.Add(1'000'000'000, 3e6);
  EXPECT_DOUBLE_EQ(p.TotalUj(), 2e6);
  p.Add(1'500'000'000, 3e6);
  EXPECT_DOUBLE_EQ(p.TotalUj(), 2e6 + 1.5e6);
  EXPECT_EQ(p.samples(), 3);
}

// A sample at a time not after the last one adds nothing but becomes the
// power the next interval starts from.
TEST(PowerIntegrator, IgnoresTimeThatDoesNotAdvance) {
  PowerIntegrator p;
  p.Add(1000, 1e6);
  p.Add(1000, 5e6);
  p.Add(500, 7e6);
  EXPECT_EQ(p.TotalUj(), 0);
  p.Add(1'000'001'000, 7e6);
  EXPECT_DOUBLE_EQ(p.TotalUj(), 7e6);
}

// Create takes one sample and each Read another: energy is the integral of
// the scripted powers over the fake clock's 100 ms steps.
TEST(SampledPowerMeter, IntegratesSamplesTakenAtEachRead) {
  SteppingClock clock(100'000'000);
  auto source = std::make_unique<ScriptedSource>(
      std::deque<absl::StatusOr<double>>{2e6, 4e6, 4e6, 0.0});
  SamplerOptions options;
  options.background = false;
  options.now_ns = clock.Fn();
  auto meter = SampledPowerMeter::Create(std::move(source), options);
  ASSERT_TRUE(meter.ok()) << meter.status();
  EXPECT_EQ((*meter)->Name(), "scripted");
  EXPECT_EQ((*meter)->MinWindowMs(), 200);  // 20 periods of 10 ms
  absl::StatusOr<uint64_t> e = (*meter)->Read();  // 2 W -> 4 W over 0.1 s
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 300'000u);
  e = (*meter)->Read();  // 4 W for 0.1 s
  EXPECT_EQ(*e, 700'000u);
  e = (*meter)->Read();  // 4 W -> 0 W
  EXPECT_EQ(*e, 900'000u);
}

// A negative reading (sensor offset) counts as 0 W, so energy never drops.
TEST(SampledPowerMeter, NegativePowerCountsAsZero) {
  SteppingClock clock(1'000'000'000);
  auto source =
      std::make_unique<ScriptedSource>(std::deque<absl::StatusOr<double>>{-5e6, 2e6});
  SamplerOptions options;
  options.background = false;
  options.now_ns = clock.Fn();
  auto meter = SampledPowerMeter::Create(std::move(source), options);
  ASSERT_TRUE(meter.ok()) << meter.status();
  absl::StatusOr<uint64_t> e = (*meter)->Read();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, 1'000'000u);  // (0 + 2 W) / 2 over 1 s
}

// A source that cannot be read fails Create with its own error, and a
// failing Read returns the error and keeps what was integrated.
TEST(SampledPowerMeter, ReadErrorsAreReturnedAndTotalsKept) {
  SteppingClock clock(1'000'000'000);
  auto broken = std::make_unique<ScriptedSource>(
      std::deque<absl::StatusOr<double>>{absl::NotFoundError("no rail")});
  SamplerOptions options;
  options.background = false;
  options.now_ns = clock.Fn();
  auto none = SampledPowerMeter::Create(std::move(broken), options);
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();

  auto source = std::make_unique<ScriptedSource>(std::deque<absl::StatusOr<double>>{
      1e6, 1e6, absl::UnavailableError("i2c timeout"), 1e6});
  auto meter = SampledPowerMeter::Create(std::move(source), options);
  ASSERT_TRUE(meter.ok());
  EXPECT_EQ(*(*meter)->Read(), 1'000'000u);
  EXPECT_TRUE(absl::IsUnavailable((*meter)->Read().status()));
  // The failed sample is skipped: the next interval runs from the last good
  // sample (this fake clock only moves on good samples).
  EXPECT_EQ(*(*meter)->Read(), 2'000'000u);
}

// A period below 1 ms is refused.
TEST(SampledPowerMeter, RejectsBadPeriod) {
  auto source = std::make_unique<ScriptedSource>(std::deque<absl::StatusOr<double>>{1.0});
  SamplerOptions options;
  options.period_ms = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(SampledPowerMeter::Create(std::move(source), options).status()));
}

// With the background thread on, samples are taken without Reads, and
// destroying the meter stops the thread.
TEST(SampledPowerMeter, BackgroundThreadSamples) {
  auto source = std::make_unique<ScriptedSource>(std::deque<absl::StatusOr<double>>{1e6});
  ScriptedSource* raw = source.get();
  SamplerOptions options;
  options.period_ms = 1;
  auto meter = SampledPowerMeter::Create(std::move(source), options);
  ASSERT_TRUE(meter.ok());
  EXPECT_TRUE(raw->WaitForCalls(5));
  EXPECT_TRUE((*meter)->Read().ok());
  EXPECT_EQ((*meter)->failed_samples(), 0);
  meter->reset();  // joins the sampler
}

}  // namespace
}  // namespace edgenas
