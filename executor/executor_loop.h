// ExecutorLoop: the pull loop shared by workers and device agents. It
// registers with the coordinator's TaskService, long-polls for tasks, runs
// each through a handler, and reports Complete or Fail. It rides out
// coordinator restarts (UNAVAILABLE: back off and retry; NOT_FOUND for our
// executor id: register again).
//
// Results outlive outages (issue 23). A finished task's report is kept (in
// the spool folder, executor/result_spool.h, when one is set) and retried
// with capped, jittered exponential backoff until the coordinator answers it
// definitively: accepted, or refused because the lease is no longer ours
// (FAILED_PRECONDITION, PERMISSION_DENIED, NOT_FOUND). It is never dropped
// after a fixed time. One heartbeat thread keeps every lease the loop holds
// alive: tasks leased and waiting their turn (max_tasks > 1), the running
// one, and those whose report waits. After each registration, reports left
// in the spool by an earlier process are re-sent first, under the executor
// id and lease token they were made with (the re-send rule is in
// result_spool.h). Stop() while a report waits leaves it in the spool.
#ifndef EDGENAS_EXECUTOR_EXECUTOR_LOOP_H_
#define EDGENAS_EXECUTOR_EXECUTOR_LOOP_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/task_outcome.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "executor/result_spool.h"

namespace grpc {
class ChannelCredentials;
class ClientContext;
}  // namespace grpc

namespace edgenas {

struct ExecutorOptions {
  std::string coordinator = "127.0.0.1:50051";
  // Channel credentials (TLS); null means plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  v1::ExecutorKind kind = v1::WORKER;
  std::string name;
  std::string device_class;
  std::vector<std::string> accelerators;
  std::vector<std::string> capabilities;
  // Device agents: what they measure on (sent at registration; empty = none).
  v1::DeviceDescriptor device;
  int max_tasks = 1;         // tasks asked for per Lease; run one after another
  int lease_wait_ms = 10000;  // long-poll duration of one Lease call
  // How long Register keeps retrying while the coordinator is unreachable
  // before Run gives up; 0 retries forever.
  int register_timeout_ms = 60000;
  int initial_backoff_ms = 200;  // doubled after each failure, up to max
  int max_backoff_ms = 5000;
  int rpc_timeout_ms = 10000;  // deadline of every call except the long poll
  // Used when the coordinator's RegisterResponse leaves it 0.
  int default_heartbeat_interval_ms = 5000;
  // Where finished results wait until the coordinator has answered them
  // definitively (executor/result_spool.h), so that a restarted executor
  // still reports them; "" keeps them in memory only (lost with the process).
  std::string spool_dir;
  // Source of the monotonic time that deadlines are measured on (default:
  // RealClock); tests inject a fake one. Waits themselves are real.
  const Clock* clock = nullptr;
  // Called after every successful (re-)registration with the executor id.
  std::function<void(const std::string& executor_id)> on_registered;
};

// Runs one task. *cancel becomes true when the lease is lost or the loop is
// stopping; long handlers should poll it and return CANCELLED. Status codes
// map to reports: OK → Complete; INVALID_ARGUMENT → Fail(retryable=false);
// any other → Fail(retryable=true).
using TaskHandler = std::function<absl::StatusOr<TaskOutcome>(const v1::Task& task,
                                                              const std::atomic<bool>* cancel)>;

class ExecutorLoop {
 public:
  // Creates the loop over a channel to options.coordinator (nothing is
  // dialled yet). INVALID_ARGUMENT for bad options (naming the field).
  static absl::StatusOr<std::unique_ptr<ExecutorLoop>> Create(ExecutorOptions options,
                                                              TaskHandler handler);
  ~ExecutorLoop();
  ExecutorLoop(const ExecutorLoop&) = delete;
  ExecutorLoop& operator=(const ExecutorLoop&) = delete;

  // Registers, then pulls and runs tasks until Stop(). Returns OK after
  // Stop(), or the error that ended it (e.g. UNAVAILABLE once registration
  // has been retried for register_timeout_ms, or a non-retryable refusal).
  // Call at most once.
  absl::Status Run();

  // Makes Run() return promptly: cancels the in-flight long poll and backoff
  // waits and sets the running task's cancel flag; a report not yet
  // answered stays in the spool. Thread-safe; idempotent; may be called
  // before Run().
  void Stop();

  // The id the coordinator gave us; empty before registration.
  std::string executor_id() const;

 private:
  ExecutorLoop(ExecutorOptions options, TaskHandler handler,
               std::unique_ptr<v1::TaskService::Stub> stub, std::unique_ptr<ResultSpool> spool);

  struct RunningTask;
  // A lease this loop holds: heartbeated until its task's report is
  // answered or the lease is lost.
  struct HeldLease {
    std::string executor_id;  // the id it was leased to (may be an old one)
    std::string token;
    bool lost = false;  // a heartbeat said so
  };

  absl::Status RunLoop();
  absl::Status RegisterWithRetry();
  // Runs one leased task (unless its lease was lost meanwhile) and delivers
  // its report. `leased_to` is the executor id it was leased under.
  void RunTask(const v1::Task& task, const std::string& leased_to);
  // Heartbeats every held lease each interval until Run ends.
  void HeartbeatLoop();
  // Marks a held lease lost; cancels its task when it is running.
  void MarkLost(const std::string& task_id);
  // The report of a finished task, as it will be sent.
  PendingReport MakeReport(const v1::Task& task, const std::string& leased_to,
                           const absl::StatusOr<TaskOutcome>& result) const;
  // Sends `report` until the coordinator answers definitively (true) or the
  // loop is stopping (false: it stays in the spool). The lease stays held
  // (heartbeated) meanwhile; the caller releases it.
  bool Deliver(PendingReport report);
  // Re-sends what an earlier process left in the spool; false when stopping.
  bool ResendSpooled();
  // Waits up to `ms` or until Stop(); returns true when stopping.
  bool WaitOrStop(int ms);
  bool stopping() const;
  // Applies the deadline and tracks `ctx` so that Stop() can cancel it.
  void TrackContext(grpc::ClientContext* ctx, int timeout_ms);
  void UntrackContext(grpc::ClientContext* ctx);
  int NextBackoffMs(int* backoff_ms) const;
  // NextBackoffMs with jitter: between half and all of it.
  int JitteredBackoffMs(int* backoff_ms);

  const ExecutorOptions options_;
  const Clock* const clock_;
  const TaskHandler handler_;
  const std::unique_ptr<v1::TaskService::Stub> stub_;
  const std::unique_ptr<ResultSpool> spool_;  // null: reports kept in memory only

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool run_done_ ABSL_GUARDED_BY(mu_) = false;
  // Set by each registration: spooled reports are re-sent before leasing.
  bool resend_spool_ ABSL_GUARDED_BY(mu_) = false;
  int64_t registrations_ ABSL_GUARDED_BY(mu_) = 0;  // wakes the heartbeat thread
  std::string executor_id_ ABSL_GUARDED_BY(mu_);
  int heartbeat_interval_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<grpc::ClientContext*> live_contexts_ ABSL_GUARDED_BY(mu_);
  RunningTask* running_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<std::string, HeldLease> held_ ABSL_GUARDED_BY(mu_);  // by task id
  std::mt19937 jitter_ ABSL_GUARDED_BY(mu_);
};

// The whole life of a worker or agent process: runs `slots` ExecutorLoops
// for `handler` (each registered as its own executor, named
// "<name>/slot<i>" when slots > 1, running one task at a time, concurrently
// with the others) until SIGTERM/SIGINT (which must already be blocked, see
// signal_stop.h) stops them. Accepts only tasks of `kind`; others fail with
// INVALID_ARGUMENT. With slots > 1 each slot spools under
// "<spool_dir>/slot<i>". Returns the process exit code (0 clean stop, 1 error,
// printed to stderr prefixed with `program`; 2 for slots < 1).
int RunExecutorUntilStopped(const char* program, const ExecutorOptions& options,
                            v1::TaskKind kind, TaskHandler handler, int slots = 1);

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_EXECUTOR_LOOP_H_
