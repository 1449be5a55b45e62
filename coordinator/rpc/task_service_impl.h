// TaskService over gRPC: the pull protocol for workers and device agents,
// as a thin adapter over JobManager. Callback API: no call holds a server
// thread while it waits (a parked Lease long poll or a Complete waiting for
// its group commit costs memory only), so thousands of executors can poll.
#ifndef EDGENAS_COORDINATOR_RPC_TASK_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_RPC_TASK_SERVICE_IMPL_H_

#include "coordinator/auth/auth_policy.h"
#include "coordinator/job_manager.h"
#include "edgenas/v1/task_service.grpc.pb.h"

namespace edgenas {

class TaskServiceImpl final : public v1::TaskService::CallbackService {
 public:
  // `manager` (and `auth`, when given) must outlive the service. `auth`
  // null: every caller is trusted (no mutual TLS).
  explicit TaskServiceImpl(JobManager* manager, CoordinatorAuth* auth = nullptr)
      : manager_(manager), auth_(auth) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* req,
                                     v1::RegisterResponse* resp) override;
  // Long poll, bounded by wait_ms (<= 30 s) and the call's deadline; a
  // client that goes away has its parked poll withdrawn.
  grpc::ServerUnaryReactor* Lease(grpc::CallbackServerContext* ctx, const v1::LeaseRequest* req,
                                  v1::LeaseResponse* resp) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* ctx,
                                     const v1::CompleteRequest* req,
                                     v1::CompleteResponse* resp) override;
  grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* ctx, const v1::FailRequest* req,
                                 v1::FailResponse* resp) override;
  // A device agent stores the latency table it profiled for its class.
  grpc::ServerUnaryReactor* PutLatencyTable(grpc::CallbackServerContext* ctx,
                                            const v1::PutLatencyTableRequest* req,
                                            v1::PutLatencyTableResponse* resp) override;

 private:
  // OK, or why the caller may not act for `executor_id` (auth_policy.h).
  absl::Status Authorize(grpc::CallbackServerContext* ctx, const std::string& executor_id);

  JobManager* const manager_;
  CoordinatorAuth* const auth_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_RPC_TASK_SERVICE_IMPL_H_
