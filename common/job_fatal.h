// Job-fatal failures: a task error that no retry and no other task of the
// same job can get past (e.g. the job's dataset is unusable). The worker
// marks the absl::Status with a payload; the executor loop reports it as
// FailRequest.job_fatal, and the coordinator ends the job at once.
#ifndef EDGENAS_COMMON_JOB_FATAL_H_
#define EDGENAS_COMMON_JOB_FATAL_H_

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace edgenas {

// The payload URL marking a status job-fatal.
inline constexpr char kJobFatalPayload[] = "edgenas/job_fatal";

// `status` (not OK) marked job-fatal; code and message are kept.
inline absl::Status MarkJobFatal(absl::Status status) {
  if (!status.ok()) status.SetPayload(kJobFatalPayload, absl::Cord("1"));
  return status;
}

// True when `status` was marked by MarkJobFatal.
inline bool IsJobFatal(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kJobFatalPayload).has_value();
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_JOB_FATAL_H_
