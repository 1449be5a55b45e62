// ListJobs without RPC: validates a request and cuts the jobs, oldest first
// (created_unix_ms, then id), into pages with opaque, validated page
// tokens, mirroring coordinator/candidate_listing.h. The JobManager feeds
// the stored jobs in order (Store::ForEachJobAfter) and this file decides
// which of them a page holds and when it is full.
//
// A page token names the position (created_unix_ms and id of the last job
// listed) to resume after and a fingerprint of the view it was issued for,
// so a token cannot be used with another view (page_size may change
// between pages). Tokens do not expire and survive a coordinator restart;
// a job submitted during a listing comes after its last page.
#ifndef EDGENAS_COORDINATOR_JOB_LISTING_H_
#define EDGENAS_COORDINATOR_JOB_LISTING_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "edgenas/v1/job.pb.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

inline constexpr int kDefaultJobPageSize = 100;
inline constexpr int kMaxJobPageSize = 1000;
// A page stops before this many bytes of jobs (it always holds at least
// one), so that a response stays well under gRPC's default 4 MiB receive
// limit even when specs are about 1 MiB each.
inline constexpr size_t kMaxJobPageBytes = size_t{2} << 20;

// A ListJobsRequest after validation.
struct JobQuery {
  int page_size = kDefaultJobPageSize;  // 1..kMaxJobPageSize
  bool summary = false;                 // JOB_VIEW_SUMMARY
  // Where the page starts: from the oldest job, or after the job at
  // (after_created_ms, after_id) (from the page token).
  bool from_start = true;
  int64_t after_created_ms = 0;
  std::string after_id;
};

// Validates `request`: page_size in [0, 1000] (0 = 100); view known;
// page_token "" or one this file issued for the same view.
// INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<JobQuery> ParseJobQuery(const v1::ListJobsRequest& request);

// The token that resumes `query`'s listing after `last` (the last job of a
// page).
std::string EncodeJobPageToken(const JobQuery& query, const v1::Job& last);

// The job as JOB_VIEW_SUMMARY shows it: its spec reduced to name and
// budget.
v1::Job JobSummary(const v1::Job& job);

// Builds one page from the jobs offered in listing order.
class JobPage {
 public:
  explicit JobPage(const JobQuery& query) : query_(query) {}
  // Adds `job` (in the query's view) when it fits; false when the page is
  // full (page_size jobs, or kMaxJobPageBytes would be passed): then `job`
  // is the first of the next page and no more should be offered.
  bool Offer(v1::Job job);
  // The page, with a next_page_token exactly when a job was refused.
  v1::ListJobsResponse Finish() &&;

 private:
  const JobQuery query_;
  v1::ListJobsResponse response_;
  size_t bytes_ = 0;
  bool more_ = false;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_JOB_LISTING_H_
