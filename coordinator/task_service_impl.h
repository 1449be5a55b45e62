// TaskService over gRPC: the pull protocol for workers and device agents,
// as a thin adapter over JobManager.
#ifndef EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_

#include "coordinator/job_manager.h"
#include "edgenas/v1/task_service.grpc.pb.h"

namespace edgenas {

class TaskServiceImpl final : public v1::TaskService::Service {
 public:
  // `manager` must outlive the service.
  explicit TaskServiceImpl(JobManager* manager) : manager_(manager) {}

  grpc::Status Register(grpc::ServerContext* ctx, const v1::RegisterRequest* req,
                        v1::RegisterResponse* resp) override;
  grpc::Status Lease(grpc::ServerContext* ctx, const v1::LeaseRequest* req,
                     v1::LeaseResponse* resp) override;
  grpc::Status Heartbeat(grpc::ServerContext* ctx, const v1::HeartbeatRequest* req,
                         v1::HeartbeatResponse* resp) override;
  grpc::Status Complete(grpc::ServerContext* ctx, const v1::CompleteRequest* req,
                        v1::CompleteResponse* resp) override;
  grpc::Status Fail(grpc::ServerContext* ctx, const v1::FailRequest* req,
                    v1::FailResponse* resp) override;

 private:
  JobManager* const manager_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_TASK_SERVICE_IMPL_H_
