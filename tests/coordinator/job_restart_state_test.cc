// Exact restart of a job's creation state (issue 23): a job that stopped
// creating candidates stays stopped after a restart; an idle job writes
// nothing on housekeeping ticks; a wall-time budget that would overflow in
// milliseconds is refused naming the field; an executor keeps the identity
// it registered with.
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/job_spec.h"
#include "common/latency_ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

// A table for nb201 (channels 16) on cpu where every operator costs 10 ms:
// with a bound of 1 ms every suggestion is screened.
v1::LatencyTable EveryOpSlowTable() {
  v1::LatencyTable table;
  table.set_space("nb201");
  table.set_device_class("cpu");
  table.set_batch_size(1);
  table.set_threads(1);
  table.set_overhead_ms(0.1);
  table.set_created_unix_ms(1700000000000);
  SpaceConfig space{"nb201", {{"channels", "16"}, {"cells_per_stage", "1"}}};
  auto shapes = RequiredOpShapes(space);
  EXPECT_TRUE(shapes.ok()) << shapes.status();
  for (const OpShape& s : *shapes) {
    v1::LatencyTableEntry* e = table.add_entries();
    e->set_op(s.op);
    e->set_in_channels(s.in_channels);
    e->set_out_channels(s.out_channels);
    e->set_resolution(s.resolution);
    e->set_stride(s.stride);
    e->set_latency_ms(10.0);
  }
  return table;
}

class JobRestartStateTest : public JobManagerTest {
 protected:
  int StoredCandidates(const std::string& job_id) {
    auto stored = store_->ListCandidates(job_id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? static_cast<int>(stored->size()) : -1;
  }
};

// A job that hit the screening cap while candidates were still in flight
// creates nothing more after a restart (the stop is stored with the job;
// before, the restarted job screened another batch past the cap).
TEST_F(JobRestartStateTest, RestartAfterCreationStopCreatesNothingNew) {
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  v1::PutLatencyTableRequest put;
  put.set_executor_id(agent);
  *put.mutable_table() = EveryOpSlowTable();
  ASSERT_TRUE(manager_->PutLatencyTable(put).ok());
  v1::JobSpec spec = TinySpec(50);
  spec.set_parallelism(4);
  // Initial architectures are not screened: two evaluations in flight.
  spec.add_initial_architectures(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  spec.add_initial_architectures(
      "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|");
  auto* k = spec.add_constraints();
  k->set_metric(kMetricLatencyMs);
  k->set_max_value(1.0);
  k->set_device_class("cpu");
  spec.mutable_latency()->set_screen_with_table(true);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  auto stopped = manager_->GetJob(job->id());
  ASSERT_TRUE(stopped.ok());
  // The premise: stopped by the cap, with evaluations still in flight.
  ASSERT_EQ(stopped->state(), v1::JOB_SEARCHING) << stopped->message();
  ASSERT_THAT(stopped->message(), HasSubstr("screened by the latency table")) << stopped->message();
  ASSERT_GT(stopped->candidates_pending(), 0);
  EXPECT_TRUE(stopped->creation_stopped());
  const int before = StoredCandidates(job->id());

  Open();  // restart
  manager_->Tick();
  EXPECT_EQ(StoredCandidates(job->id()), before);
  auto after = manager_->GetJob(job->id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->candidates_pending(), stopped->candidates_pending());
  EXPECT_TRUE(after->creation_stopped());
  EXPECT_THAT(after->message(), HasSubstr("screened by the latency table"));
}

// Housekeeping ticks over a job that waits for results write nothing: its
// record (updated_unix_ms), strategy log and events stay as they were.
TEST_F(JobRestartStateTest, IdleJobWritesNothingOnHousekeepingTicks) {
  auto job = manager_->SubmitJob(TinySpec(4));
  ASSERT_TRUE(job.ok()) << job.status();
  manager_->Tick();
  auto stored = store_->GetJob(job->id());
  ASSERT_TRUE(stored.ok());
  auto log = store_->ListStrategyCalls(job->id());
  ASSERT_TRUE(log.ok());
  auto events = store_->ListEvents(job->id(), 0, 0);
  ASSERT_TRUE(events.ok());
  for (int tick = 0; tick < 10; ++tick) {
    clock_.Advance(500);
    manager_->Tick();
  }
  auto later = store_->GetJob(job->id());
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->updated_unix_ms(), stored->updated_unix_ms());
  EXPECT_EQ(store_->ListStrategyCalls(job->id())->size(), log->size());
  EXPECT_EQ(store_->ListEvents(job->id(), 0, 0)->size(), events->size());
}

// A wall-time budget whose milliseconds overflow int64 is refused naming
// the field; the largest allowed one runs.
TEST_F(JobRestartStateTest, HugeWallTimeBudgetIsRefusedNamingTheField) {
  v1::JobSpec spec = TinySpec(4);
  spec.mutable_budget()->set_max_wall_seconds(9223372036854775807LL);
  auto refused = manager_->SubmitJob(spec);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("budget.max_wall_seconds"));
  spec.mutable_budget()->set_max_wall_seconds(10LL * 366 * 24 * 3600);
  auto accepted = manager_->SubmitJob(spec);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  clock_.Advance(3600 * 1000);
  manager_->Tick();
  auto running = manager_->GetJob(accepted->id());
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state(), v1::JOB_SEARCHING) << running->message();
  EXPECT_THAT(running->message(), ::testing::Not(HasSubstr("wall-time")));
}

// The certificate an executor registered with is stored with it, so that
// the id stays bound to it after a restart (coordinator_main hands it to
// CoordinatorAuth); a registration without one stores none.
TEST_F(JobRestartStateTest, ExecutorKeepsTheIdentityItRegisteredWith) {
  v1::RegisterRequest req;
  req.set_kind(v1::DEVICE_AGENT);
  req.set_device_class("rpi5");
  absl::StatusOr<v1::RegisterResponse> bound = absl::UnknownError("not answered");
  absl::Notification answered;
  manager_->RegisterAsync(req, "sha256-of-board-a",
                          [&](absl::StatusOr<v1::RegisterResponse> r) {
                            bound = std::move(r);
                            answered.Notify();
                          });
  answered.WaitForNotification();
  ASSERT_TRUE(bound.ok()) << bound.status();
  const std::string open_id = RegisterExecutor(v1::WORKER);
  Open();
  auto executors = store_->ListExecutors();
  ASSERT_TRUE(executors.ok()) << executors.status();
  int seen = 0;
  for (const ExecutorRecord& e : *executors) {
    if (e.id == bound->executor_id()) {
      ++seen;
      EXPECT_EQ(e.owner_identity, "sha256-of-board-a");
    } else if (e.id == open_id) {
      ++seen;
      EXPECT_EQ(e.owner_identity, "");
    }
  }
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace edgenas
