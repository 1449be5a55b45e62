// `edgenas candidates JOB [--csv|--json] [--state S,...] [--fidelity N]
// [--page_size N]`: every candidate of a job, fetched with ListCandidates
// a page at a time (cli/candidate_table.h renders them).
#ifndef EDGENAS_CLI_CANDIDATES_COMMAND_H_
#define EDGENAS_CLI_CANDIDATES_COMMAND_H_

#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/search_client.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

enum class CandidatesFormat { kTable, kCsv, kJson };

// The flags' text as given (nullopt: flag absent).
struct CandidatesFlags {
  std::string job_id;
  std::optional<std::string> state;      // "done,failed"
  std::optional<std::string> fidelity;   // "-1", "0", "2"
  std::optional<std::string> page_size;  // "1".."1000"
};

// The first ListCandidates request for `flags`. INVALID_ARGUMENT naming the
// flag (--state, --fidelity, --page_size) when its text is not valid.
absl::StatusOr<v1::ListCandidatesRequest> CandidatesRequestFromFlags(const CandidatesFlags& flags);

// Fetches every page of `request` and prints the candidates on `out` in
// `format`. Returns the RPC's error (nothing printed) when a page fails.
absl::Status PrintCandidates(SearchClient& client, const v1::ListCandidatesRequest& request,
                             CandidatesFormat format, std::ostream& out);

}  // namespace edgenas

#endif  // EDGENAS_CLI_CANDIDATES_COMMAND_H_
