// Which task writes which per-job artifact: the one place that maps artifact
// names (common/artifact_names.h) to the tasks that produce them. The
// ArtifactService lets an executor write an artifact only while it holds a
// live lease on a task that produces it (JobManager::CheckArtifactWriter).
//
//   "teacher"       the job's prepare task with operation "train_teacher"
//   "supernet"      the job's prepare task with operation "train_supernet"
//   "final.<seq>"   a task of that candidate (candidate_id "<job>-<seq>")
//                   that trains it: its evaluation in full_train mode, a
//                   full_train rung, or a finalist's "finalize" training;
//                   not "test_eval", which only reads the weights
//   "dataset_card"  any accuracy task of the job (the first one to open the
//                   dataset writes it; the rest read it)
// Nothing else: any other name is refused.
#ifndef EDGENAS_COORDINATOR_ARTIFACT_PRODUCERS_H_
#define EDGENAS_COORDINATOR_ARTIFACT_PRODUCERS_H_

#include <string>

#include "absl/status/status.h"
#include "coordinator/store/task_record.h"

namespace edgenas {

// One executor's claim to write artifact (job_id, name) as the holder of
// task_id's lease lease_token.
struct ArtifactWriteClaim {
  std::string executor_id;
  std::string job_id;
  std::string task_id;
  std::string lease_token;
  std::string name;
  // The task recorded on the ref this write would replace with different
  // content; "" when the name is not set yet (or its ref predates producer
  // records: the current producer may then replace it).
  std::string replaced_task_id;
};

// OK when `task` (of its own job) produces the artifact `name`, else
// PERMISSION_DENIED naming "name", the task and what may write that name.
absl::Status CheckTaskProducesArtifact(const TaskRecord& task, const std::string& name);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_ARTIFACT_PRODUCERS_H_
