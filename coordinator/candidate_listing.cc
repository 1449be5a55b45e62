// Paging and filtering of a job's candidates for ListCandidates.
#include "coordinator/candidate_listing.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/fnv1a.h"

namespace edgenas {
namespace {

// The plain text of a token is "<kTokenTag>:<next sequence>:<fingerprint>",
// sent as web-safe base64 so that clients treat it as opaque.
constexpr char kTokenTag[] = "cl1";
// Longer tokens are refused before decoding (a real one is under 64 bytes).
constexpr size_t kMaxTokenBytes = 128;

// What a token is bound to: the job and the filters (not the page size).
std::string Fingerprint(const CandidateQuery& query) {
  std::string text = absl::StrCat(query.job_id.size(), ":", query.job_id, "|states");
  for (int state : query.states) absl::StrAppend(&text, ",", state);
  absl::StrAppend(&text, "|fidelity=", query.fidelity ? absl::StrCat(*query.fidelity) : "all");
  return absl::StrFormat("%016x", Fnv1a64(text));
}

absl::Status BadToken(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "page_token: ", why, "; pass \"\" for the first page, then each response's "
      "next_page_token unchanged, with the same job_id, states and fidelity"));
}

// Sets query->first_sequence from a token issued for the same query.
absl::Status ParseToken(const std::string& token, CandidateQuery* query) {
  if (token.empty()) return absl::OkStatus();
  std::string plain;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &plain)) {
    return BadToken("not a token issued by ListCandidates");
  }
  const std::vector<std::string> parts = absl::StrSplit(plain, ':');
  int64_t next = 0;
  if (parts.size() != 3 || parts[0] != kTokenTag || !absl::SimpleAtoi(parts[1], &next) ||
      next < 0) {
    return BadToken("not a token issued by ListCandidates");
  }
  if (parts[2] != Fingerprint(*query)) {
    return BadToken("issued for another job or other filters");
  }
  query->first_sequence = next;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CandidateQuery> ParseCandidateQuery(const v1::ListCandidatesRequest& request) {
  CandidateQuery query;
  if (request.job_id().empty()) return absl::InvalidArgumentError("job_id: required");
  query.job_id = request.job_id();
  if (request.page_size() < 0 || request.page_size() > kMaxCandidatePageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(), " is out of range; expected 1 to ",
                     kMaxCandidatePageSize, ", or 0 for ", kDefaultCandidatePageSize));
  }
  query.page_size = request.page_size() == 0 ? kDefaultCandidatePageSize : request.page_size();
  for (int i = 0; i < request.states_size(); ++i) {
    const int state = request.states(i);
    if (state == v1::CANDIDATE_STATE_UNSPECIFIED || !v1::CandidateState_IsValid(state)) {
      return absl::InvalidArgumentError(
          absl::StrCat("states[", i, "]: ", state, " is not a candidate state"));
    }
    query.states.insert(state);
  }
  if (request.has_fidelity()) {
    if (request.fidelity() < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fidelity: ", request.fidelity(),
          " is not a fidelity; expected -1 (finalists' full training), 0 or a rung k > 0"));
    }
    query.fidelity = request.fidelity();
  }
  RETURN_IF_ERROR(ParseToken(request.page_token(), &query));
  return query;
}

bool MatchesCandidateQuery(const CandidateQuery& query, const v1::Candidate& candidate) {
  if (!query.states.empty() && query.states.count(candidate.state()) == 0) return false;
  if (!query.fidelity) return true;
  return std::any_of(candidate.metrics().begin(), candidate.metrics().end(),
                     [&](const v1::Metric& m) { return m.fidelity() == *query.fidelity; });
}

std::string EncodeCandidatePageToken(const CandidateQuery& query, int64_t next_sequence) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kTokenTag, ":", next_sequence, ":", Fingerprint(query)));
}

v1::ListCandidatesResponse PageCandidates(const CandidateQuery& query,
                                          const std::vector<const v1::Candidate*>& in_order) {
  v1::ListCandidatesResponse response;
  int total = 0;
  bool more = false;
  size_t bytes = 0;
  for (const v1::Candidate* candidate : in_order) {
    if (!MatchesCandidateQuery(query, *candidate)) continue;
    ++total;
    if (candidate->sequence() < query.first_sequence || more) continue;
    const size_t size = candidate->ByteSizeLong();
    if (response.candidates_size() >= query.page_size ||
        (response.candidates_size() > 0 && bytes + size > kMaxCandidatePageBytes)) {
      more = true;  // the page is full; keep counting the total
      continue;
    }
    bytes += size;
    *response.add_candidates() = *candidate;
  }
  response.set_total(total);
  if (more) {
    const int64_t last = response.candidates(response.candidates_size() - 1).sequence();
    response.set_next_page_token(EncodeCandidatePageToken(query, last + 1));
  }
  return response;
}

}  // namespace edgenas
