// Which task writes which artifact (coordinator/artifact_producers.h).
#include "coordinator/artifact_producers.h"

#include <string>

#include "gtest/gtest.h"

namespace edgenas {
namespace {

TaskRecord Task(const std::string& id, const std::string& candidate, const std::string& operation,
                TaskKind kind = TaskKind::kAccuracy) {
  TaskRecord t;
  t.task_id = id;
  t.job_id = "job-1";
  t.candidate_id = candidate;
  t.operation = operation;
  t.kind = kind;
  return t;
}

absl::StatusCode Code(const TaskRecord& task, const std::string& name) {
  return CheckTaskProducesArtifact(task, name).code();
}

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;

TEST(ArtifactProducers, EachNameHasItsTasks) {
  const TaskRecord teacher = Task("job-1.train_teacher", "", "train_teacher");
  const TaskRecord supernet = Task("job-1.train_supernet", "", "train_supernet");
  const TaskRecord evaluate = Task("job-1-0007.accuracy", "job-1-0007", "");
  const TaskRecord finalize = Task("job-1-0007.full_train", "job-1-0007", "finalize");
  const TaskRecord test_eval = Task("job-1-0007.test_eval", "job-1-0007", "test_eval");
  const TaskRecord latency = Task("job-1-0007.latency", "job-1-0007", "", TaskKind::kLatency);

  EXPECT_EQ(Code(teacher, "teacher"), kOk);
  EXPECT_EQ(Code(supernet, "teacher"), kDenied);
  EXPECT_EQ(Code(evaluate, "teacher"), kDenied);
  EXPECT_EQ(Code(supernet, "supernet"), kOk);
  EXPECT_EQ(Code(teacher, "supernet"), kDenied);

  EXPECT_EQ(Code(evaluate, "final.0007"), kOk);
  EXPECT_EQ(Code(finalize, "final.0007"), kOk);
  EXPECT_EQ(Code(finalize, "final.0008"), kDenied);  // another candidate's weights
  EXPECT_EQ(Code(test_eval, "final.0007"), kDenied);  // reads them only
  EXPECT_EQ(Code(latency, "final.0007"), kDenied);
  EXPECT_EQ(Code(teacher, "final.0007"), kDenied);

  for (const TaskRecord& t : {teacher, supernet, evaluate, finalize, test_eval}) {
    EXPECT_EQ(Code(t, "dataset_card"), kOk) << t.task_id;
  }
  EXPECT_EQ(Code(latency, "dataset_card"), kDenied);
  EXPECT_EQ(Code(teacher, "weights.bin"), kDenied);

  const absl::Status refused = CheckTaskProducesArtifact(test_eval, "final.0007");
  EXPECT_EQ(refused.message().rfind("name: ", 0), 0u) << refused;
}

}  // namespace
}  // namespace edgenas
