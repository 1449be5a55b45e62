#include "executor/executor_loop.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/job_fatal.h"
#include "common/logging.h"
#include "executor/signal_stop.h"

namespace edgenas {
namespace {

constexpr char kLog[] = "executor";
constexpr size_t kMaxReasonChars = 1024;
// How long Complete/Fail are retried while the coordinator is unreachable.
constexpr int kReportRetryMs = 30000;

// Codes after which the same call may succeed later (coordinator restarting,
// overloaded or slow).
bool IsTransient(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SetDeadline(grpc::ClientContext* ctx, int timeout_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
}

}  // namespace

struct ExecutorLoop::RunningTask {
  const v1::Task* task = nullptr;
  std::atomic<bool> cancel{false};
  std::atomic<bool> lease_lost{false};
  bool done = false;  // guarded by ExecutorLoop::mu_
};

absl::StatusOr<std::unique_ptr<ExecutorLoop>> ExecutorLoop::Create(ExecutorOptions options,
                                                                   TaskHandler handler) {
  if (options.coordinator.empty()) {
    return absl::InvalidArgumentError("executor.coordinator: address is empty");
  }
  if (options.kind != v1::WORKER && options.kind != v1::DEVICE_AGENT) {
    return absl::InvalidArgumentError("executor.kind: must be WORKER or DEVICE_AGENT");
  }
  if (options.max_tasks < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("executor.max_tasks: must be >= 1, got ", options.max_tasks));
  }
  if (options.lease_wait_ms < 0 || options.rpc_timeout_ms < 1 || options.initial_backoff_ms < 1 ||
      options.max_backoff_ms < options.initial_backoff_ms || options.register_timeout_ms < 0 ||
      options.default_heartbeat_interval_ms < 1) {
    return absl::InvalidArgumentError(
        "executor: timings must be positive (lease_wait_ms, rpc_timeout_ms, "
        "initial_backoff_ms <= max_backoff_ms, register_timeout_ms, "
        "default_heartbeat_interval_ms)");
  }
  if (!handler) return absl::InvalidArgumentError("executor.handler: empty");

  grpc::ChannelArguments args;
  // gRPC's own reconnect backoff grows to 120 s by default; cap it so that a
  // restarted coordinator is found again within our own backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, options.initial_backoff_ms);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, options.initial_backoff_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, options.max_backoff_ms);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      options.coordinator,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      args);
  if (channel == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("executor.coordinator: cannot create a channel to ", options.coordinator));
  }
  auto stub = v1::TaskService::NewStub(channel);
  return std::unique_ptr<ExecutorLoop>(
      new ExecutorLoop(std::move(options), std::move(handler), std::move(stub)));
}

ExecutorLoop::ExecutorLoop(ExecutorOptions options, TaskHandler handler,
                           std::unique_ptr<v1::TaskService::Stub> stub)
    : options_(std::move(options)), handler_(std::move(handler)), stub_(std::move(stub)) {}

ExecutorLoop::~ExecutorLoop() = default;

std::string ExecutorLoop::executor_id() const {
  absl::MutexLock lock(&mu_);
  return executor_id_;
}

bool ExecutorLoop::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void ExecutorLoop::Stop() {
  absl::MutexLock lock(&mu_);
  if (!stopping_) EDGENAS_LOG(kInfo, kLog, "stopping");
  stopping_ = true;
  for (grpc::ClientContext* ctx : live_contexts_) ctx->TryCancel();
  if (running_ != nullptr) running_->cancel.store(true);
}

bool ExecutorLoop::WaitOrStop(int ms) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(ms));
  return stopping_;
}

void ExecutorLoop::TrackContext(grpc::ClientContext* ctx, int timeout_ms) {
  SetDeadline(ctx, timeout_ms);
  absl::MutexLock lock(&mu_);
  // A context cancelled before its call starts cancels the call at start.
  if (stopping_) ctx->TryCancel();
  live_contexts_.insert(ctx);
}

void ExecutorLoop::UntrackContext(grpc::ClientContext* ctx) {
  absl::MutexLock lock(&mu_);
  live_contexts_.erase(ctx);
}

int ExecutorLoop::NextBackoffMs(int* backoff_ms) const {
  const int now = *backoff_ms;
  *backoff_ms = std::min(options_.max_backoff_ms, now * 2);
  return now;
}

absl::Status ExecutorLoop::RegisterWithRetry() {
  v1::RegisterRequest req;
  req.set_kind(options_.kind);
  req.set_name(options_.name);
  req.set_device_class(options_.device_class);
  for (const std::string& a : options_.accelerators) req.add_accelerators(a);
  for (const std::string& c : options_.capabilities) req.add_capabilities(c);
  if (options_.device.ByteSizeLong() > 0) *req.mutable_device() = options_.device;

  const int64_t give_up_at = SteadyMs() + options_.register_timeout_ms;
  int backoff_ms = options_.initial_backoff_ms;
  while (true) {
    grpc::ClientContext ctx;
    TrackContext(&ctx, options_.rpc_timeout_ms);
    v1::RegisterResponse resp;
    const grpc::Status s = stub_->Register(&ctx, req, &resp);
    UntrackContext(&ctx);
    if (stopping()) return absl::CancelledError("stopping");
    if (s.ok()) {
      if (resp.executor_id().empty()) {
        return absl::InternalError("coordinator returned an empty executor id");
      }
      {
        absl::MutexLock lock(&mu_);
        executor_id_ = resp.executor_id();
        heartbeat_interval_ms_ = resp.heartbeat_interval_ms() > 0
                                     ? resp.heartbeat_interval_ms()
                                     : options_.default_heartbeat_interval_ms;
      }
      EDGENAS_LOG(kInfo, kLog, "registered executor_id=", resp.executor_id(),
                  " coordinator=", options_.coordinator,
                  " heartbeat_ms=", resp.heartbeat_interval_ms());
      if (options_.on_registered) options_.on_registered(resp.executor_id());
      return absl::OkStatus();
    }
    // RESOURCE_EXHAUSTED: the coordinator's database is full for now.
    const bool retry = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                       s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                       s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (!retry) {
      return FromGrpcStatus(s, absl::StrCat("register with ", options_.coordinator));
    }
    if (options_.register_timeout_ms > 0 && SteadyMs() >= give_up_at) {
      return absl::UnavailableError(absl::StrCat("coordinator ", options_.coordinator,
                                                 " unreachable for ",
                                                 options_.register_timeout_ms,
                                                 " ms: ", s.error_message()));
    }
    const int wait_ms = NextBackoffMs(&backoff_ms);
    EDGENAS_LOG(kWarning, kLog, "register failed (", s.error_message(), "); retrying in ",
                wait_ms, " ms");
    if (WaitOrStop(wait_ms)) return absl::CancelledError("stopping");
  }
}

absl::Status ExecutorLoop::Run() {
  int backoff_ms = options_.initial_backoff_ms;
  while (!stopping()) {
    const std::string id = executor_id();
    if (id.empty()) {
      absl::Status s = RegisterWithRetry();
      if (absl::IsCancelled(s) && stopping()) break;
      if (!s.ok()) return s;
      continue;
    }

    v1::LeaseRequest req;
    req.set_executor_id(id);
    req.set_max_tasks(options_.max_tasks);
    req.set_wait_ms(options_.lease_wait_ms);
    v1::LeaseResponse resp;
    grpc::ClientContext ctx;
    // The server answers within wait_ms; the extra time covers transit.
    TrackContext(&ctx, options_.lease_wait_ms + options_.rpc_timeout_ms);
    const grpc::Status s = stub_->Lease(&ctx, req, &resp);
    UntrackContext(&ctx);

    if (s.ok()) {
      backoff_ms = options_.initial_backoff_ms;
      // Tasks leased just as Stop() came are still reported (as retryable
      // failures) so that they do not wait for their lease to expire.
      for (const v1::Task& task : resp.tasks()) RunTask(task);
      continue;
    }
    if (stopping()) break;
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      // The coordinator no longer knows us (e.g. it restarted without state).
      EDGENAS_LOG(kWarning, kLog, "executor id ", id, " unknown to coordinator; re-registering");
      absl::MutexLock lock(&mu_);
      if (executor_id_ == id) executor_id_.clear();
      continue;
    }
    if (!IsTransient(s.error_code()) && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
      return FromGrpcStatus(s, "lease");
    }
    const int wait_ms = NextBackoffMs(&backoff_ms);
    EDGENAS_LOG(kWarning, kLog, "lease failed (", s.error_message(), "); retrying in ", wait_ms,
                " ms");
    if (WaitOrStop(wait_ms)) break;
  }
  EDGENAS_LOG(kInfo, kLog, "stopped");
  return absl::OkStatus();
}

void ExecutorLoop::RunTask(const v1::Task& task) {
  RunningTask running;
  running.task = &task;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) running.cancel.store(true);
    running_ = &running;
  }
  EDGENAS_LOG(kInfo, kLog, "task start id=", task.task_id(), " job=", task.job_id(),
              " kind=", v1::TaskKind_Name(task.kind()), " attempt=", task.attempt());
  const int64_t start_ms = SteadyMs();
  std::thread heartbeat([this, &running] { HeartbeatUntilDone(&running); });

  absl::StatusOr<TaskOutcome> result;
  if (running.cancel.load()) {
    result = absl::CancelledError("executor stopping before the task started");
  } else {
    // The handler must not throw; if it does, the loop still survives.
    try {
      result = handler_(task, &running.cancel);
    } catch (const std::exception& e) {
      result = absl::InternalError(absl::StrCat("task handler threw: ", e.what()));
    } catch (...) {
      result = absl::InternalError("task handler threw a non-standard exception");
    }
  }
  {
    absl::MutexLock lock(&mu_);
    running.done = true;
    running_ = nullptr;
  }
  heartbeat.join();

  const int64_t elapsed_ms = SteadyMs() - start_ms;
  if (running.lease_lost.load()) {
    // The coordinator has given the task away or cancelled it; any report
    // would be refused with FAILED_PRECONDITION.
    EDGENAS_LOG(kWarning, kLog, "task dropped id=", task.task_id(), " (lease lost) after ",
                elapsed_ms, " ms");
    return;
  }
  EDGENAS_LOG(kInfo, kLog, "task finish id=", task.task_id(), " status=",
              result.ok() ? "OK" : absl::StatusCodeToString(result.status().code()),
              " elapsed_ms=", elapsed_ms);
  Report(task, result);
}

void ExecutorLoop::HeartbeatUntilDone(RunningTask* running) {
  while (true) {
    int interval_ms;
    std::string id;
    {
      absl::MutexLock lock(&mu_);
      interval_ms = heartbeat_interval_ms_ > 0 ? heartbeat_interval_ms_
                                               : options_.default_heartbeat_interval_ms;
      mu_.AwaitWithTimeout(absl::Condition(&running->done), absl::Milliseconds(interval_ms));
      if (running->done) return;
      id = executor_id_;
    }
    v1::HeartbeatRequest req;
    req.set_executor_id(id);
    v1::LeaseRef* ref = req.add_leases();
    ref->set_task_id(running->task->task_id());
    ref->set_lease_token(running->task->lease_token());
    v1::HeartbeatResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx, options_.rpc_timeout_ms);
    const grpc::Status s = stub_->Heartbeat(&ctx, req, &resp);
    bool lost = false;
    if (s.ok()) {
      for (const v1::LeaseRef& l : resp.lost()) {
        if (l.task_id() == ref->task_id()) lost = true;
      }
    } else if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      // Our executor id is gone, and with it every lease it held.
      lost = true;
      absl::MutexLock lock(&mu_);
      if (executor_id_ == id) executor_id_.clear();
    } else {
      EDGENAS_LOG(kWarning, kLog, "heartbeat failed (", s.error_message(), ")");
    }
    if (lost) {
      EDGENAS_LOG(kWarning, kLog, "lease lost task=", ref->task_id(), "; cancelling");
      running->lease_lost.store(true);
      running->cancel.store(true);
      return;
    }
  }
}

void ExecutorLoop::Report(const v1::Task& task, const absl::StatusOr<TaskOutcome>& result) {
  const std::string id = executor_id();
  // One attempt per call; retried below while the coordinator is unreachable.
  std::function<grpc::Status(grpc::ClientContext*)> call;
  v1::CompleteRequest complete;
  v1::FailRequest fail;
  if (result.ok()) {
    complete.set_executor_id(id);
    complete.set_task_id(task.task_id());
    complete.set_lease_token(task.lease_token());
    for (const v1::Metric& m : result->metrics) *complete.add_metrics() = m;
    for (const std::string& n : result->notes) complete.add_notes(n);
    call = [&](grpc::ClientContext* ctx) {
      v1::CompleteResponse resp;
      return stub_->Complete(ctx, complete, &resp);
    };
  } else {
    const absl::Status& st = result.status();
    std::string reason = absl::StrCat(absl::StatusCodeToString(st.code()), ": ", st.message());
    if (reason.size() > kMaxReasonChars) reason.resize(kMaxReasonChars);
    fail.set_executor_id(id);
    fail.set_task_id(task.task_id());
    fail.set_lease_token(task.lease_token());
    fail.set_reason(reason);
    // A spec or architecture that cannot be run stays that way on retry.
    fail.set_retryable(st.code() != absl::StatusCode::kInvalidArgument && !IsJobFatal(st));
    // No task of the job can succeed (e.g. its dataset is unusable).
    fail.set_job_fatal(IsJobFatal(st));
    call = [&](grpc::ClientContext* ctx) {
      v1::FailResponse resp;
      return stub_->Fail(ctx, fail, &resp);
    };
  }

  const int64_t give_up_at = SteadyMs() + kReportRetryMs;
  int backoff_ms = options_.initial_backoff_ms;
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, options_.rpc_timeout_ms);
    const grpc::Status s = call(&ctx);
    if (s.ok()) {
      // The coordinator has stored it: tests hold it to that after a crash.
      EDGENAS_LOG(kInfo, kLog, "report acknowledged task=", task.task_id(),
                  result.ok() ? " (complete)" : " (fail)");
      return;
    }
    if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      EDGENAS_LOG(kWarning, kLog, "report refused for task=", task.task_id(),
                  " (stale lease): ", s.error_message());
      return;
    }
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      EDGENAS_LOG(kWarning, kLog, "report refused for task=", task.task_id(),
                  " (executor unknown); re-registering: ", s.error_message());
      absl::MutexLock lock(&mu_);
      if (executor_id_ == id) executor_id_.clear();
      return;
    }
    if (result.ok() && s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      // The result itself was refused (a field out of bounds): it would be
      // refused again, so the task fails now with the coordinator's reason
      // instead of waiting for its lease to expire.
      EDGENAS_LOG(kError, kLog, "result refused for task=", task.task_id(), ": ",
                  s.error_message(), "; reporting the task as failed");
      Report(task, absl::InvalidArgumentError(
                       absl::StrCat("the coordinator refused the result: ", s.error_message())));
      return;
    }
    // When stopping, one attempt is all we can afford.
    if (!IsTransient(s.error_code()) || stopping() || SteadyMs() >= give_up_at) {
      EDGENAS_LOG(kError, kLog, "report lost for task=", task.task_id(), ": ",
                  s.error_message());
      return;
    }
    if (WaitOrStop(NextBackoffMs(&backoff_ms))) continue;  // one last try, then stop
  }
}

int RunExecutorUntilStopped(const char* program, const ExecutorOptions& options,
                            v1::TaskKind kind, TaskHandler handler, int slots) {
  if (slots < 1) {
    std::fprintf(stderr, "%s: slots: %d must be >= 1\n", program, slots);
    return 2;
  }
  auto checked = [kind, handler](const v1::Task& task, const std::atomic<bool>* cancel) {
    if (task.kind() != kind) {
      return absl::StatusOr<TaskOutcome>(absl::InvalidArgumentError(
          absl::StrCat("task.kind: this executor runs ", v1::TaskKind_Name(kind), ", got ",
                       v1::TaskKind_Name(task.kind()))));
    }
    return handler(task, cancel);
  };
  std::vector<std::unique_ptr<ExecutorLoop>> loops;
  for (int i = 0; i < slots; ++i) {
    ExecutorOptions slot = options;
    if (slots > 1) slot.name = absl::StrCat(options.name, "/slot", i);
    absl::StatusOr<std::unique_ptr<ExecutorLoop>> loop = ExecutorLoop::Create(slot, checked);
    if (!loop.ok()) {
      std::fprintf(stderr, "%s: %s\n", program, loop.status().ToString().c_str());
      return 1;
    }
    loops.push_back(std::move(*loop));
  }
  SignalStopper stopper([&loops] {
    for (auto& loop : loops) loop->Stop();
  });
  std::vector<absl::Status> results(loops.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < loops.size(); ++i) {
    threads.emplace_back([&loops, &results, i] { results[i] = loops[i]->Run(); });
  }
  results[0] = loops[0]->Run();
  // One slot ending with an error ends the process: the others stop too.
  for (auto& loop : loops) loop->Stop();
  for (std::thread& t : threads) t.join();
  int code = 0;
  for (const absl::Status& status : results) {
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", program, status.ToString().c_str());
      code = 1;
    }
  }
  return code;
}

}  // namespace edgenas
