// ResultSpool: where an executor keeps a finished task's report (Complete or
// Fail) until the coordinator has answered it definitively, so that neither
// a coordinator outage nor an executor restart loses it.
//
// One file per report in the spool folder, named
// "<complete|fail>-<sha256(task id, lease token)>.pb" and holding the
// serialized CompleteRequest or FailRequest exactly as it is sent: the
// executor id and lease token it carries are those of the lease the task ran
// under. Files are written atomically (common/atomic_file.h), so a crash
// leaves the old file or the new one.
//
// The re-send rule: a restarted executor registers (getting a new id), then
// sends every spooled report verbatim, under the OLD executor id and lease
// token. The coordinator recognises it exactly as it would the old process
// (executor ids survive coordinator restarts; the lease token proves the
// lease), and answers definitively: accepted (or a duplicate), or refused
// because the lease is no longer that executor's (FAILED_PRECONDITION,
// PERMISSION_DENIED, NOT_FOUND for an id it no longer knows). Either way the
// file is removed. Anything else (unreachable, database full) keeps it.
//
// Not internally locked: one ExecutorLoop owns a spool folder.
#ifndef EDGENAS_EXECUTOR_RESULT_SPOOL_H_
#define EDGENAS_EXECUTOR_RESULT_SPOOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// One finished task's report, as it will be sent.
struct PendingReport {
  bool is_complete = true;
  v1::CompleteRequest complete;  // when is_complete
  v1::FailRequest fail;          // otherwise

  const std::string& task_id() const;
  const std::string& lease_token() const;
  const std::string& executor_id() const;
};

class ResultSpool {
 public:
  // Opens (creating it and its parents when missing) the spool folder.
  // INVALID_ARGUMENT naming `field` (e.g. "--spool_dir") when it is empty,
  // cannot be created or is not a folder.
  static absl::StatusOr<std::unique_ptr<ResultSpool>> Open(const std::string& dir,
                                                           const std::string& field);

  // Stores `report`, replacing an earlier one for the same task and lease
  // (e.g. a refused Complete turned into a Fail). INTERNAL when it cannot
  // be written.
  absl::Status Put(const PendingReport& report);
  // Forgets the report for (task id, lease token) of both kinds; OK when
  // there was none.
  absl::Status Remove(const PendingReport& report);
  // Every stored report, oldest file first. A file that cannot be read or
  // parsed is renamed to "<name>.bad" (kept for an operator) and skipped.
  std::vector<PendingReport> List();

  const std::string& dir() const { return dir_; }

 private:
  explicit ResultSpool(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(const PendingReport& report, bool is_complete) const;

  const std::string dir_;
};

// The spool folder an executor uses when its flag leaves it empty:
// $XDG_CACHE_HOME/edgenas/spool/<program>-<name>, else
// $HOME/.cache/edgenas/spool/<program>-<name>, else
// /tmp/edgenas-spool/<program>-<name>; characters outside [A-Za-z0-9._-]
// in `name` become '_'. Two executors on one host need distinct names (or
// --spool_dir values).
std::string DefaultSpoolDir(const std::string& program, const std::string& name);

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_RESULT_SPOOL_H_
