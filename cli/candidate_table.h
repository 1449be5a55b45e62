// `edgenas candidates JOB`: every trial of a job as an aligned table, CSV
// (one row per candidate, one column group per metric) or a JSON array.
// The column layout is documented in docs/candidates.md; in short:
//
//   id, sequence, state, arch,
//   per metric key K (name, or name@device_class for device metrics):
//     K            the value the search ranked by (highest rung >= 0; a
//                  metric measured only for finalists shows that value)
//     K.source, K.fidelity, K.unstable
//     K.std_error, K.ci_low, K.ci_high   only when some value has them
//   and, when K has values at several fidelities in the job, per fidelity F
//   (ascending, -1 = finalists' full training last):
//     K#F, K#F.source, K#F.unstable (+ K#F.std_error / ci when present)
//   created_unix_ms, finished_unix_ms, failure_reason, notes (" | "-joined)
#ifndef EDGENAS_CLI_CANDIDATE_TABLE_H_
#define EDGENAS_CLI_CANDIDATE_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edgenas/v1/common.pb.h"

namespace edgenas {

// "pending", "done", "failed", "infeasible", "screened" ("unknown" else).
std::string CandidateStateName(v1::CandidateState state);

// Parses a comma-separated list of state names (as CandidateStateName
// prints them, any case). INVALID_ARGUMENT naming --state and the known
// names for an unknown or empty entry.
absl::StatusOr<std::vector<v1::CandidateState>> ParseCandidateStates(const std::string& text);

// The CSV header for these candidates (the layout above), in column order.
std::vector<std::string> CandidateCsvHeader(const std::vector<v1::Candidate>& candidates);

// RFC 4180 CSV: the header, then one row per candidate in the given order.
// Values are raw (accuracy as a fraction); a missing value is an empty
// field; unstable is "true"/"false"; lines end in CRLF.
std::string FormatCandidatesCsv(const std::vector<v1::Candidate>& candidates);

// An aligned table for people: seq, state, every value column (K and K#F)
// formatted per metric ("~" marks an unstable value), arch; then one line
// per failed, infeasible or screened candidate with its reason, and a count.
std::string FormatCandidatesTable(const std::vector<v1::Candidate>& candidates);

// A JSON array of the candidates as protobuf JSON (proto field names, every
// field printed, every metric with all its fields), one element per line.
absl::StatusOr<std::string> FormatCandidatesJson(const std::vector<v1::Candidate>& candidates);

}  // namespace edgenas

#endif  // EDGENAS_CLI_CANDIDATE_TABLE_H_
