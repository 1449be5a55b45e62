// A small SearchService client for the CLI: every call returns absl::Status
// (gRPC codes map one to one) and carries a deadline; Watch can be cancelled
// from another thread (Ctrl-C, a dead child process).
#ifndef EDGENAS_CLI_SEARCH_CLIENT_H_
#define EDGENAS_CLI_SEARCH_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace edgenas {

class SearchClient {
 public:
  // Connects lazily to `address` (host:port) without TLS; unary calls time
  // out after `rpc_timeout`.
  explicit SearchClient(const std::string& address,
                        absl::Duration rpc_timeout = absl::Seconds(30));
  // Over `channel` (e.g. TLS and a bearer token, as `Connect` in commands.cc
  // builds it from --tls_* / --token or the environment).
  explicit SearchClient(std::shared_ptr<grpc::Channel> channel,
                        absl::Duration rpc_timeout = absl::Seconds(30));

  absl::StatusOr<v1::Job> SubmitJob(const v1::JobSpec& spec);
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  // Every job, oldest first, in `view` (JOB_VIEW_SUMMARY: spec reduced to
  // name and budget): follows next_page_token until the last page, so no
  // response nears gRPC's 4 MiB limit however many or large the jobs are.
  absl::StatusOr<std::vector<v1::Job>> ListJobs(v1::JobView view = v1::JOB_VIEW_FULL);
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id);
  absl::StatusOr<v1::ParetoFront> GetParetoFront(const std::string& job_id);
  absl::StatusOr<v1::Candidate> GetCandidate(const std::string& job_id,
                                             const std::string& candidate_id);
  // One page of the job's candidates (see ListCandidatesRequest).
  absl::StatusOr<v1::ListCandidatesResponse> ListCandidates(
      const v1::ListCandidatesRequest& request);
  // Every candidate matching `request`'s filters, in sequence order: follows
  // next_page_token from request.page_token until the last page.
  absl::StatusOr<std::vector<v1::Candidate>> ListAllCandidates(v1::ListCandidatesRequest request);

  // Streams the job's events to `on_event` until the stream ends and returns
  // the job as it ended (fetched with GetJob when the stream's last snapshot
  // is not terminal). CANCELLED once CancelWatch() was called.
  absl::StatusOr<v1::Job> Watch(const std::string& job_id,
                                const std::function<void(const v1::JobEvent&)>& on_event);
  // Ends a Watch in progress, or the next one, from any thread.
  void CancelWatch();

 private:
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  std::unique_ptr<v1::SearchService::Stub> stub_;
  const absl::Duration rpc_timeout_;
  absl::Mutex mu_;
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool watch_cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// The paging loop of ListAllCandidates over any `fetch` (tests pass a
// fake): pages are requested until one has no next_page_token. INTERNAL
// when a server repeats a token or sends an empty page with a token (no
// progress), so a broken server cannot make the loop spin.
absl::StatusOr<std::vector<v1::Candidate>> CollectCandidatePages(
    v1::ListCandidatesRequest request,
    const std::function<absl::StatusOr<v1::ListCandidatesResponse>(
        const v1::ListCandidatesRequest&)>& fetch);

}  // namespace edgenas

#endif  // EDGENAS_CLI_SEARCH_CLIENT_H_
