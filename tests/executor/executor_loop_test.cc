// ExecutorLoop against an in-process fake TaskService on loopback.
#include "executor/executor_loop.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "common/job_fatal.h"
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
  options.device_class = "cpu";
  options.lease_wait_ms = 60000;  // long polls end only by task, error or Stop
  options.initial_backoff_ms = 10;
  options.max_backoff_ms = 50;
  return options;
}

// Registers with its kind, name and device class, leases, and reports the
// handler's metrics and notes with Complete under the task's lease token.
TEST(ExecutorLoop, RegistersLeasesAndCompletesWithHandlerMetrics) {
  FakeTaskService fake;
  fake.AddTask(MakeTask("t1"));
  std::string registered_id;
  ExecutorOptions options = Options(fake.address());
  options.on_registered = [&registered_id](const std::string& id) { registered_id = id; };
  auto loop = ExecutorLoop::Create(options, [](const v1::Task& task, const std::atomic<bool>*)
                                                -> absl::StatusOr<TaskOutcome> {
    TaskOutcome outcome;
    v1::Metric m;
    m.set_name("latency_ms");
    m.set_value(1.5);
    outcome.metrics.push_back(m);
    outcome.notes.push_back("note for " + task.task_id());
    return outcome;
  });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.completes.size() == 1; }));
  ASSERT_TRUE(runner.Finish().ok());

  const State s = fake.Snapshot();
  ASSERT_EQ(s.registers.size(), 1u);
  EXPECT_EQ(s.registers[0].kind(), v1::DEVICE_AGENT);
  EXPECT_EQ(s.registers[0].name(), "board-1");
  EXPECT_EQ(s.registers[0].device_class(), "cpu");
  EXPECT_EQ(registered_id, "exec-1");
  EXPECT_EQ((*loop)->executor_id(), "exec-1");
  ASSERT_FALSE(s.leases.empty());
  EXPECT_EQ(s.leases[0].executor_id(), "exec-1");
  EXPECT_EQ(s.leases[0].max_tasks(), 1);
  const v1::CompleteRequest& c = s.completes[0];
  EXPECT_EQ(c.executor_id(), "exec-1");
  EXPECT_EQ(c.task_id(), "t1");
  EXPECT_EQ(c.lease_token(), "tok-t1");
  ASSERT_EQ(c.metrics_size(), 1);
  EXPECT_EQ(c.metrics(0).name(), "latency_ms");
  EXPECT_DOUBLE_EQ(c.metrics(0).value(), 1.5);
  ASSERT_EQ(c.notes_size(), 1);
  EXPECT_EQ(c.notes(0), "note for t1");
  EXPECT_TRUE(s.fails.empty());
}

// INVALID_ARGUMENT from the handler is reported as a non-retryable failure
// with the message as reason; other errors are retryable.
TEST(ExecutorLoop, ReportsFailRetryableUnlessInvalidArgument) {
  FakeTaskService fake;
  fake.AddTask(MakeTask("bad"));
  fake.AddTask(MakeTask("flaky"));
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task& task, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        if (task.task_id() == "bad") return absl::InvalidArgumentError("task.arch: bad token");
        return absl::UnavailableError("board busy");
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.fails.size() == 2; }));
  ASSERT_TRUE(runner.Finish().ok());

  const State s = fake.Snapshot();
  EXPECT_TRUE(s.completes.empty());
  EXPECT_EQ(s.fails[0].task_id(), "bad");
  EXPECT_EQ(s.fails[0].lease_token(), "tok-bad");
  EXPECT_FALSE(s.fails[0].retryable());
  EXPECT_TRUE(absl::StrContains(s.fails[0].reason(), "task.arch: bad token"))
      << s.fails[0].reason();
  EXPECT_EQ(s.fails[1].task_id(), "flaky");
  EXPECT_TRUE(s.fails[1].retryable());
  EXPECT_TRUE(absl::StrContains(s.fails[1].reason(), "board busy"));
}

// A status marked job-fatal (common/job_fatal.h) is reported with
// job_fatal set and not retryable; an unmarked one leaves job_fatal unset.
TEST(ExecutorLoop, ReportsJobFatalFailures) {
  FakeTaskService fake;
  fake.AddTask(MakeTask("dataset"));
  fake.AddTask(MakeTask("flaky"));
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task& task, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        if (task.task_id() == "dataset") {
          return MarkJobFatal(absl::FailedPreconditionError("dataset unusable: a.png truncated"));
        }
        return absl::UnavailableError("board busy");
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());
  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.fails.size() == 2; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  EXPECT_EQ(s.fails[0].task_id(), "dataset");
  EXPECT_TRUE(s.fails[0].job_fatal());
  EXPECT_FALSE(s.fails[0].retryable());
  EXPECT_TRUE(absl::StrContains(s.fails[0].reason(), "a.png truncated"));
  EXPECT_EQ(s.fails[1].task_id(), "flaky");
  EXPECT_FALSE(s.fails[1].job_fatal());
  EXPECT_TRUE(s.fails[1].retryable());
}

// A result the coordinator refuses as malformed is not lost to a lease
// expiry: the task is reported failed at once, not retryable, with the
// coordinator's reason.
TEST(ExecutorLoop, RefusedResultIsReportedAsAFailureWithTheReason) {
  FakeTaskService fake;
  fake.RefuseCompletes("metrics[0].method: at most 512 characters, got 531");
  fake.AddTask(MakeTask("t1"));
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        TaskOutcome outcome;
        v1::Metric m;
        m.set_name("latency_ms");
        m.set_value(1.5);
        outcome.metrics.push_back(m);
        return outcome;
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.fails.size() == 1; }));
  ASSERT_TRUE(runner.Finish().ok());

  const State s = fake.Snapshot();
  ASSERT_EQ(s.completes.size(), 1u);  // tried once: it would be refused again
  EXPECT_EQ(s.fails[0].task_id(), "t1");
  EXPECT_EQ(s.fails[0].lease_token(), "tok-t1");
  EXPECT_FALSE(s.fails[0].retryable());
  EXPECT_TRUE(absl::StrContains(s.fails[0].reason(),
                                "the coordinator refused the result: metrics[0].method: at most "
                                "512 characters"))
      << s.fails[0].reason();
}

// Stop() during a long poll cancels the call and Run() returns OK.
TEST(ExecutorLoop, StopReturnsDuringLongPoll) {
  FakeTaskService fake;
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(loop.ok()) << loop.status();
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.leases_waiting == 1; }));
  EXPECT_TRUE(runner.Finish().ok());
  // The server saw the client cancel the poll rather than its 60 s expiry.
  EXPECT_TRUE(fake.AwaitState([](const State& s) { return s.leases_cancelled == 1; }));
}

// Stop() before Run() makes Run() return at once without registering.
TEST(ExecutorLoop, StopBeforeRunReturnsImmediately) {
  FakeTaskService fake;
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(loop.ok());
  (*loop)->Stop();
  EXPECT_TRUE((*loop)->Run().ok());
  EXPECT_TRUE(fake.Snapshot().registers.empty());
}

// NOT_FOUND for our executor id (coordinator lost its state) re-registers.
TEST(ExecutorLoop, ReRegistersWhenExecutorIdUnknown) {
  FakeTaskService fake;
  fake.FailNextLease(grpc::StatusCode::NOT_FOUND);
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(loop.ok());
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.leases_waiting == 1; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  ASSERT_EQ(s.registers.size(), 2u);
  EXPECT_EQ(s.leases.back().executor_id(), "exec-2");
}

// UNAVAILABLE from a lease is retried after a backoff, not fatal.
TEST(ExecutorLoop, RetriesLeaseWhenCoordinatorUnavailable) {
  FakeTaskService fake;
  fake.FailNextLease(grpc::StatusCode::UNAVAILABLE);
  fake.AddTask(MakeTask("t1"));
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(loop.ok());
  LoopRunner runner(loop->get());

  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.completes.size() == 1; }));
  ASSERT_TRUE(runner.Finish().ok());
  EXPECT_EQ(fake.Snapshot().registers.size(), 1u);
}

// A lease reported lost by a heartbeat cancels the handler, and the task is
// dropped: neither Complete nor Fail is sent.
TEST(ExecutorLoop, LostLeaseCancelsHandlerAndDropsTask) {
  FakeTaskService fake;
  fake.ReportLeasesLost();
  fake.AddTask(MakeTask("t1"));
  std::atomic<bool> saw_cancel{false};
  auto loop = ExecutorLoop::Create(
      Options(fake.address()),
      [&saw_cancel](const v1::Task&,
                    const std::atomic<bool>* cancel) -> absl::StatusOr<TaskOutcome> {
        // Stands in for a long measurement that polls its cancel flag.
        while (!cancel->load()) std::this_thread::yield();
        saw_cancel = true;
        return absl::CancelledError("cancelled");
      });
  ASSERT_TRUE(loop.ok());
  LoopRunner runner(loop->get());

  // The loop goes back to polling once the task has been dropped.
  ASSERT_TRUE(fake.AwaitState([](const State& s) { return s.leases.size() == 2; }));
  ASSERT_TRUE(runner.Finish().ok());
  const State s = fake.Snapshot();
  EXPECT_TRUE(saw_cancel);
  ASSERT_FALSE(s.heartbeats.empty());
  EXPECT_EQ(s.heartbeats[0].leases(0).task_id(), "t1");
  EXPECT_EQ(s.heartbeats[0].leases(0).lease_token(), "tok-t1");
  EXPECT_TRUE(s.completes.empty());
  EXPECT_TRUE(s.fails.empty());
}

// With no coordinator listening, Run() gives up after register_timeout_ms
// with UNAVAILABLE.
TEST(ExecutorLoop, RunFailsWhenCoordinatorUnreachable) {
  std::string address;
  {
    FakeTaskService gone;  // a port that was just free; nothing listens now
    address = gone.address();
  }
  ExecutorOptions options = Options(address);
  options.register_timeout_ms = 100;
  auto loop = ExecutorLoop::Create(
      options, [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(loop.ok());
  const absl::Status s = (*loop)->Run();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

// Bad options are refused with INVALID_ARGUMENT naming the field.
TEST(ExecutorLoop, CreateRejectsBadOptions) {
  ExecutorOptions options;
  options.max_tasks = 0;
  auto loop = ExecutorLoop::Create(
      options, [](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        return TaskOutcome{};
      });
  ASSERT_TRUE(absl::IsInvalidArgument(loop.status()));
  EXPECT_TRUE(absl::StrContains(loop.status().message(), "max_tasks"));
}

}  // namespace
}  // namespace edgenas
