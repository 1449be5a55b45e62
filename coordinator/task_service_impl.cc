#include "coordinator/task_service_impl.h"

#include <algorithm>
#include <chrono>

#include "coordinator/grpc_status.h"

namespace edgenas {

grpc::Status TaskServiceImpl::Register(grpc::ServerContext*, const v1::RegisterRequest* req,
                                       v1::RegisterResponse* resp) {
  return Reply(manager_->Register(*req), resp);
}

grpc::Status TaskServiceImpl::Lease(grpc::ServerContext* ctx, const v1::LeaseRequest* req,
                                    v1::LeaseResponse* resp) {
  // Never hold a long poll past the client's own deadline.
  v1::LeaseRequest bounded = *req;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        ctx->deadline() - std::chrono::system_clock::now())
                        .count();
  if (left > 0) bounded.set_wait_ms(static_cast<int32_t>(
                    std::min<int64_t>(bounded.wait_ms(), std::max<int64_t>(left - 200, 0))));
  return Reply(manager_->Lease(bounded), resp);
}

grpc::Status TaskServiceImpl::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req,
                                        v1::HeartbeatResponse* resp) {
  return Reply(manager_->Heartbeat(*req), resp);
}

grpc::Status TaskServiceImpl::Complete(grpc::ServerContext*, const v1::CompleteRequest* req,
                                       v1::CompleteResponse* resp) {
  return Reply(manager_->Complete(*req), resp);
}

grpc::Status TaskServiceImpl::Fail(grpc::ServerContext*, const v1::FailRequest* req,
                                   v1::FailResponse*) {
  return ToGrpcStatus(manager_->Fail(*req));
}

}  // namespace edgenas
