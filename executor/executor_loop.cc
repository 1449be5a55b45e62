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
// Leases per Heartbeat call (the coordinator's bound, kMaxLeasesPerHeartbeat).
constexpr int kLeasesPerHeartbeat = 64;

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

void SetDeadline(grpc::ClientContext* ctx, int timeout_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
}

}  // namespace

struct ExecutorLoop::RunningTask {
  const v1::Task* task = nullptr;
  std::atomic<bool> cancel{false};
  std::atomic<bool> lease_lost{false};
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
  std::unique_ptr<ResultSpool> spool;
  if (!options.spool_dir.empty()) {
    absl::StatusOr<std::unique_ptr<ResultSpool>> opened =
        ResultSpool::Open(options.spool_dir, "executor.spool_dir");
    if (!opened.ok()) return opened.status();
    spool = std::move(*opened);
  }
  auto stub = v1::TaskService::NewStub(channel);
  return std::unique_ptr<ExecutorLoop>(new ExecutorLoop(std::move(options), std::move(handler),
                                                        std::move(stub), std::move(spool)));
}

ExecutorLoop::ExecutorLoop(ExecutorOptions options, TaskHandler handler,
                           std::unique_ptr<v1::TaskService::Stub> stub,
                           std::unique_ptr<ResultSpool> spool)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()),
      handler_(std::move(handler)),
      stub_(std::move(stub)),
      spool_(std::move(spool)),
      jitter_(std::random_device()()) {}

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

int ExecutorLoop::JitteredBackoffMs(int* backoff_ms) {
  const int full = NextBackoffMs(backoff_ms);
  absl::MutexLock lock(&mu_);
  // Many executors retrying after one outage spread out instead of
  // arriving together.
  return full / 2 + std::uniform_int_distribution<int>(0, full - full / 2)(jitter_);
}

absl::Status ExecutorLoop::RegisterWithRetry() {
  v1::RegisterRequest req;
  req.set_kind(options_.kind);
  req.set_name(options_.name);
  req.set_device_class(options_.device_class);
  for (const std::string& a : options_.accelerators) req.add_accelerators(a);
  for (const std::string& c : options_.capabilities) req.add_capabilities(c);
  if (options_.device.ByteSizeLong() > 0) *req.mutable_device() = options_.device;

  const int64_t give_up_at = clock_->NowMonotonicMs() + options_.register_timeout_ms;
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
        resend_spool_ = true;
        ++registrations_;
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
    if (options_.register_timeout_ms > 0 && clock_->NowMonotonicMs() >= give_up_at) {
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
  std::thread heartbeat([this] { HeartbeatLoop(); });
  absl::Status status = RunLoop();
  {
    absl::MutexLock lock(&mu_);
    run_done_ = true;
  }
  heartbeat.join();
  return status;
}

absl::Status ExecutorLoop::RunLoop() {
  int backoff_ms = options_.initial_backoff_ms;
  while (!stopping()) {
    const std::string id = executor_id();
    if (id.empty()) {
      absl::Status s = RegisterWithRetry();
      if (absl::IsCancelled(s) && stopping()) break;
      if (!s.ok()) return s;
      continue;
    }
    bool resend = false;
    {
      absl::MutexLock lock(&mu_);
      std::swap(resend, resend_spool_);
    }
    if (resend && !ResendSpooled()) break;

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
      {
        // Every task of the answer is heartbeated from now, not only the
        // one running.
        absl::MutexLock lock(&mu_);
        for (const v1::Task& task : resp.tasks()) {
          held_[task.task_id()] = HeldLease{id, task.lease_token(), false};
        }
      }
      for (const v1::Task& task : resp.tasks()) RunTask(task, id);
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

void ExecutorLoop::RunTask(const v1::Task& task, const std::string& leased_to) {
  RunningTask running;
  running.task = &task;
  {
    absl::MutexLock lock(&mu_);
    auto held = held_.find(task.task_id());
    if (held != held_.end() && held->second.lost) {
      held_.erase(held);
      EDGENAS_LOG(kWarning, kLog, "task dropped id=", task.task_id(),
                  " (lease lost before it started)");
      return;
    }
    if (stopping_) running.cancel.store(true);
    running_ = &running;
  }
  EDGENAS_LOG(kInfo, kLog, "task start id=", task.task_id(), " job=", task.job_id(),
              " kind=", v1::TaskKind_Name(task.kind()), " attempt=", task.attempt());
  const int64_t start_ms = clock_->NowMonotonicMs();

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
  bool lost;
  {
    absl::MutexLock lock(&mu_);
    running_ = nullptr;
    lost = running.lease_lost.load();
    if (lost) held_.erase(task.task_id());
  }

  const int64_t elapsed_ms = clock_->NowMonotonicMs() - start_ms;
  if (lost) {
    // The coordinator has given the task away or cancelled it; any report
    // would be refused with FAILED_PRECONDITION.
    EDGENAS_LOG(kWarning, kLog, "task dropped id=", task.task_id(), " (lease lost) after ",
                elapsed_ms, " ms");
    return;
  }
  EDGENAS_LOG(kInfo, kLog, "task finish id=", task.task_id(), " status=",
              result.ok() ? "OK" : absl::StatusCodeToString(result.status().code()),
              " elapsed_ms=", elapsed_ms);
  PendingReport report = MakeReport(task, leased_to, result);
  if (spool_ != nullptr) {
    if (absl::Status put = spool_->Put(report); !put.ok()) {
      EDGENAS_LOG(kError, kLog, "cannot spool the report of task=", task.task_id(),
                  " (kept in memory only): ", put.ToString());
    }
  }
  Deliver(std::move(report));
  absl::MutexLock lock(&mu_);
  held_.erase(task.task_id());
}

void ExecutorLoop::MarkLost(const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  auto held = held_.find(task_id);
  if (held == held_.end()) return;
  held->second.lost = true;
  if (running_ != nullptr && running_->task->task_id() == task_id) {
    EDGENAS_LOG(kWarning, kLog, "lease lost task=", task_id, "; cancelling");
    running_->lease_lost.store(true);
    running_->cancel.store(true);
  }
}

void ExecutorLoop::HeartbeatLoop() {
  while (true) {
    std::map<std::string, std::vector<v1::LeaseRef>> by_executor;
    std::string current;
    {
      absl::MutexLock lock(&mu_);
      const int interval_ms = heartbeat_interval_ms_ > 0 ? heartbeat_interval_ms_
                                                         : options_.default_heartbeat_interval_ms;
      // A registration may bring another interval: start the wait again.
      const int64_t epoch = registrations_;
      const auto wake = [this, epoch]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return run_done_ || registrations_ != epoch;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(interval_ms));
      if (run_done_) return;
      if (registrations_ != epoch) continue;
      if (stopping_) continue;  // Run is about to end; its calls are cancelled
      current = executor_id_;
      for (const auto& [task_id, held] : held_) {
        if (held.lost) continue;
        v1::LeaseRef ref;
        ref.set_task_id(task_id);
        ref.set_lease_token(held.token);
        by_executor[held.executor_id].push_back(std::move(ref));
      }
    }
    for (const auto& [id, refs] : by_executor) {
      for (size_t begin = 0; begin < refs.size(); begin += kLeasesPerHeartbeat) {
        const size_t end = std::min(refs.size(), begin + kLeasesPerHeartbeat);
        v1::HeartbeatRequest req;
        req.set_executor_id(id);
        for (size_t i = begin; i < end; ++i) *req.add_leases() = refs[i];
        v1::HeartbeatResponse resp;
        grpc::ClientContext ctx;
        TrackContext(&ctx, options_.rpc_timeout_ms);
        const grpc::Status s = stub_->Heartbeat(&ctx, req, &resp);
        UntrackContext(&ctx);
        if (s.ok()) {
          for (const v1::LeaseRef& l : resp.lost()) MarkLost(l.task_id());
          continue;
        }
        if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
            s.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
          // NOT_FOUND: that executor id is gone, and with it every lease it
          // held. PERMISSION_DENIED: the leases are not that id's.
          EDGENAS_LOG(kWarning, kLog, "heartbeat refused (", s.error_message(), "); ",
                      end - begin, " lease(s) of ", id, " lost");
          for (size_t i = begin; i < end; ++i) MarkLost(refs[i].task_id());
          if (s.error_code() == grpc::StatusCode::NOT_FOUND && id == current) {
            absl::MutexLock lock(&mu_);
            if (executor_id_ == id) executor_id_.clear();
          }
          continue;
        }
        EDGENAS_LOG(kWarning, kLog, "heartbeat failed (", s.error_message(), ")");
      }
    }
  }
}

PendingReport ExecutorLoop::MakeReport(const v1::Task& task, const std::string& leased_to,
                                       const absl::StatusOr<TaskOutcome>& result) const {
  PendingReport report;
  report.is_complete = result.ok();
  if (result.ok()) {
    v1::CompleteRequest& complete = report.complete;
    complete.set_executor_id(leased_to);
    complete.set_task_id(task.task_id());
    complete.set_lease_token(task.lease_token());
    for (const v1::Metric& m : result->metrics) *complete.add_metrics() = m;
    for (const std::string& n : result->notes) complete.add_notes(n);
    return report;
  }
  const absl::Status& st = result.status();
  std::string reason = absl::StrCat(absl::StatusCodeToString(st.code()), ": ", st.message());
  if (reason.size() > kMaxReasonChars) reason.resize(kMaxReasonChars);
  v1::FailRequest& fail = report.fail;
  fail.set_executor_id(leased_to);
  fail.set_task_id(task.task_id());
  fail.set_lease_token(task.lease_token());
  fail.set_reason(reason);
  // A spec or architecture that cannot be run stays that way on retry.
  fail.set_retryable(st.code() != absl::StatusCode::kInvalidArgument && !IsJobFatal(st));
  // No task of the job can succeed (e.g. its dataset is unusable).
  fail.set_job_fatal(IsJobFatal(st));
  return report;
}

bool ExecutorLoop::ResendSpooled() {
  if (spool_ == nullptr) return true;
  std::vector<PendingReport> reports = spool_->List();
  if (!reports.empty()) {
    EDGENAS_LOG(kInfo, kLog, "re-sending ", reports.size(), " spooled report(s) from ",
                spool_->dir());
  }
  for (PendingReport& report : reports) {
    const std::string task_id = report.task_id();
    {
      absl::MutexLock lock(&mu_);
      held_[task_id] = HeldLease{report.executor_id(), report.lease_token(), false};
    }
    const bool answered = Deliver(std::move(report));
    {
      absl::MutexLock lock(&mu_);
      held_.erase(task_id);
    }
    if (!answered) return false;
  }
  return true;
}

bool ExecutorLoop::Deliver(PendingReport report) {
  int backoff_ms = options_.initial_backoff_ms;
  const auto forget = [this, &report] {
    if (spool_ == nullptr) return;
    if (absl::Status removed = spool_->Remove(report); !removed.ok()) {
      EDGENAS_LOG(kError, kLog, "cannot remove the spooled report of task=", report.task_id(),
                  ": ", removed.ToString());
    }
  };
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, options_.rpc_timeout_ms);
    grpc::Status s;
    if (report.is_complete) {
      v1::CompleteResponse resp;
      s = stub_->Complete(&ctx, report.complete, &resp);
    } else {
      v1::FailResponse resp;
      s = stub_->Fail(&ctx, report.fail, &resp);
    }
    const std::string& task_id = report.task_id();
    if (s.ok()) {
      // The coordinator has stored it: tests hold it to that after a crash.
      EDGENAS_LOG(kInfo, kLog, "report acknowledged task=", task_id,
                  report.is_complete ? " (complete)" : " (fail)");
      forget();
      return true;
    }
    switch (s.error_code()) {
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::PERMISSION_DENIED:
        // Definitive: the task was revoked, ended or leased again.
        EDGENAS_LOG(kWarning, kLog, "report refused for task=", task_id,
                    " (the lease is no longer ours): ", s.error_message());
        forget();
        return true;
      case grpc::StatusCode::NOT_FOUND: {
        // The coordinator does not know the executor id the lease was made
        // for, so it holds no lease of it either.
        EDGENAS_LOG(kWarning, kLog, "report refused for task=", task_id,
                    " (executor unknown): ", s.error_message());
        forget();
        absl::MutexLock lock(&mu_);
        if (executor_id_ == report.executor_id()) executor_id_.clear();  // register again
        return true;
      }
      case grpc::StatusCode::INVALID_ARGUMENT:
        if (report.is_complete) {
          // The result itself was refused (a field out of bounds): it would
          // be refused again, so the task fails now with the coordinator's
          // reason instead of waiting for its lease to expire.
          EDGENAS_LOG(kError, kLog, "result refused for task=", task_id, ": ",
                      s.error_message(), "; reporting the task as failed");
          PendingReport fail;
          fail.is_complete = false;
          fail.fail.set_executor_id(report.complete.executor_id());
          fail.fail.set_task_id(report.complete.task_id());
          fail.fail.set_lease_token(report.complete.lease_token());
          std::string reason = absl::StrCat("INVALID_ARGUMENT: the coordinator refused the result: ",
                                            s.error_message());
          if (reason.size() > kMaxReasonChars) reason.resize(kMaxReasonChars);
          fail.fail.set_reason(reason);
          fail.fail.set_retryable(false);
          if (spool_ != nullptr) spool_->Put(fail).IgnoreError();  // replaces the Complete
          report = std::move(fail);
          backoff_ms = options_.initial_backoff_ms;
          continue;
        }
        EDGENAS_LOG(kError, kLog, "failure report refused for task=", task_id, ": ",
                    s.error_message());
        forget();
        return true;
      default:
        break;
    }
    // Not answered (coordinator down, database full, ...): keep it and try
    // again. When stopping, the attempt just made was the last one.
    if (stopping()) {
      EDGENAS_LOG(kWarning, kLog, "stopping with the report of task=", task_id, " unanswered (",
                  s.error_message(), "); ",
                  spool_ != nullptr ? "kept in the spool for the next start" : "no spool: lost");
      return false;
    }
    const int wait_ms = JitteredBackoffMs(&backoff_ms);
    EDGENAS_LOG(kWarning, kLog, "report of task=", task_id, " not answered (",
                IsTransient(s.error_code()) ? "" : "unexpected: ", s.error_message(),
                "); retrying in ", wait_ms, " ms");
    WaitOrStop(wait_ms);  // stopping: one last try, then keep it
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
    if (slots > 1) {
      slot.name = absl::StrCat(options.name, "/slot", i);
      if (!slot.spool_dir.empty()) slot.spool_dir = absl::StrCat(options.spool_dir, "/slot", i);
    }
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
