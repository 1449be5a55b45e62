#include "coordinator/rpc/task_service_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "common/grpc_status.h"
#include "coordinator/auth/auth_identity.h"

namespace edgenas {
namespace {

// Answers at once with `status` (a refused caller).
grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Finishes `reactor` with the result, moving the value into *out.
template <typename T>
JobManager::Callback<T> FinishWith(grpc::ServerUnaryReactor* reactor, T* out) {
  return [reactor, out](absl::StatusOr<T> result) {
    reactor->Finish(Reply(std::move(result), out));
  };
}

// A Lease long poll that withdraws itself when its client goes away.
class LeaseReactor final : public grpc::ServerUnaryReactor {
 public:
  LeaseReactor(JobManager* manager, const v1::LeaseRequest& request, v1::LeaseResponse* response)
      : manager_(manager), handle_(std::make_shared<std::atomic<uint64_t>>(0)) {
    auto handle = handle_;  // outlives `this` if the reply comes first
    handle->store(manager->LeaseAsync(request, FinishWith<v1::LeaseResponse>(this, response)));
  }
  void OnCancel() override {
    const uint64_t h = handle_->load();
    if (h != 0) manager_->CancelLease(h);
  }
  void OnDone() override { delete this; }

 private:
  JobManager* const manager_;
  std::shared_ptr<std::atomic<uint64_t>> handle_;
};

}  // namespace

absl::Status TaskServiceImpl::Authorize(grpc::CallbackServerContext* ctx,
                                        const std::string& executor_id) {
  if (auth_ == nullptr || !auth_->mutual_tls()) return absl::OkStatus();
  return auth_->AuthorizeExecutorCall(CallerFromContext(*ctx), executor_id);
}

grpc::ServerUnaryReactor* TaskServiceImpl::Register(grpc::CallbackServerContext* ctx,
                                                    const v1::RegisterRequest* req,
                                                    v1::RegisterResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (auth_ == nullptr || !auth_->mutual_tls()) {
    manager_->RegisterAsync(*req, FinishWith(reactor, resp));
    return reactor;
  }
  CallerInfo caller = CallerFromContext(*ctx);
  const ExecutorRole role = req->kind() == v1::WORKER         ? ExecutorRole::kWorker
                            : req->kind() == v1::DEVICE_AGENT ? ExecutorRole::kAgent
                                                              : ExecutorRole::kUnknown;
  if (absl::Status s = auth_->AuthorizeRegister(caller, role, req->device_class()); !s.ok()) {
    return Refuse(ctx, s);
  }
  // The id belongs to this certificate before the executor learns it, and
  // the store keeps the binding for after a restart.
  const std::string identity = caller.certificate_sha256;
  manager_->RegisterAsync(*req, identity,
                          [reactor, resp, auth = auth_, caller = std::move(caller)](
                              absl::StatusOr<v1::RegisterResponse> result) {
                            if (result.ok()) auth->BindExecutor(result->executor_id(), caller);
                            reactor->Finish(Reply(std::move(result), resp));
                          });
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Lease(grpc::CallbackServerContext* ctx,
                                                 const v1::LeaseRequest* req,
                                                 v1::LeaseResponse* resp) {
  if (absl::Status s = Authorize(ctx, req->executor_id()); !s.ok()) return Refuse(ctx, s);
  // Never hold a long poll past the client's own deadline.
  v1::LeaseRequest bounded = *req;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        ctx->deadline() - std::chrono::system_clock::now())
                        .count();
  if (left > 0) {
    bounded.set_wait_ms(static_cast<int32_t>(
        std::min<int64_t>(bounded.wait_ms(), std::max<int64_t>(left - 200, 0))));
  }
  return new LeaseReactor(manager_, bounded, resp);
}

grpc::ServerUnaryReactor* TaskServiceImpl::Heartbeat(grpc::CallbackServerContext* ctx,
                                                     const v1::HeartbeatRequest* req,
                                                     v1::HeartbeatResponse* resp) {
  if (absl::Status s = Authorize(ctx, req->executor_id()); !s.ok()) return Refuse(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  manager_->HeartbeatAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Complete(grpc::CallbackServerContext* ctx,
                                                    const v1::CompleteRequest* req,
                                                    v1::CompleteResponse* resp) {
  if (absl::Status s = Authorize(ctx, req->executor_id()); !s.ok()) return Refuse(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  manager_->CompleteAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Fail(grpc::CallbackServerContext* ctx,
                                                const v1::FailRequest* req,
                                                v1::FailResponse* resp) {
  if (absl::Status s = Authorize(ctx, req->executor_id()); !s.ok()) return Refuse(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  manager_->FailAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::PutLatencyTable(grpc::CallbackServerContext* ctx,
                                                           const v1::PutLatencyTableRequest* req,
                                                           v1::PutLatencyTableResponse* resp) {
  if (absl::Status s = Authorize(ctx, req->executor_id()); !s.ok()) return Refuse(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  manager_->PutLatencyTableAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

}  // namespace edgenas
