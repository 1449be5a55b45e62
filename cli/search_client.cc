// SearchService client calls with deadlines and status conversion.
#include "cli/search_client.h"

#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/front_format.h"
#include "common/grpc_status.h"

namespace edgenas {

SearchClient::SearchClient(const std::string& address, absl::Duration rpc_timeout)
    : stub_(v1::SearchService::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
      rpc_timeout_(rpc_timeout) {}

SearchClient::SearchClient(std::shared_ptr<grpc::Channel> channel, absl::Duration rpc_timeout)
    : stub_(v1::SearchService::NewStub(std::move(channel))), rpc_timeout_(rpc_timeout) {}

std::unique_ptr<grpc::ClientContext> SearchClient::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  return context;
}

absl::StatusOr<v1::Job> SearchClient::SubmitJob(const v1::JobSpec& spec) {
  v1::SubmitJobRequest request;
  *request.mutable_spec() = spec;
  v1::Job job;
  auto context = NewContext();
  const grpc::Status status = stub_->SubmitJob(context.get(), request, &job);
  if (!status.ok()) return FromGrpcStatus(status);
  return job;
}

absl::StatusOr<v1::Job> SearchClient::GetJob(const std::string& job_id) {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  auto context = NewContext();
  const grpc::Status status = stub_->GetJob(context.get(), request, &job);
  if (!status.ok()) return FromGrpcStatus(status);
  return job;
}

absl::StatusOr<v1::Candidate> SearchClient::GetCandidate(const std::string& job_id,
                                                         const std::string& candidate_id) {
  v1::GetCandidateRequest request;
  request.set_job_id(job_id);
  request.set_candidate_id(candidate_id);
  v1::Candidate candidate;
  auto context = NewContext();
  const grpc::Status status = stub_->GetCandidate(context.get(), request, &candidate);
  if (!status.ok()) return FromGrpcStatus(status);
  return candidate;
}

absl::StatusOr<std::vector<v1::Job>> SearchClient::ListJobs(v1::JobView view) {
  v1::ListJobsRequest request;
  request.set_view(view);
  std::vector<v1::Job> out;
  std::set<std::string> seen_tokens;
  while (true) {
    v1::ListJobsResponse response;
    auto context = NewContext();
    const grpc::Status status = stub_->ListJobs(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    for (v1::Job& job : *response.mutable_jobs()) out.push_back(std::move(job));
    if (response.next_page_token().empty()) return out;
    if (response.jobs().empty() || !seen_tokens.insert(response.next_page_token()).second) {
      return absl::InternalError(absl::StrCat(
          "ListJobs: the server sent a page token that makes no progress; stopped after ",
          out.size(), " jobs"));
    }
    request.set_page_token(response.next_page_token());
  }
}

absl::StatusOr<v1::Job> SearchClient::CancelJob(const std::string& job_id) {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  auto context = NewContext();
  const grpc::Status status = stub_->CancelJob(context.get(), request, &job);
  if (!status.ok()) return FromGrpcStatus(status);
  return job;
}

absl::StatusOr<v1::ParetoFront> SearchClient::GetParetoFront(const std::string& job_id) {
  v1::GetParetoFrontRequest request;
  request.set_job_id(job_id);
  v1::ParetoFront front;
  auto context = NewContext();
  const grpc::Status status = stub_->GetParetoFront(context.get(), request, &front);
  if (!status.ok()) return FromGrpcStatus(status);
  return front;
}

absl::StatusOr<v1::ListCandidatesResponse> SearchClient::ListCandidates(
    const v1::ListCandidatesRequest& request) {
  v1::ListCandidatesResponse response;
  auto context = NewContext();
  const grpc::Status status = stub_->ListCandidates(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::vector<v1::Candidate>> SearchClient::ListAllCandidates(
    v1::ListCandidatesRequest request) {
  return CollectCandidatePages(std::move(request), [this](const v1::ListCandidatesRequest& r) {
    return ListCandidates(r);
  });
}

absl::StatusOr<std::vector<v1::Candidate>> CollectCandidatePages(
    v1::ListCandidatesRequest request,
    const std::function<absl::StatusOr<v1::ListCandidatesResponse>(
        const v1::ListCandidatesRequest&)>& fetch) {
  std::vector<v1::Candidate> out;
  std::set<std::string> seen_tokens;
  while (true) {
    absl::StatusOr<v1::ListCandidatesResponse> page = fetch(request);
    if (!page.ok()) return page.status();
    for (v1::Candidate& c : *page->mutable_candidates()) out.push_back(std::move(c));
    if (page->next_page_token().empty()) return out;
    if (page->candidates().empty() || !seen_tokens.insert(page->next_page_token()).second) {
      return absl::InternalError(absl::StrCat(
          "ListCandidates of job ", request.job_id(),
          ": the server sent a page token that makes no progress; stopped after ", out.size(),
          " candidates"));
    }
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<v1::Job> SearchClient::Watch(
    const std::string& job_id, const std::function<void(const v1::JobEvent&)>& on_event) {
  grpc::ClientContext context;  // no deadline: a search runs as long as it needs
  {
    absl::MutexLock lock(&mu_);
    if (watch_cancelled_) return absl::CancelledError("watch cancelled");
    watch_context_ = &context;
  }
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub_->WatchJob(&context, request);
  v1::JobEvent event;
  v1::Job last;
  bool have_last = false;
  while (reader->Read(&event)) {
    if (event.has_job()) {
      last = event.job();
      have_last = true;
    }
    on_event(event);
  }
  const grpc::Status status = reader->Finish();
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    watch_context_ = nullptr;
    cancelled = watch_cancelled_;
  }
  if (cancelled) return absl::CancelledError("watch cancelled");
  if (!status.ok()) return FromGrpcStatus(status);
  if (have_last && IsTerminal(last.state())) return last;
  return GetJob(job_id);
}

void SearchClient::CancelWatch() {
  absl::MutexLock lock(&mu_);
  watch_cancelled_ = true;
  if (watch_context_ != nullptr) watch_context_->TryCancel();
}

}  // namespace edgenas
