// Executor retention with a fake clock: an executor silent for longer than
// the retention period is forgotten (memory, store, metrics snapshot) at
// the next sweep, one that keeps calling is kept, a restart counts silence
// from the restart, and a forgotten executor registers again.
#include <string>
#include <vector>

#include "coordinator/executor_retention.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kHourMs = 3600 * 1000;

class ExecutorRetentionTest : public JobManagerTest {
 protected:
  // Registered agents of `device_class` in the metrics snapshot.
  int RegisteredAgents(const std::string& device_class) {
    const CoordinatorSnapshot snapshot = manager_->Snapshot();
    auto it = snapshot.executors.find({"agent", device_class});
    return it == snapshot.executors.end() ? 0 : it->second.registered;
  }
  std::vector<std::string> StoredExecutorIds() {
    std::vector<std::string> ids;
    auto stored = store_->ListExecutors();
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (stored.ok()) {
      for (const ExecutorRecord& e : *stored) ids.push_back(e.id);
    }
    return ids;
  }
  absl::Status Heartbeat(const std::string& executor) {
    v1::HeartbeatRequest request;
    request.set_executor_id(executor);
    return manager_->Heartbeat(request).status();
  }
};

TEST_F(ExecutorRetentionTest, SilentExecutorIsForgottenAfterTheDefaultDay) {
  const std::string quiet = RegisterExecutor(v1::DEVICE_AGENT);
  const std::string busy = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_EQ(RegisteredAgents("cpu"), 2);

  // 23 h: both kept (the busy one keeps calling).
  for (int h = 0; h < 23; ++h) {
    clock_.Advance(kHourMs);
    ASSERT_TRUE(Heartbeat(busy).ok());
  }
  manager_->Tick();
  EXPECT_EQ(RegisteredAgents("cpu"), 2);
  EXPECT_EQ(StoredExecutorIds().size(), 2u);

  // Past 24 h of silence: the quiet one is forgotten everywhere.
  clock_.Advance(kHourMs + 1);
  ASSERT_TRUE(Heartbeat(busy).ok());
  manager_->Tick();
  EXPECT_EQ(RegisteredAgents("cpu"), 1);
  EXPECT_EQ(StoredExecutorIds(), std::vector<std::string>{busy});
  absl::Status gone = Heartbeat(quiet);
  EXPECT_TRUE(absl::IsNotFound(gone)) << gone;
  EXPECT_THAT(std::string(gone.message()), HasSubstr("register again"));

  // It comes back: it simply registers again, under a new id.
  const std::string again = RegisterExecutor(v1::DEVICE_AGENT);
  EXPECT_NE(again, quiet);
  EXPECT_EQ(RegisteredAgents("cpu"), 2);
}

// The alert's case: a device class whose only agent was retired stops being
// counted at all, so "no live agent for the class" no longer applies.
TEST_F(ExecutorRetentionTest, RetiredDeviceClassDisappearsFromTheSnapshot) {
  v1::RegisterRequest request;
  request.set_kind(v1::DEVICE_AGENT);
  request.set_name("board");
  request.set_device_class("rpi5");
  ASSERT_TRUE(manager_->Register(request).ok());
  clock_.Advance(25 * kHourMs);
  manager_->Tick();
  EXPECT_EQ(manager_->Snapshot().executors.count({"agent", "rpi5"}), 0u);
}

// After a restart the last calls are unknown: silence counts from the
// restart, so nobody is forgotten at once, and the period applies after.
TEST_F(ExecutorRetentionTest, RestartCountsSilenceFromTheRestart) {
  RegisterExecutor(v1::WORKER);
  clock_.Advance(20 * kHourMs);
  Open();
  clock_.Advance(20 * kHourMs);  // 40 h since registration, 20 h since the restart
  manager_->Tick();
  EXPECT_EQ(StoredExecutorIds().size(), 1u);
  clock_.Advance(5 * kHourMs);
  manager_->Tick();
  EXPECT_TRUE(StoredExecutorIds().empty());
}

TEST(ExecutorRetentionValidationTest, RefusesTooShortPeriodsNamingTheField) {
  EXPECT_TRUE(ValidateExecutorRetention(0, "--executor_retention").ok());
  EXPECT_TRUE(ValidateExecutorRetention(kDefaultExecutorRetentionMs, "--executor_retention").ok());
  const absl::Status short_period = ValidateExecutorRetention(1000, "--executor_retention");
  EXPECT_TRUE(absl::IsInvalidArgument(short_period));
  EXPECT_THAT(std::string(short_period.message()), HasSubstr("--executor_retention"));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateExecutorRetention(-1, "x")));
  auto store = Store::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManagerOptions options;
  options.store = store->get();
  options.start_housekeeping_thread = false;
  options.executor_retention_ms = 5000;
  auto manager = JobManager::Create(options);
  EXPECT_TRUE(absl::IsInvalidArgument(manager.status()));
  EXPECT_THAT(std::string(manager.status().message()), HasSubstr("executor_retention_ms"));
}

TEST(ExecutorRetentionValidationTest, NeverForgetsWithZero) {
  EXPECT_FALSE(ExecutorExpired(0, int64_t{1} << 50, 0));
  EXPECT_TRUE(ExecutorExpired(0, kDefaultExecutorRetentionMs + 1, kDefaultExecutorRetentionMs));
  EXPECT_FALSE(ExecutorExpired(0, kDefaultExecutorRetentionMs, kDefaultExecutorRetentionMs));
}

}  // namespace
}  // namespace edgenas
