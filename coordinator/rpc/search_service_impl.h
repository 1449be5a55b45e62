// SearchService over gRPC: converts requests to JobManager calls and
// statuses back. No search logic lives here. Callback API: a WatchJob
// stream holds no server thread while it waits for events.
#ifndef EDGENAS_COORDINATOR_RPC_SEARCH_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_RPC_SEARCH_SERVICE_IMPL_H_

#include <atomic>

#include "coordinator/auth/auth_policy.h"
#include "coordinator/job_manager.h"
#include "edgenas/v1/search_service.grpc.pb.h"

namespace edgenas {

class SearchServiceImpl final : public v1::SearchService::CallbackService {
 public:
  // `manager` (and `auth`, when given) must outlive the service. With
  // `auth`, every call first passes auth->AuthorizeSearch (bearer tokens);
  // null: every caller is trusted.
  explicit SearchServiceImpl(JobManager* manager, const CoordinatorAuth* auth = nullptr)
      : manager_(manager), auth_(auth) {}
  // Makes open WatchJob streams finish (server shutdown).
  void StopStreams() { stopping_ = true; }

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* ctx,
                                      const v1::SubmitJobRequest* req, v1::Job* resp) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx, const v1::GetJobRequest* req,
                                   v1::Job* resp) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const v1::ListJobsRequest* req,
                                     v1::ListJobsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* ctx,
                                      const v1::CancelJobRequest* req, v1::Job* resp) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(grpc::CallbackServerContext* ctx,
                                                   const v1::WatchJobRequest* req) override;
  grpc::ServerUnaryReactor* GetParetoFront(grpc::CallbackServerContext* ctx,
                                           const v1::GetParetoFrontRequest* req,
                                           v1::ParetoFront* resp) override;
  grpc::ServerUnaryReactor* GetCandidate(grpc::CallbackServerContext* ctx,
                                         const v1::GetCandidateRequest* req,
                                         v1::Candidate* resp) override;
  // A page of a job's candidates (JobManager::ListCandidates).
  grpc::ServerUnaryReactor* ListCandidates(grpc::CallbackServerContext* ctx,
                                           const v1::ListCandidatesRequest* req,
                                           v1::ListCandidatesResponse* resp) override;
  // The latency table of (space, device_class) that agents profiled.
  grpc::ServerUnaryReactor* GetLatencyTable(grpc::CallbackServerContext* ctx,
                                            const v1::GetLatencyTableRequest* req,
                                            v1::LatencyTable* resp) override;

 private:
  // The caller's user name ("" without tokens), or why it is refused.
  absl::StatusOr<std::string> Authorize(grpc::CallbackServerContext* ctx) const;

  JobManager* const manager_;
  const CoordinatorAuth* const auth_;
  std::atomic<bool> stopping_{false};
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_RPC_SEARCH_SERVICE_IMPL_H_
