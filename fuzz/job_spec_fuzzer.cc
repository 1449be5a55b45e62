// Fuzzes the job-spec YAML parser and NormalizeJobSpec: any input must give
// a spec or a clear error, never a crash, and normalising a normalised spec
// must change nothing (the coordinator normalises again after a restart).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/job_spec_yaml.h"
#include "common/job_spec.h"
#include "coordinator/evaluators/evaluator.h"
#include "google/protobuf/util/message_differencer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // the CLI's files are small; keep runs fast
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<edgenas::v1::JobSpec> spec = edgenas::ParseJobSpecYaml(text);
  if (!spec.ok()) {
    if (spec.status().message().empty()) std::abort();  // an error must say what is wrong
    return 0;
  }
  edgenas::v1::JobSpec once = *spec;
  const absl::Status first = edgenas::NormalizeJobSpec(&once, edgenas::RegisteredJobSpecNames());
  if (!first.ok()) {
    if (first.message().empty()) std::abort();
    return 0;
  }
  edgenas::v1::JobSpec twice = once;
  if (!edgenas::NormalizeJobSpec(&twice, edgenas::RegisteredJobSpecNames()).ok()) std::abort();
  if (!google::protobuf::util::MessageDifferencer::Equals(once, twice)) std::abort();
  return 0;
}
