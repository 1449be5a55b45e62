#include "coordinator/task_service_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "coordinator/grpc_status.h"

namespace edgenas {
namespace {

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

grpc::ServerUnaryReactor* TaskServiceImpl::Register(grpc::CallbackServerContext* ctx,
                                                    const v1::RegisterRequest* req,
                                                    v1::RegisterResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  manager_->RegisterAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Lease(grpc::CallbackServerContext* ctx,
                                                 const v1::LeaseRequest* req,
                                                 v1::LeaseResponse* resp) {
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
  auto* reactor = ctx->DefaultReactor();
  manager_->HeartbeatAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Complete(grpc::CallbackServerContext* ctx,
                                                    const v1::CompleteRequest* req,
                                                    v1::CompleteResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  manager_->CompleteAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* TaskServiceImpl::Fail(grpc::CallbackServerContext* ctx,
                                                const v1::FailRequest* req,
                                                v1::FailResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  manager_->FailAsync(*req, FinishWith(reactor, resp));
  return reactor;
}

}  // namespace edgenas
