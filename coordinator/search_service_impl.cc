#include "coordinator/search_service_impl.h"

#include "coordinator/grpc_status.h"

namespace edgenas {

grpc::Status SearchServiceImpl::SubmitJob(grpc::ServerContext*, const v1::SubmitJobRequest* req,
                                          v1::Job* resp) {
  return Reply(manager_->SubmitJob(req->spec()), resp);
}

grpc::Status SearchServiceImpl::GetJob(grpc::ServerContext*, const v1::GetJobRequest* req,
                                       v1::Job* resp) {
  return Reply(manager_->GetJob(req->job_id()), resp);
}

grpc::Status SearchServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest*,
                                         v1::ListJobsResponse* resp) {
  for (v1::Job& job : manager_->ListJobs()) *resp->add_jobs() = std::move(job);
  return grpc::Status::OK;
}

grpc::Status SearchServiceImpl::CancelJob(grpc::ServerContext*, const v1::CancelJobRequest* req,
                                          v1::Job* resp) {
  return Reply(manager_->CancelJob(req->job_id()), resp);
}

grpc::Status SearchServiceImpl::WatchJob(grpc::ServerContext* ctx, const v1::WatchJobRequest* req,
                                         grpc::ServerWriter<v1::JobEvent>* writer) {
  int64_t after = req->after_sequence();
  while (!ctx->IsCancelled() && !stopping_) {
    auto batch = manager_->WaitForEvents(req->job_id(), after, /*timeout_ms=*/1000);
    if (!batch.ok()) return ToGrpcStatus(batch.status());
    for (const v1::JobEvent& event : batch->events) {
      if (!writer->Write(event)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      after = event.sequence();
    }
    if (batch->job_terminal) return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
}

grpc::Status SearchServiceImpl::GetParetoFront(grpc::ServerContext*,
                                               const v1::GetParetoFrontRequest* req,
                                               v1::ParetoFront* resp) {
  return Reply(manager_->GetParetoFront(req->job_id()), resp);
}

grpc::Status SearchServiceImpl::GetCandidate(grpc::ServerContext*,
                                             const v1::GetCandidateRequest* req,
                                             v1::Candidate* resp) {
  return Reply(manager_->GetCandidate(req->job_id(), req->candidate_id()), resp);
}

}  // namespace edgenas
