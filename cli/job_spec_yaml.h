// Reads a job spec from YAML into the v1::JobSpec message.
//
// The YAML mirrors the proto field names (snake_case) one to one. Parsing is
// strict about shape and types only: unknown keys, duplicate keys, wrong
// types and unknown enum words are refused with the field path and the YAML
// line. Semantic checks (known spaces, metrics, positive budgets) belong to
// the coordinator, which validates every spec at submission.
#ifndef EDGENAS_CLI_JOB_SPEC_YAML_H_
#define EDGENAS_CLI_JOB_SPEC_YAML_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// Parses a YAML document into a JobSpec. INVALID_ARGUMENT names the first
// bad field as a path (`objectives[1].metrc: unknown field; known: ...`)
// followed by the 1-based YAML line where yaml-cpp knows it.
absl::StatusOr<v1::JobSpec> ParseJobSpecYaml(std::string_view yaml_text);

// Reads and parses the file at `path`. NOT_FOUND when it cannot be opened;
// parse errors are prefixed with the path.
absl::StatusOr<v1::JobSpec> LoadJobSpecFile(const std::string& path);

}  // namespace edgenas

#endif  // EDGENAS_CLI_JOB_SPEC_YAML_H_
