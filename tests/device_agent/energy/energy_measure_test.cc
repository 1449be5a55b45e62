// MeasureEnergyPerRun with a fake meter and a fake clock: a "world" whose
// energy grows at the idle power while the measurement sleeps and at idle
// plus model power while it runs, so every expected figure is exact.
#include "device_agent/energy/energy_measure.h"

#include <atomic>
#include <cmath>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

struct World {
  int64_t now_ns = 0;
  double energy_uj = 0;
  double idle_mw = 2000;
  double model_mw = 500;        // drawn on top of idle while a run executes
  int64_t run_ns = 2'000'000;   // each run takes 2 ms
  void Sleep(int64_t ns) {
    now_ns += ns;
    energy_uj += idle_mw * static_cast<double>(ns) / 1e6;  // mW * ms = uJ
  }
  absl::Status Run() {
    now_ns += run_ns;
    energy_uj += (idle_mw + model_mw) * static_cast<double>(run_ns) / 1e6;
    return absl::OkStatus();
  }
};

class FakeMeter : public EnergyMeter {
 public:
  explicit FakeMeter(World* world, int min_window_ms = 0)
      : world_(world), min_window_ms_(min_window_ms) {}
  std::string Name() const override { return "fake"; }
  absl::StatusOr<uint64_t> Read() override {
    ++reads_;
    if (fail_at_read_ == reads_) return absl::UnavailableError("meter gone");
    const uint64_t e = static_cast<uint64_t>(std::llround(world_->energy_uj));
    if (toggle_idle_) world_->idle_mw = world_->idle_mw == 1900 ? 2100 : 1900;
    return e;
  }
  int MinWindowMs() const override { return min_window_ms_; }

  int fail_at_read_ = 0;
  bool toggle_idle_ = false;

 private:
  World* world_;
  const int min_window_ms_;
  int reads_ = 0;
};

class EnergyMeasureTest : public ::testing::Test {
 protected:
  EnergyMeasureOptions Options() {
    EnergyMeasureOptions o;
    o.window_ms = 500;
    o.now_ns = [this] { return world_.now_ns; };
    o.sleep_ns = [this](int64_t ns) { world_.Sleep(ns); };
    return o;
  }
  std::function<absl::Status()> Run() {
    return [this] { return world_.Run(); };
  }

  World world_;
};

// 500 mW above a 2 W idle for 2 ms a run is 1 mJ a run, exactly; the
// baseline has no spread, so the interval is a point and nothing is unstable.
TEST_F(EnergyMeasureTest, SubtractsTheIdleBaseline) {
  FakeMeter meter(&world_);
  auto m = MeasureEnergyPerRun(meter, Run(), /*median_ms=*/2.0, Options(), nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->runs, 250);  // 500 ms / 2 ms
  EXPECT_DOUBLE_EQ(m->idle_ms, 500);
  EXPECT_DOUBLE_EQ(m->active_ms, 500);
  EXPECT_NEAR(m->baseline_mw, 2000, 1e-9);
  EXPECT_NEAR(m->active_mw, 2500, 1e-9);
  EXPECT_NEAR(m->energy_mj, 1.0, 1e-9);
  EXPECT_NEAR(m->ci_low_mj, 1.0, 1e-9);
  EXPECT_NEAR(m->ci_high_mj, 1.0, 1e-9);
  EXPECT_FALSE(m->unstable);
  EXPECT_EQ(m->method,
            "fake: (active - idle baseline) over 250 runs, active 2500.0 mW, baseline 2000.0 mW "
            "+- 0.0 mW, windows 500/500 ms");
}

// Without the baseline the same figure would be 5 mJ a run: the idle power
// dominates; the subtraction is what makes it the model's energy.
TEST_F(EnergyMeasureTest, IdleDominatedWindowStillGivesModelEnergy) {
  world_.idle_mw = 8000;
  world_.model_mw = 100;
  FakeMeter meter(&world_);
  auto m = MeasureEnergyPerRun(meter, Run(), 2.0, Options(), nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->energy_mj, 0.2, 1e-9);  // 100 mW * 2 ms
}

// A meter's MinWindowMs lengthens both windows.
TEST_F(EnergyMeasureTest, HonoursTheMetersMinimumWindow) {
  FakeMeter meter(&world_, /*min_window_ms=*/2000);
  auto m = MeasureEnergyPerRun(meter, Run(), 2.0, Options(), nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->runs, 1000);
  EXPECT_DOUBLE_EQ(m->idle_ms, 2000);
  EXPECT_NEAR(m->energy_mj, 1.0, 1e-9);
}

// No power above idle: UNAVAILABLE saying so, never a zero or negative
// energy.
TEST_F(EnergyMeasureTest, NoPowerAboveIdleIsUnavailable) {
  world_.model_mw = 0;
  FakeMeter meter(&world_);
  auto m = MeasureEnergyPerRun(meter, Run(), 2.0, Options(), nullptr);
  ASSERT_TRUE(absl::IsUnavailable(m.status())) << m.status();
  EXPECT_TRUE(absl::StrContains(m.status().message(), "fake: power while running (2000.0 mW) "
                                                      "not above the idle baseline"))
      << m.status();
}

// A baseline alternating 1.9 / 2.1 W around a model drawing 150 mW more:
// the excess is inside the noise, so the figure is flagged unstable and its
// interval reaches 0.
TEST_F(EnergyMeasureTest, NoisyBaselineIsFlaggedUnstable) {
  world_.idle_mw = 1900;
  world_.model_mw = 150;
  FakeMeter meter(&world_);
  meter.toggle_idle_ = true;
  auto m = MeasureEnergyPerRun(meter, Run(), 2.0, Options(), nullptr);
  ASSERT_TRUE(m.ok()) << m.status();
  // Slices 2100, 1900, 2100, 1900, 2100 mW; active 1900 + 150 mW.
  EXPECT_NEAR(m->baseline_mw, 2020, 1e-6);
  EXPECT_NEAR(m->active_mw, 2050, 1e-6);
  EXPECT_NEAR(m->energy_mj, 30.0 * 0.5 / 250, 1e-9);
  EXPECT_NEAR(m->noise_mw, std::sqrt(12000.0) * std::sqrt(2.0 / 5), 1e-6);
  EXPECT_TRUE(m->unstable);
  EXPECT_EQ(m->ci_low_mj, 0);
  EXPECT_GT(m->ci_high_mj, m->energy_mj);
  EXPECT_TRUE(absl::StrContains(m->method, "; unstable: 30.0 mW above idle")) << m->method;
}

// Cancellation during the idle window, a meter that fails and a run that
// fails all stop the measurement with their status.
TEST_F(EnergyMeasureTest, StopsOnCancelAndErrors) {
  std::atomic<bool> cancel{false};
  EnergyMeasureOptions o = Options();
  o.sleep_ns = [this, &cancel](int64_t ns) {
    world_.Sleep(ns);
    cancel = true;
  };
  FakeMeter meter(&world_);
  EXPECT_TRUE(absl::IsCancelled(MeasureEnergyPerRun(meter, Run(), 2.0, o, &cancel).status()));

  FakeMeter failing(&world_);
  failing.fail_at_read_ = 7;  // the read after the runs
  auto m = MeasureEnergyPerRun(failing, Run(), 2.0, Options(), nullptr);
  EXPECT_EQ(m.status().message(), "meter gone");

  FakeMeter ok(&world_);
  auto bad_run = MeasureEnergyPerRun(
      ok, [] { return absl::InternalError("model broke"); }, 2.0, Options(), nullptr);
  EXPECT_EQ(bad_run.status().message(), "model broke");
}

// Out-of-range options are INVALID_ARGUMENT naming the field.
TEST_F(EnergyMeasureTest, RejectsBadOptions) {
  FakeMeter meter(&world_);
  EnergyMeasureOptions o = Options();
  o.idle_slices = 1;
  auto m = MeasureEnergyPerRun(meter, Run(), 2.0, o, nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(m.status()));
  EXPECT_TRUE(absl::StartsWith(m.status().message(), "idle_slices"));
  o = Options();
  o.max_runs = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(MeasureEnergyPerRun(meter, Run(), 2.0, o, nullptr).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      MeasureEnergyPerRun(meter, Run(), std::nan(""), Options(), nullptr).status()));
}

}  // namespace
}  // namespace edgenas
