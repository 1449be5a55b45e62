// The job's dataset card artifact (worker/accuracy_task.h): the first task
// stores it as JSON; a task that reads other content fails job-fatal.
#include <map>
#include <string>

#include "common/artifact_names.h"
#include "common/job_fatal.h"
#include "edgenas/v1/job.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/worker/memory_artifacts.h"
#include "worker/accuracy_task.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

DatasetCardInfo Card(const std::string& fingerprint) {
  DatasetCardInfo card;
  card.dataset = "image_folder";
  card.path = "/data/pets";
  card.fingerprint = fingerprint;
  card.class_names = {"cat", "dog"};
  card.channels = 3;
  card.image_size = 32;
  card.mean = {0.5, 0.4, 0.3};
  card.std = {0.2, 0.2, 0.2};
  card.train_examples = 80;
  return card;
}

// Missing: stored as v1::DatasetCard JSON. Same content: accepted. Other
// content: FAILED_PRECONDITION, job-fatal, saying the dataset changed.
TEST(DatasetCard, StoredFirstThenChecked) {
  testing::MemoryArtifacts store;
  const ArtifactAccess access = store.Access();
  std::map<std::string, std::string>& blobs = store.blobs;
  ASSERT_TRUE(CheckDatasetCard(access, "job-c", Card("aaaa1111")).ok());
  const std::string key = std::string("job-c/") + kArtifactDatasetCard;
  ASSERT_EQ(blobs.count(key), 1u);
  v1::DatasetCard stored;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(blobs[key], &stored).ok());
  EXPECT_EQ(stored.fingerprint(), "aaaa1111");
  EXPECT_EQ(stored.class_names_size(), 2);
  EXPECT_EQ(stored.train_examples(), 80);

  EXPECT_TRUE(CheckDatasetCard(access, "job-c", Card("aaaa1111")).ok());
  const absl::Status changed = CheckDatasetCard(access, "job-c", Card("bbbb2222"));
  EXPECT_EQ(changed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsJobFatal(changed));
  EXPECT_THAT(std::string(changed.message()), HasSubstr("dataset changed since the job started"));
}

// Two tasks racing: this one found no card, but another task set one before
// this one's upload, which the coordinator refuses (a ref is set once:
// FAILED_PRECONDITION). The stored card is compared instead of failing the
// task: same fingerprint accepted, another one job-fatal.
TEST(DatasetCard, CardSetByAnotherTaskMeanwhileIsComparedInstead) {
  testing::MemoryArtifacts store;
  ArtifactAccess access = store.Access();
  const auto download = access.download;
  bool missing_once = true;
  access.download = [&](const std::string& job,
                        const std::string& name) -> absl::StatusOr<std::string> {
    if (missing_once) {
      missing_once = false;
      return absl::NotFoundError("not yet");
    }
    return download(job, name);
  };
  access.upload = [](const std::string&, const std::string&, const std::string&) {
    return absl::FailedPreconditionError(
        "name: artifact job-r/dataset_card was set by task job-r-0001, which is still running");
  };
  store.blobs[std::string("job-r/") + kArtifactDatasetCard] = R"({"fingerprint": "dddd4444"})";
  EXPECT_TRUE(CheckDatasetCard(access, "job-r", Card("dddd4444")).ok());

  missing_once = true;
  const absl::Status changed = CheckDatasetCard(access, "job-r", Card("eeee5555"));
  EXPECT_EQ(changed.code(), absl::StatusCode::kFailedPrecondition) << changed;
  EXPECT_TRUE(IsJobFatal(changed)) << changed;
}

}  // namespace
}  // namespace edgenas
