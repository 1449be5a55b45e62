// ExecutorLoop operations on a board: the coordinator away at start, going
// away and coming back without its executors (restart), and the agent being
// stopped mid-task. Against in-process fake TaskServices on loopback, the
// "restart" being a second fake on the first one's port.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "executor/executor_loop.h"
#include "gtest/gtest.h"
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
  options.device_class = "rpi5";
  options.lease_wait_ms = 60000;  // long polls end only by task, error or Stop
  options.initial_backoff_ms = 10;
  options.max_backoff_ms = 50;
  options.register_timeout_ms = 0;  // a board waits for its coordinator forever
  return options;
}

// A handler that measures until cancelled (a long measurement that polls
// its cancel flag), then says so.
absl::StatusOr<TaskOutcome> UntilCancelled(const v1::Task&, const std::atomic<bool>* cancel) {
  while (!cancel->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return absl::CancelledError("measurement cancelled");
}

absl::StatusOr<TaskOutcome> Instant(const v1::Task&, const std::atomic<bool>*) {
  return TaskOutcome{};
}

int PortOf(const std::string& address) {
  return std::stoi(address.substr(address.rfind(':') + 1));
}

// A port that was free a moment ago and on which nothing listens now.
int FreePort() {
  FakeTaskService probe;
  return PortOf(probe.address());
}

// The coordinator is not there when the agent starts: Register is retried
// with backoff (register_timeout_ms = 0: without end) until it comes up,
// and the agent then registers once and polls.
TEST(ExecutorOperations, RegisterRetriesUntilCoordinatorComesUp) {
  const int port = FreePort();
  auto loop = ExecutorLoop::Create(Options("127.0.0.1:" + std::to_string(port)), Instant);
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());

  // Several backoff rounds find nothing listening; Run() keeps going.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(runner.running());
  FakeTaskService coordinator(port);
  ASSERT_FALSE(coordinator.address().empty()) << "port " << port << " was taken meanwhile";

  ASSERT_TRUE(coordinator.AwaitState([](const State& s) { return s.leases_waiting == 1; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = coordinator.Snapshot();
  ASSERT_EQ(s.registers.size(), 1u);
  EXPECT_EQ(s.registers[0].device_class(), "rpi5");
  EXPECT_EQ(s.leases.back().executor_id(), "exec-1");
}

// The coordinator goes away while the agent polls and comes back without
// its executors: the agent retries with backoff while nothing listens, gets
// NOT_FOUND for its old id from the new instance, registers again, and
// polls under the new id -- never giving up in between.
TEST(ExecutorOperations, ReconnectsAndReRegistersAfterCoordinatorRestart) {
  auto first = std::make_unique<FakeTaskService>();
  const int port = PortOf(first->address());
  auto loop = ExecutorLoop::Create(Options(first->address()), Instant);
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  ASSERT_TRUE(first->AwaitState([](const State& s) { return s.leases_waiting == 1; }));
  ASSERT_EQ(first->Snapshot().registers.size(), 1u);

  first.reset();  // the coordinator stops; the agent's polls now fail
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(runner.running());
  FakeTaskService second(port, /*reject_unknown_executors=*/true);
  ASSERT_FALSE(second.address().empty()) << "port " << port << " was taken meanwhile";

  ASSERT_TRUE(second.AwaitState(
      [](const State& s) { return s.registers.size() == 1 && s.leases_waiting == 1; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = second.Snapshot();
  EXPECT_GE(s.unknown_executor_calls, 1);  // the old id was refused first
  EXPECT_EQ(s.registers.size(), 1u);
  EXPECT_EQ(s.leases.back().executor_id(), "exec-1");
}

// The coordinator restarts while a measurement runs: the heartbeat's
// NOT_FOUND means the lease is gone with the executor id, so the
// measurement is cancelled and dropped (no report on a lease that no
// longer exists), and the agent registers again and polls for new work.
TEST(ExecutorOperations, RestartDuringTaskCancelsItAndReRegisters) {
  auto first = std::make_unique<FakeTaskService>();
  const int port = PortOf(first->address());
  first->AddTask(MakeTask("t1"));
  std::atomic<bool> cancelled{false};
  auto loop = ExecutorLoop::Create(
      Options(first->address()),
      [&cancelled](const v1::Task& task,
                   const std::atomic<bool>* cancel) -> absl::StatusOr<TaskOutcome> {
        absl::StatusOr<TaskOutcome> r = UntilCancelled(task, cancel);
        cancelled = true;
        return r;
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  ASSERT_TRUE(first->AwaitState([](const State& s) { return !s.heartbeats.empty(); }));

  first.reset();
  FakeTaskService second(port, /*reject_unknown_executors=*/true);
  ASSERT_FALSE(second.address().empty()) << "port " << port << " was taken meanwhile";

  ASSERT_TRUE(second.AwaitState(
      [](const State& s) { return s.registers.size() == 1 && s.leases_waiting == 1; }));
  ASSERT_TRUE(runner.Finish().ok());
  EXPECT_TRUE(cancelled);
  const State s = second.Snapshot();
  EXPECT_GE(s.unknown_executor_calls, 1);
  EXPECT_TRUE(s.completes.empty());
  EXPECT_TRUE(s.fails.empty());
}

// Stopping the agent (SIGTERM) mid-measurement leaves no lease behind: the
// handler is cancelled and the task is reported with a retryable Fail under
// its lease token, so the coordinator can hand it to another agent at once
// instead of waiting for the lease to expire.
TEST(ExecutorOperations, StopDuringTaskReleasesLeaseWithRetryableFail) {
  FakeTaskService coordinator;
  coordinator.AddTask(MakeTask("t1"));
  auto loop = ExecutorLoop::Create(Options(coordinator.address()), UntilCancelled);
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  // A heartbeat for t1 means the handler is running.
  ASSERT_TRUE(coordinator.AwaitState([](const State& s) { return !s.heartbeats.empty(); }));

  ASSERT_TRUE(runner.Finish().ok());
  const State s = coordinator.Snapshot();
  EXPECT_TRUE(s.completes.empty());
  ASSERT_EQ(s.fails.size(), 1u);
  EXPECT_EQ(s.fails[0].task_id(), "t1");
  EXPECT_EQ(s.fails[0].lease_token(), "tok-t1");
  EXPECT_EQ(s.fails[0].executor_id(), "exec-1");
  EXPECT_TRUE(s.fails[0].retryable());
  EXPECT_TRUE(absl::StrContains(s.fails[0].reason(), "CANCELLED")) << s.fails[0].reason();
}

}  // namespace
}  // namespace edgenas
