// Results outlive coordinator outages and executor restarts (issue 23): an
// ExecutorLoop keeps a finished result, heartbeats its lease while the
// result waits, retries until the coordinator answers definitively, spools
// it on disk so that a restarted executor re-sends it, and heartbeats every
// task it holds, not just the running one. Time is a FakeClock that the
// fake coordinator advances on each refused call; nothing here reads or
// asserts on the wall clock.
#include <atomic>
#include <chrono>
#include <climits>
#include <filesystem>
#include <future>
#include <string>

#include "absl/strings/match.h"
#include "executor/executor_loop.h"
#include "gtest/gtest.h"
#include "tests/coordinator/fake_clock.h"
#include "tests/executor/fake_task_service.h"
#include "tests/executor/loop_runner.h"

namespace edgenas {
namespace {

using State = FakeTaskService::State;

v1::Task MakeTask(const std::string& id) { return MakeLatencyTask(id); }

ExecutorOptions Options(const std::string& address) {
  ExecutorOptions options;
  options.coordinator = address;
  options.kind = v1::DEVICE_AGENT;
  options.name = "board-1";
  options.device_class = "cpu";
  options.lease_wait_ms = 60000;
  options.initial_backoff_ms = 10;
  options.max_backoff_ms = 50;
  return options;
}

absl::StatusOr<TaskOutcome> Measure(const v1::Task& task, const std::atomic<bool>*) {
  TaskOutcome outcome;
  v1::Metric m;
  m.set_name("latency_ms");
  m.set_value(2.5);
  outcome.metrics.push_back(m);
  return outcome;
}

bool Accepted(const State& s) {
  return static_cast<int>(s.completes.size()) > s.refused_completes;
}

// Index of the first call in the log equal to `call`, or -1.
int FirstCall(const State& s, const std::string& call) {
  for (size_t i = 0; i < s.calls.size(); ++i) {
    if (s.calls[i] == call) return static_cast<int>(i);
  }
  return -1;
}

std::string TempDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("edgenas_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

int FilesIn(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) n += entry.is_regular_file();
  return n;
}

// The coordinator answers UNAVAILABLE to Complete for 60 s by the injected
// clock (six refusals, 10 s each), twice the old 30 s give-up: the result is
// not dropped, the lease is heartbeated while it waits, and the result is
// accepted once the coordinator is back, before any new lease.
TEST(ResultDelivery, ResultOutlivesACoordinatorOutageLongerThan30Seconds) {
  testing::FakeClock clock;
  FakeTaskService fake;
  fake.CompleteOutage(6, [&clock] { clock.Advance(10000); });
  fake.AddTask(MakeTask("t1"));
  ExecutorOptions options = Options(fake.address());
  options.clock = &clock;
  auto loop = ExecutorLoop::Create(options, Measure);
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  ASSERT_TRUE(fake.AwaitState([](const State& s) { return Accepted(s) || s.leases.size() >= 2; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  EXPECT_GE(s.refused_completes, 6);
  ASSERT_TRUE(Accepted(s)) << "the result was dropped after " << s.refused_completes
                           << " refusals";
  EXPECT_EQ(s.completes.back().task_id(), "t1");
  EXPECT_EQ(s.completes.back().lease_token(), "tok-t1");
  ASSERT_EQ(s.completes.back().metrics_size(), 1);
  // The lease was kept alive while the result waited.
  const int first_complete = FirstCall(s, "complete:t1");
  bool beat_while_waiting = false;
  for (size_t i = first_complete + 1; i < s.calls.size(); ++i) {
    beat_while_waiting |= absl::StrContains(s.calls[i], "heartbeat:") &&
                          absl::StrContains(s.calls[i], "t1");
  }
  EXPECT_TRUE(beat_while_waiting);
}

// An executor stopped while its result waits keeps it in the spool; a new
// executor process over the same spool re-sends it after registering, under
// the lease it was run under (the old executor id and the lease token), and
// empties the spool once the coordinator has answered.
TEST(ResultDelivery, SpooledResultIsResentAfterAnExecutorRestart) {
  const std::string spool = TempDir("spool_restart");
  FakeTaskService fake;
  fake.CompleteOutage(INT_MAX);
  fake.AddTask(MakeTask("t1"));
  ExecutorOptions options = Options(fake.address());
  options.spool_dir = spool;
  {
    auto first = ExecutorLoop::Create(options, Measure);
    ASSERT_TRUE(first.ok()) << first.status();
    LoopRunner runner(first->get());
    ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.refused_completes >= 1; }));
    ASSERT_TRUE(runner.Finish().ok());
  }
  EXPECT_EQ(FilesIn(spool), 1);
  fake.EndOutage();
  auto second = ExecutorLoop::Create(options, Measure);
  ASSERT_TRUE(second.ok()) << second.status();
  LoopRunner runner(second->get());
  ASSERT_TRUE(fake.AwaitState([](const State& s) { return Accepted(s) || s.leases.size() >= 2; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  ASSERT_TRUE(Accepted(s)) << "the spooled result was not re-sent";
  EXPECT_EQ(s.registers.size(), 2u);
  EXPECT_EQ(s.completes.back().executor_id(), "exec-1");
  EXPECT_EQ(s.completes.back().task_id(), "t1");
  EXPECT_EQ(s.completes.back().lease_token(), "tok-t1");
  ASSERT_EQ(s.completes.back().metrics_size(), 1);
  EXPECT_EQ(s.completes.back().metrics(0).value(), 2.5);
  EXPECT_EQ(FilesIn(spool), 0);
  std::filesystem::remove_all(spool);
}

// With max_tasks 2, the task waiting for its turn is heartbeated too, so its
// lease does not run out while the first one runs.
TEST(ResultDelivery, EveryHeldTaskIsHeartbeatedWhenMaxTasksAboveOne) {
  FakeTaskService fake;
  fake.AddTask(MakeTask("t1"));
  fake.AddTask(MakeTask("t2"));
  ExecutorOptions options = Options(fake.address());
  options.max_tasks = 2;
  auto held_beaten = [](const State& s) {
    for (const v1::HeartbeatRequest& hb : s.heartbeats) {
      for (const v1::LeaseRef& ref : hb.leases()) {
        if (ref.task_id() == "t2") return true;
      }
    }
    return false;
  };
  auto loop = ExecutorLoop::Create(
      options, [&fake, &held_beaten](const v1::Task& task, const std::atomic<bool>* cancel) {
        if (task.task_id() == "t1") {
          // Runs until the waiting task was heartbeated, or five beats passed.
          fake.AwaitState([&held_beaten](const State& s) {
            return held_beaten(s) || s.heartbeats.size() >= 5;
          });
        }
        return Measure(task, cancel);
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.completes.size() >= 2; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  const int t1_done = FirstCall(s, "complete:t1");
  ASSERT_GE(t1_done, 0);
  bool t2_beaten_while_t1_ran = false;
  for (int i = 0; i < t1_done; ++i) {
    t2_beaten_while_t1_ran |= absl::StrContains(s.calls[i], "heartbeat:") &&
                              absl::StrContains(s.calls[i], "t2");
  }
  EXPECT_TRUE(t2_beaten_while_t1_ran);
}

}  // namespace
}  // namespace edgenas
