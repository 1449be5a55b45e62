// Job spec rules: defaults for fields left unset, and validation that names
// the first bad field (job.objectives[1].metric: ...). Used by the
// coordinator at submission; the CLI only checks the YAML's shape.
#ifndef EDGENAS_COMMON_JOB_SPEC_H_
#define EDGENAS_COMMON_JOB_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/job_defaults.h"
#include "common/pareto.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// Size bounds of a job spec (NormalizeJobSpec refuses more, naming the
// field): the whole serialized spec, and its list of initial architectures.
inline constexpr size_t kMaxJobSpecBytes = 1 << 20;
inline constexpr int kMaxInitialArchitectures = 10000;
inline constexpr size_t kMaxArchitectureChars = 1024;


// The names a job spec may use that common/ does not own: each list lives
// next to its factories in the coordinator (strategy.name: the strategy
// registry; evaluation.mode: the evaluator registry), which hands them in
// (RegisteredJobSpecNames() in coordinator/evaluator.h). Refusals list them
// in this order.
struct JobSpecNames {
  std::vector<std::string> strategies;
  std::vector<std::string> evaluation_modes;
};

// Validates `spec` and fills every field left at zero/empty with its
// default. Refuses (INVALID_ARGUMENT, message starts with the field path)
// negative or out-of-range numbers, unknown names (strategy and evaluation
// mode names from `names`) and inconsistent settings; on error `spec` may be
// partly filled and must be discarded.
absl::Status NormalizeJobSpec(edgenas::v1::JobSpec* spec, const JobSpecNames& names);

// OK for 1-64 characters of [A-Za-z0-9_.-]; INVALID_ARGUMENT naming `field`
// otherwise (device classes end up in metric labels and logs).
absl::Status ValidateDeviceClass(const std::string& device_class, absl::string_view field);

// The orientation of each objective of a normalised spec.
std::vector<Sense> ObjectiveSenses(const edgenas::v1::JobSpec& spec);

// Device class under which an objective's/constraint's metric is stored:
// the given class for device metrics, "" for device-independent ones.
std::string MetricDeviceClass(const std::string& metric, const std::string& device_class);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_JOB_SPEC_H_
