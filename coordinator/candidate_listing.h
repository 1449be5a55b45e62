// ListCandidates without RPC: validates a request, filters a job's
// candidates by state and fidelity, and cuts them into pages with opaque,
// validated page tokens. The JobManager gathers the candidates (live or
// stored) and this file decides which of them a page holds.
//
// A page token names the sequence number to resume from and a fingerprint
// of the job id and filters it was issued for, so a token cannot be used
// with another job or other filters (page_size may change between pages).
// Tokens do not expire and survive a coordinator restart.
#ifndef EDGENAS_COORDINATOR_CANDIDATE_LISTING_H_
#define EDGENAS_COORDINATOR_CANDIDATE_LISTING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

inline constexpr int kDefaultCandidatePageSize = 100;
inline constexpr int kMaxCandidatePageSize = 1000;
// A page stops before this many bytes of candidates (it always holds at
// least one), so that a response stays well under gRPC's default 4 MiB
// receive limit whatever page_size asked for.
inline constexpr size_t kMaxCandidatePageBytes = size_t{2} << 20;

// A ListCandidatesRequest after validation.
struct CandidateQuery {
  std::string job_id;
  int page_size = kDefaultCandidatePageSize;  // 1..kMaxCandidatePageSize
  int64_t first_sequence = 0;                 // from the page token
  std::set<int> states;                       // v1::CandidateState values; empty = all
  std::optional<int> fidelity;                // >= -1
};

// Validates `request`: job_id non-empty; page_size in [0, 1000] (0 = 100);
// states known and not UNSPECIFIED; fidelity >= -1; page_token "" or one
// this file issued for the same job and filters. INVALID_ARGUMENT naming
// the field otherwise.
absl::StatusOr<CandidateQuery> ParseCandidateQuery(const v1::ListCandidatesRequest& request);

// True when `candidate` passes the query's state and fidelity filters (a
// candidate has a fidelity when one of its metrics has it).
bool MatchesCandidateQuery(const CandidateQuery& query, const v1::Candidate& candidate);

// The token that resumes `query`'s listing at `next_sequence`.
std::string EncodeCandidatePageToken(const CandidateQuery& query, int64_t next_sequence);

// One page of `in_order` (a job's candidates sorted by sequence): the
// matching candidates from query.first_sequence on, at most page_size of
// them and fewer when kMaxCandidatePageBytes is reached, `total` (every
// match in the job), and a next_page_token that is "" exactly when no
// match follows the page.
v1::ListCandidatesResponse PageCandidates(const CandidateQuery& query,
                                          const std::vector<const v1::Candidate*>& in_order);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_CANDIDATE_LISTING_H_
