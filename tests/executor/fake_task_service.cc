#include "tests/executor/fake_task_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace edgenas {

FakeTaskService::FakeTaskService(int port, bool reject_unknown_executors)
    : reject_unknown_executors_(reject_unknown_executors) {
  int bound = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &bound);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ != nullptr && bound != 0) address_ = absl::StrCat("127.0.0.1:", bound);
}

FakeTaskService::~FakeTaskService() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
}

void FakeTaskService::AddTask(v1::Task task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void FakeTaskService::FailNextLease(grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  next_lease_error_ = code;
}

void FakeTaskService::ReportLeasesLost() {
  absl::MutexLock lock(&mu_);
  leases_lost_ = true;
}

bool FakeTaskService::AwaitState(const std::function<bool(const State&)>& pred) {
  absl::MutexLock lock(&mu_);
  const auto holds = [this, &pred]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pred(state_); };
  return mu_.AwaitWithTimeout(absl::Condition(&holds), absl::Seconds(60));
}

FakeTaskService::State FakeTaskService::Snapshot() {
  absl::MutexLock lock(&mu_);
  return state_;
}

grpc::Status FakeTaskService::Register(grpc::ServerContext* ctx, const v1::RegisterRequest* req,
                                       v1::RegisterResponse* resp) {
  absl::MutexLock lock(&mu_);
  state_.registers.push_back(*req);
  resp->set_executor_id(absl::StrCat("exec-", state_.registers.size()));
  issued_.insert(resp->executor_id());
  resp->set_heartbeat_interval_ms(20);
  return grpc::Status::OK;
}

grpc::Status FakeTaskService::Lease(grpc::ServerContext* ctx, const v1::LeaseRequest* req,
                                    v1::LeaseResponse* resp) {
  absl::MutexLock lock(&mu_);
  state_.leases.push_back(*req);
  if (reject_unknown_executors_ && issued_.count(req->executor_id()) == 0) {
    ++state_.unknown_executor_calls;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "fake: unknown executor id");
  }
  if (next_lease_error_ != grpc::StatusCode::OK) {
    const grpc::StatusCode code = next_lease_error_;
    next_lease_error_ = grpc::StatusCode::OK;
    return grpc::Status(code, "fake: injected lease error");
  }
  const absl::Time deadline = absl::Now() + absl::Milliseconds(req->wait_ms());
  const auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || shutting_down_;
  };
  ++state_.leases_waiting;
  // The sync API has no cancellation callback: re-check IsCancelled often.
  while (!wake() && !ctx->IsCancelled() && absl::Now() < deadline) {
    mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(5));
  }
  --state_.leases_waiting;
  if (ctx->IsCancelled()) {
    ++state_.leases_cancelled;
    return grpc::Status(grpc::StatusCode::CANCELLED, "fake: client cancelled");
  }
  for (int i = 0; i < req->max_tasks() && !queue_.empty(); ++i) {
    v1::Task task = std::move(queue_.front());
    queue_.pop_front();
    if (task.lease_token().empty()) task.set_lease_token(absl::StrCat("tok-", task.task_id()));
    *resp->add_tasks() = std::move(task);
  }
  return grpc::Status::OK;
}

grpc::Status FakeTaskService::Heartbeat(grpc::ServerContext* ctx, const v1::HeartbeatRequest* req,
                                        v1::HeartbeatResponse* resp) {
  absl::MutexLock lock(&mu_);
  state_.heartbeats.push_back(*req);
  std::vector<std::string> ids;
  for (const v1::LeaseRef& ref : req->leases()) ids.push_back(ref.task_id());
  state_.calls.push_back(absl::StrCat("heartbeat:", absl::StrJoin(ids, ",")));
  if (outage_ && outage_refusals_ > 0) heartbeat_in_outage_ = true;
  if (reject_unknown_executors_ && issued_.count(req->executor_id()) == 0) {
    ++state_.unknown_executor_calls;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "fake: unknown executor id");
  }
  for (const v1::LeaseRef& ref : req->leases()) {
    if (leases_lost_) {
      *resp->add_lost() = ref;
    } else {
      *resp->add_extended() = ref;
      resp->add_expiry_unix_ms(absl::ToUnixMillis(absl::Now()) + 60000);
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeTaskService::Complete(grpc::ServerContext* ctx, const v1::CompleteRequest* req,
                                       v1::CompleteResponse* resp) {
  absl::MutexLock lock(&mu_);
  state_.completes.push_back(*req);
  state_.calls.push_back(absl::StrCat("complete:", req->task_id()));
  if (outage_ &&
      (outage_refusals_ < outage_min_refusals_ || !heartbeat_in_outage_)) {
    ++outage_refusals_;
    ++state_.refused_completes;
    if (on_refusal_) on_refusal_();
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: coordinator down");
  }
  outage_ = false;
  if (!refuse_completes_.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, refuse_completes_);
  }
  return grpc::Status::OK;
}

void FakeTaskService::CompleteOutage(int min_refusals, std::function<void()> on_refusal) {
  absl::MutexLock lock(&mu_);
  outage_ = true;
  outage_min_refusals_ = min_refusals;
  outage_refusals_ = 0;
  heartbeat_in_outage_ = false;
  on_refusal_ = std::move(on_refusal);
}

void FakeTaskService::EndOutage() {
  absl::MutexLock lock(&mu_);
  outage_ = false;
}

void FakeTaskService::RefuseCompletes(std::string message) {
  absl::MutexLock lock(&mu_);
  refuse_completes_ = std::move(message);
}

grpc::Status FakeTaskService::Fail(grpc::ServerContext* ctx, const v1::FailRequest* req,
                                   v1::FailResponse* resp) {
  absl::MutexLock lock(&mu_);
  state_.fails.push_back(*req);
  return grpc::Status::OK;
}

}  // namespace edgenas
