// The candidates subcommand: flags to a request, pages to one listing.
#include "cli/candidates_command.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/candidate_table.h"

namespace edgenas {
namespace {

constexpr int kMaxPageSize = 1000;  // ListCandidatesRequest.page_size's bound

}  // namespace

absl::StatusOr<v1::ListCandidatesRequest> CandidatesRequestFromFlags(const CandidatesFlags& flags) {
  v1::ListCandidatesRequest request;
  request.set_job_id(flags.job_id);
  if (flags.state) {
    absl::StatusOr<std::vector<v1::CandidateState>> states = ParseCandidateStates(*flags.state);
    if (!states.ok()) return states.status();
    for (v1::CandidateState s : *states) request.add_states(s);
  }
  if (flags.fidelity) {
    int fidelity = 0;
    if (!absl::SimpleAtoi(*flags.fidelity, &fidelity) || fidelity < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--fidelity: expected -1 (finalists' full training), 0 or a rung k > 0, got \"",
          flags.fidelity->substr(0, 40), "\""));
    }
    request.set_fidelity(fidelity);
  }
  if (flags.page_size) {
    int size = 0;
    if (!absl::SimpleAtoi(*flags.page_size, &size) || size < 1 || size > kMaxPageSize) {
      return absl::InvalidArgumentError(absl::StrCat("--page_size: expected 1 to ", kMaxPageSize,
                                                     ", got \"", flags.page_size->substr(0, 40),
                                                     "\""));
    }
    request.set_page_size(size);
  }
  return request;
}

absl::Status PrintCandidates(SearchClient& client, const v1::ListCandidatesRequest& request,
                             CandidatesFormat format, std::ostream& out) {
  absl::StatusOr<std::vector<v1::Candidate>> candidates = client.ListAllCandidates(request);
  if (!candidates.ok()) return candidates.status();
  switch (format) {
    case CandidatesFormat::kCsv:
      out << FormatCandidatesCsv(*candidates);
      break;
    case CandidatesFormat::kJson: {
      absl::StatusOr<std::string> json = FormatCandidatesJson(*candidates);
      if (!json.ok()) return json.status();
      out << *json;
      break;
    }
    case CandidatesFormat::kTable:
      out << FormatCandidatesTable(*candidates);
      break;
  }
  return absl::OkStatus();
}

}  // namespace edgenas
