// Paging of the coordinator's jobs for ListJobs.
#include "coordinator/job_listing.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/fnv1a.h"

namespace edgenas {
namespace {

// The plain text of a token is
// "<kTokenTag>:<fingerprint>:<created_unix_ms>:<job id>" (the id last, so
// it may hold any character), sent as web-safe base64 so that clients treat
// it as opaque.
constexpr char kTokenTag[] = "jl1";
// Longer tokens are refused before decoding (a real one is under 200 bytes).
constexpr size_t kMaxTokenBytes = 512;

// What a token is bound to: the view (not the page size).
std::string Fingerprint(const JobQuery& query) {
  return absl::StrFormat("%016x", Fnv1a64(query.summary ? "jobs|view=summary" : "jobs|view=full"));
}

absl::Status BadToken(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "page_token: ", why, "; pass \"\" for the first page, then each response's "
      "next_page_token unchanged, with the same view"));
}

// Sets the query's position from a token issued for the same view.
absl::Status ParseToken(const std::string& token, JobQuery* query) {
  if (token.empty()) return absl::OkStatus();
  std::string plain;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &plain)) {
    return BadToken("not a token issued by ListJobs");
  }
  const std::vector<std::string> parts = absl::StrSplit(plain, absl::MaxSplits(':', 3));
  int64_t created = 0;
  if (parts.size() != 4 || parts[0] != kTokenTag || !absl::SimpleAtoi(parts[2], &created) ||
      parts[3].empty()) {
    return BadToken("not a token issued by ListJobs");
  }
  if (parts[1] != Fingerprint(*query)) return BadToken("issued for another view");
  query->from_start = false;
  query->after_created_ms = created;
  query->after_id = parts[3];
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JobQuery> ParseJobQuery(const v1::ListJobsRequest& request) {
  JobQuery query;
  if (request.page_size() < 0 || request.page_size() > kMaxJobPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is out of range; expected 1 to ",
                     kMaxJobPageSize, ", or 0 for ", kDefaultJobPageSize));
  }
  query.page_size = request.page_size() == 0 ? kDefaultJobPageSize : request.page_size();
  if (!v1::JobView_IsValid(request.view())) {
    return absl::InvalidArgumentError(
        absl::StrCat("view: ", static_cast<int>(request.view()), " is not a job view"));
  }
  query.summary = request.view() == v1::JOB_VIEW_SUMMARY;
  if (absl::Status token = ParseToken(request.page_token(), &query); !token.ok()) return token;
  return query;
}

std::string EncodeJobPageToken(const JobQuery& query, const v1::Job& last) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenTag, ":", Fingerprint(query), ":",
                                                last.created_unix_ms(), ":", last.id()));
}

v1::Job JobSummary(const v1::Job& job) {
  v1::Job summary = job;
  summary.clear_spec();
  summary.mutable_spec()->set_name(job.spec().name());
  *summary.mutable_spec()->mutable_budget() = job.spec().budget();
  return summary;
}

bool JobPage::Offer(v1::Job job) {
  if (more_) return false;
  if (query_.summary) job = JobSummary(job);
  const size_t size = job.ByteSizeLong();
  if (response_.jobs_size() >= query_.page_size ||
      (response_.jobs_size() > 0 && bytes_ + size > kMaxJobPageBytes)) {
    more_ = true;
    return false;
  }
  bytes_ += size;
  *response_.add_jobs() = std::move(job);
  return true;
}

v1::ListJobsResponse JobPage::Finish() && {
  if (more_) {
    response_.set_next_page_token(
        EncodeJobPageToken(query_, response_.jobs(response_.jobs_size() - 1)));
  }
  return std::move(response_);
}

}  // namespace edgenas
