#include "coordinator/artifact_producers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/artifact_names.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/evaluators/proxy_evaluator.h"

namespace edgenas {
namespace {

absl::Status Refuse(const TaskRecord& task, const std::string& name, absl::string_view who) {
  return absl::PermissionDeniedError(absl::StrCat(
      "name: task ", task.task_id, " (operation \"", task.operation,
      "\") does not produce artifact \"", name.substr(0, 64), "\"; ", who));
}

}  // namespace

absl::Status CheckTaskProducesArtifact(const TaskRecord& task, const std::string& name) {
  const bool job_level = task.candidate_id.empty();
  if (name == kArtifactTeacher) {
    if (job_level && task.kind == TaskKind::kAccuracy &&
        task.operation == kOperationTrainTeacher) {
      return absl::OkStatus();
    }
    return Refuse(task, name, "only the job's train_teacher task writes it");
  }
  if (name == kArtifactSupernet) {
    if (job_level && task.kind == TaskKind::kAccuracy &&
        task.operation == kOperationTrainSupernet) {
      return absl::OkStatus();
    }
    return Refuse(task, name, "only the job's train_supernet task writes it");
  }
  if (name == kArtifactDatasetCard) {
    if (task.kind == TaskKind::kAccuracy) return absl::OkStatus();
    return Refuse(task, name, "only the job's accuracy tasks write it");
  }
  if (absl::StartsWith(name, "final.")) {
    if (!job_level && task.kind == TaskKind::kAccuracy &&
        task.operation != kOperationTestEval &&
        name == CandidateWeightsArtifactName(task.job_id, task.candidate_id)) {
      return absl::OkStatus();
    }
    return Refuse(task, name, "only a training task of that candidate writes its weights");
  }
  return Refuse(task, name,
                "artifact names are teacher, supernet, dataset_card and final.<seq>");
}

}  // namespace edgenas
