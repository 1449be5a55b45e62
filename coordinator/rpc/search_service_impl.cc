#include "coordinator/rpc/search_service_impl.h"

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "common/logging.h"
#include "coordinator/auth/auth_identity.h"

namespace edgenas {
namespace {

// How long one wait for events lasts before the stream checks whether its
// client or the server is going away.
constexpr int64_t kWatchPollMs = 1000;

// Streams a job's events: waits for a batch (a callback, not a thread),
// writes it one event at a time, and repeats until the job ends.
class WatchReactor final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  WatchReactor(JobManager* manager, const std::atomic<bool>* stopping, std::string job_id,
               int64_t after)
      : manager_(manager), stopping_(stopping), job_id_(std::move(job_id)), after_(after) {
    WaitForBatch();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      return;
    }
    WriteNext();
  }
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  void WaitForBatch() {
    if (cancelled_) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      return;
    }
    if (stopping_->load()) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
      return;
    }
    manager_->WatchEvents(job_id_, after_, kWatchPollMs,
                          [this](absl::StatusOr<EventBatch> batch) { OnBatch(std::move(batch)); });
  }
  void OnBatch(absl::StatusOr<EventBatch> batch) {
    if (!batch.ok()) {
      Finish(ToGrpcStatus(batch.status()));
      return;
    }
    events_ = std::move(batch->events);
    next_ = 0;
    terminal_ = batch->job_terminal;
    WriteNext();
  }
  void WriteNext() {
    if (next_ < events_.size()) {
      after_ = events_[next_].sequence();
      StartWrite(&events_[next_++]);
      return;
    }
    if (terminal_) {
      Finish(grpc::Status::OK);
      return;
    }
    WaitForBatch();
  }

  JobManager* const manager_;
  const std::atomic<bool>* const stopping_;
  const std::string job_id_;
  int64_t after_;
  std::vector<v1::JobEvent> events_;
  size_t next_ = 0;
  bool terminal_ = false;
  std::atomic<bool> cancelled_{false};
};

// A WatchJob stream refused before it starts.
class RefusedWatch final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  explicit RefusedWatch(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

template <typename T>
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, absl::StatusOr<T> result,
                                    T* out) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(Reply(std::move(result), out));
  return reactor;
}

}  // namespace

absl::StatusOr<std::string> SearchServiceImpl::Authorize(grpc::CallbackServerContext* ctx) const {
  if (auth_ == nullptr || !auth_->search_tokens()) return std::string();
  return auth_->AuthorizeSearch(CallerFromContext(*ctx));
}

grpc::ServerUnaryReactor* SearchServiceImpl::SubmitJob(grpc::CallbackServerContext* ctx,
                                                       const v1::SubmitJobRequest* req,
                                                       v1::Job* resp) {
  absl::StatusOr<std::string> user = Authorize(ctx);
  if (!user.ok()) return Refuse(ctx, user.status());
  auto* reactor = ctx->DefaultReactor();
  manager_->SubmitJobAsync(req->spec(), [reactor, resp, user = *std::move(user),
                                         peer = ctx->peer()](absl::StatusOr<v1::Job> job) {
    if (job.ok() && !user.empty()) {
      EDGENAS_LOG(kInfo, "coordinator", "job ", job->id(), " submitted by user ", user, " from ",
                  peer);
    }
    reactor->Finish(Reply(std::move(job), resp));
  });
  return reactor;
}

grpc::ServerUnaryReactor* SearchServiceImpl::GetJob(grpc::CallbackServerContext* ctx,
                                                    const v1::GetJobRequest* req, v1::Job* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->GetJob(req->job_id()), resp);
}

grpc::ServerUnaryReactor* SearchServiceImpl::ListJobs(grpc::CallbackServerContext* ctx,
                                                      const v1::ListJobsRequest* req,
                                                      v1::ListJobsResponse* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->ListJobs(*req), resp);
}

grpc::ServerUnaryReactor* SearchServiceImpl::CancelJob(grpc::CallbackServerContext* ctx,
                                                       const v1::CancelJobRequest* req,
                                                       v1::Job* resp) {
  absl::StatusOr<std::string> user = Authorize(ctx);
  if (!user.ok()) return Refuse(ctx, user.status());
  auto* reactor = ctx->DefaultReactor();
  manager_->CancelJobAsync(req->job_id(), [reactor, resp, user = *std::move(user)](
                                              absl::StatusOr<v1::Job> job) {
    if (job.ok() && !user.empty()) {
      EDGENAS_LOG(kInfo, "coordinator", "job ", job->id(), " cancelled by user ", user);
    }
    reactor->Finish(Reply(std::move(job), resp));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::JobEvent>* SearchServiceImpl::WatchJob(
    grpc::CallbackServerContext* ctx, const v1::WatchJobRequest* req) {
  if (auto user = Authorize(ctx); !user.ok()) return new RefusedWatch(user.status());
  return new WatchReactor(manager_, &stopping_, req->job_id(), req->after_sequence());
}

grpc::ServerUnaryReactor* SearchServiceImpl::GetParetoFront(grpc::CallbackServerContext* ctx,
                                                            const v1::GetParetoFrontRequest* req,
                                                            v1::ParetoFront* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->GetParetoFront(req->job_id()), resp);
}

grpc::ServerUnaryReactor* SearchServiceImpl::GetCandidate(grpc::CallbackServerContext* ctx,
                                                          const v1::GetCandidateRequest* req,
                                                          v1::Candidate* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->GetCandidate(req->job_id(), req->candidate_id()), resp);
}

grpc::ServerUnaryReactor* SearchServiceImpl::ListCandidates(
    grpc::CallbackServerContext* ctx, const v1::ListCandidatesRequest* req,
    v1::ListCandidatesResponse* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->ListCandidates(*req), resp);
}

grpc::ServerUnaryReactor* SearchServiceImpl::GetLatencyTable(grpc::CallbackServerContext* ctx,
                                                             const v1::GetLatencyTableRequest* req,
                                                             v1::LatencyTable* resp) {
  if (auto user = Authorize(ctx); !user.ok()) return Refuse(ctx, user.status());
  return FinishNow(ctx, manager_->GetLatencyTable(*req), resp);
}

}  // namespace edgenas
