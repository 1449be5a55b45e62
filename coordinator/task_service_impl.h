// TaskService over gRPC: the pull protocol for workers and device agents,
// as a thin adapter over JobManager. Callback API: no call holds a server
// thread while it waits (a parked Lease long poll or a Complete waiting for
// its group commit costs memory only), so thousands of executors can poll.
#ifndef EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_

#include "coordinator/job_manager.h"
#include "edgenas/v1/task_service.grpc.pb.h"

namespace edgenas {

class TaskServiceImpl final : public v1::TaskService::CallbackService {
 public:
  // `manager` must outlive the service.
  explicit TaskServiceImpl(JobManager* manager) : manager_(manager) {}

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

 private:
  JobManager* const manager_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_
