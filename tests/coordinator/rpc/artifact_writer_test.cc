// Artifacts bound to their task (issue 23, finding 2): the ArtifactService
// over real gRPC with the real JobManager deciding who may write. A stale
// lease holder cannot replace what the current holder wrote, an executor
// without a task of the job, an unknown or ended job and a task that does
// not produce the name are refused, a ref set by a finished task is
// immutable, quotas and the disk reserve are RESOURCE_EXHAUSTED, and
// identical content is one blob whose ref an identical upload leaves alone.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/artifact_names.h"
#include "common/sha256.h"
#include "coordinator/artifacts/artifact_store.h"
#include "coordinator/evaluators/proxy_evaluator.h"
#include "coordinator/rpc/artifact_service_impl.h"
#include "executor/artifact_client.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr char kCapability[] = "accuracy:flash_distill";

bool Mentions(const absl::Status& status, const std::string& text) {
  return status.message().find(text) != absl::string_view::npos;
}

class ArtifactWriterTest : public JobManagerTest {
 protected:
  void SetUp() override {
    evaluator_override_ = [](const v1::JobSpec&) {
      return std::make_unique<ProxyEvaluator>("flash_distill");
    };
    JobManagerTest::SetUp();
    root_ = db_path_ + ".artifacts";
    fs::remove_all(root_);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      server_.reset();
    }
    fs::remove_all(root_);
    JobManagerTest::TearDown();
  }
  // Starts the service over a store with these limits (no disk reserve
  // unless asked: the test machine's free space is not the test's business)
  // whose writers the manager checks.
  void Serve(int64_t max_job_bytes = int64_t{1} << 20, int64_t max_size_bytes = int64_t{1} << 20,
             int64_t disk_reserve_bytes = 0) {
    ArtifactStoreOptions options;
    options.root = root_;
    options.clock = &clock_;
    options.max_job_bytes = max_job_bytes;
    options.max_size_bytes = max_size_bytes;
    options.disk_reserve_bytes = disk_reserve_bytes;
    auto store = ArtifactStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    service_ = std::make_unique<ArtifactServiceImpl>(
        store_.get(), [this](const ArtifactWriteClaim& claim) {
          return manager_->CheckArtifactWriter(claim);
        });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<ArtifactClient>("127.0.0.1:" + std::to_string(port));
  }
  // A flash_distill job (PREPARING, its teacher task queued) and two workers.
  std::string StartJob() {
    auto job = manager_->SubmitJob(TinySpec(2));
    EXPECT_TRUE(job.ok()) << job.status();
    w1_ = RegisterExecutor(v1::WORKER, {kCapability});
    w2_ = RegisterExecutor(v1::WORKER, {kCapability});
    return job->id();
  }
  v1::Task LeaseOne(const std::string& executor) {
    std::vector<v1::Task> tasks = LeaseNow(executor);
    EXPECT_EQ(tasks.size(), 1u);
    return tasks.empty() ? v1::Task() : tasks[0];
  }
  absl::StatusOr<ArtifactInfo> Upload(const std::string& executor, const v1::Task& task,
                                      const std::string& name, const std::string& bytes) {
    return client_->Upload(task.job_id(), name, bytes,
                           ArtifactUploader{executor, task.task_id(), task.lease_token()});
  }
  std::string Stored(const std::string& job, const std::string& name) {
    absl::StatusOr<std::string> bytes = client_->Download(job, name, 1 << 20);
    return bytes.ok() ? *bytes : bytes.status().ToString();
  }
  // Lets `task`'s lease run out and puts it back in the queue.
  void ExpireLease(const v1::Task& task) {
    clock_.Set(task.lease_expiry_unix_ms() + 1);
    manager_->Tick();
  }

  std::string root_;
  std::string w1_, w2_;
  std::unique_ptr<ArtifactStore> store_;
  std::unique_ptr<ArtifactServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ArtifactClient> client_;
};

// The finding: w1's teacher lease expires (cut off), w2 retrains and
// finishes the teacher, then w1 comes back and uploads its own. Refused
// (before and after w2 finished); the teacher stays w2's.
TEST_F(ArtifactWriterTest, StaleLeaseHolderCannotReplaceTheTeacher) {
  Serve();
  const std::string job = StartJob();
  const v1::Task stale = LeaseOne(w1_);
  ASSERT_EQ(stale.operation(), "train_teacher");
  ExpireLease(stale);
  const v1::Task current = LeaseOne(w2_);
  ASSERT_EQ(current.task_id(), stale.task_id());
  ASSERT_TRUE(Upload(w2_, current, kArtifactTeacher, "teacher of w2").ok());

  absl::Status early = Upload(w1_, stale, kArtifactTeacher, "teacher of w1").status();
  EXPECT_EQ(early.code(), absl::StatusCode::kPermissionDenied) << early;
  EXPECT_TRUE(Mentions(early, "lease_token")) << early;
  EXPECT_FALSE(Mentions(early, w2_)) << "names the other executor: " << early;

  ASSERT_TRUE(CompleteTask(w2_, current).ok());
  absl::Status late = Upload(w1_, stale, kArtifactTeacher, "teacher of w1").status();
  EXPECT_EQ(late.code(), absl::StatusCode::kPermissionDenied) << late;
  EXPECT_EQ(Stored(job, kArtifactTeacher), "teacher of w2");
}

// A retry's holder may replace what an earlier attempt of the same task
// uploaded before its lease expired (that output never counted).
TEST_F(ArtifactWriterTest, RetryOfTheSameTaskReplacesAnEarlierAttempt) {
  Serve();
  const std::string job = StartJob();
  const v1::Task first = LeaseOne(w1_);
  ASSERT_TRUE(Upload(w1_, first, kArtifactTeacher, "attempt 1").ok());
  ExpireLease(first);
  const v1::Task retry = LeaseOne(w2_);
  ASSERT_EQ(retry.task_id(), first.task_id());
  ASSERT_TRUE(Upload(w2_, retry, kArtifactTeacher, "attempt 2").ok());
  EXPECT_EQ(Stored(job, kArtifactTeacher), "attempt 2");
}

// An executor that holds no task of the job cannot write its artifacts,
// whether it names another executor's task or makes one up.
TEST_F(ArtifactWriterTest, ExecutorHoldingNoTaskOfTheJobIsRefused) {
  Serve();
  const std::string job = StartJob();
  const v1::Task held = LeaseOne(w1_);
  absl::Status borrowed = Upload(w2_, held, kArtifactTeacher, "not mine").status();
  EXPECT_EQ(borrowed.code(), absl::StatusCode::kPermissionDenied) << borrowed;
  EXPECT_TRUE(Mentions(borrowed, "lease_token")) << borrowed;
  EXPECT_FALSE(Mentions(borrowed, w1_)) << "names the holder: " << borrowed;

  v1::Task made_up = held;
  made_up.set_task_id(job + ".no_such_task");
  absl::Status unknown = Upload(w2_, made_up, kArtifactTeacher, "not mine").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kPermissionDenied) << unknown;
  EXPECT_TRUE(Mentions(unknown, "task_id")) << unknown;

  absl::Status missing =
      client_->Upload(job, kArtifactTeacher, "x", ArtifactUploader{w2_, "", ""}).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument) << missing;
  EXPECT_TRUE(Mentions(missing, "task_id")) << missing;
  EXPECT_EQ(client_->Stat(job, kArtifactTeacher).status().code(), absl::StatusCode::kNotFound);
}

// No such job: NOT_FOUND naming job_id. An ended job: FAILED_PRECONDITION.
TEST_F(ArtifactWriterTest, UnknownOrEndedJobIsRefused) {
  Serve();
  const std::string job = StartJob();
  v1::Task held = LeaseOne(w1_);
  v1::Task elsewhere = held;
  elsewhere.set_job_id("job-that-never-was");
  absl::Status unknown = Upload(w1_, elsewhere, kArtifactTeacher, "x").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound) << unknown;
  EXPECT_TRUE(Mentions(unknown, "job_id")) << unknown;

  ASSERT_TRUE(manager_->CancelJob(job).ok());
  absl::Status ended = Upload(w1_, held, kArtifactTeacher, "x").status();
  EXPECT_EQ(ended.code(), absl::StatusCode::kFailedPrecondition) << ended;
  EXPECT_TRUE(Mentions(ended, "job_id")) << ended;
  EXPECT_FALSE(fs::exists(fs::path(root_) / "refs" / "job-that-never-was"));
}

// The teacher task writes the teacher, not the supernet nor a candidate's
// weights.
TEST_F(ArtifactWriterTest, TaskThatDoesNotProduceTheNameIsRefused) {
  Serve();
  const std::string job = StartJob();
  const v1::Task teacher = LeaseOne(w1_);
  for (const std::string name : {std::string(kArtifactSupernet), std::string("final.0001"),
                                 std::string("anything")}) {
    absl::Status refused = Upload(w1_, teacher, name, "x").status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << name << ": " << refused;
    EXPECT_TRUE(Mentions(refused, "name")) << refused;
  }
}

// The dataset card set by the teacher task, once that task finished, is
// immutable: a candidate task cannot replace it; the same content is
// accepted and changes nothing.
TEST_F(ArtifactWriterTest, RefSetByFinishedTaskCannotBeReplaced) {
  Serve();
  const std::string job = StartJob();
  const v1::Task teacher = LeaseOne(w1_);
  auto card = Upload(w1_, teacher, kArtifactDatasetCard, "card of the teacher");
  ASSERT_TRUE(card.ok()) << card.status();
  ASSERT_TRUE(CompleteTask(w1_, teacher).ok());
  // The finished task's own holder cannot either: its lease is over.
  EXPECT_EQ(Upload(w1_, teacher, kArtifactDatasetCard, "late").status().code(),
            absl::StatusCode::kPermissionDenied);

  const v1::Task candidate = LeaseOne(w2_);
  ASSERT_FALSE(candidate.candidate_id().empty());
  absl::Status replaced = Upload(w2_, candidate, kArtifactDatasetCard, "another card").status();
  EXPECT_EQ(replaced.code(), absl::StatusCode::kFailedPrecondition) << replaced;
  EXPECT_TRUE(Mentions(replaced, "name")) << replaced;
  EXPECT_TRUE(Mentions(replaced, "immutable")) << replaced;
  EXPECT_EQ(Stored(job, kArtifactDatasetCard), "card of the teacher");

  EXPECT_TRUE(Upload(w2_, candidate, kArtifactDatasetCard, "card of the teacher").ok());
  // ...and the candidate writes its own weights.
  EXPECT_TRUE(Upload(w2_, candidate,
                     CandidateWeightsArtifactName(job, candidate.candidate_id()), "weights")
                  .ok());
}

// Over the job's quota, over the per-upload cap, or into the disk reserve:
// RESOURCE_EXHAUSTED naming which, nothing stored.
TEST_F(ArtifactWriterTest, QuotasAreResourceExhausted) {
  Serve(/*max_job_bytes=*/1000, /*max_size_bytes=*/800);
  const std::string job = StartJob();
  const v1::Task teacher = LeaseOne(w1_);
  ASSERT_TRUE(Upload(w1_, teacher, kArtifactTeacher, std::string(600, 't')).ok());
  absl::Status quota =
      Upload(w1_, teacher, kArtifactDatasetCard, std::string(600, 'c')).status();
  EXPECT_EQ(quota.code(), absl::StatusCode::kResourceExhausted) << quota;
  EXPECT_TRUE(Mentions(quota, "job quota")) << quota;
  // Replacing the teacher frees its own bytes first: 700 fits.
  EXPECT_TRUE(Upload(w1_, teacher, kArtifactTeacher, std::string(700, 'u')).ok());
  absl::Status cap = Upload(w1_, teacher, kArtifactTeacher, std::string(900, 'v')).status();
  EXPECT_EQ(cap.code(), absl::StatusCode::kResourceExhausted) << cap;
  EXPECT_TRUE(Mentions(cap, "size_bytes")) << cap;
  EXPECT_EQ(Stored(job, kArtifactTeacher), std::string(700, 'u'));
}

TEST_F(ArtifactWriterTest, DiskReserveIsResourceExhausted) {
  // More than any disk has free.
  Serve(int64_t{1} << 20, int64_t{1} << 20, /*disk_reserve_bytes=*/int64_t{1} << 60);
  const std::string job = StartJob();
  const v1::Task teacher = LeaseOne(w1_);
  absl::Status full = Upload(w1_, teacher, kArtifactTeacher, "x").status();
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_TRUE(Mentions(full, "disk reserve")) << full;
  EXPECT_EQ(client_->Stat(job, kArtifactTeacher).status().code(), absl::StatusCode::kNotFound);
}

// Content addressing: the same bytes under two names are one blob, and an
// identical re-upload leaves the ref as it was (its producer and time).
TEST_F(ArtifactWriterTest, IdenticalContentIsOneBlobAndIdenticalReuploadChangesNothing) {
  Serve();
  const std::string job = StartJob();
  const v1::Task teacher = LeaseOne(w1_);
  auto first = Upload(w1_, teacher, kArtifactTeacher, "same bytes");
  ASSERT_TRUE(first.ok()) << first.status();
  auto card = Upload(w1_, teacher, kArtifactDatasetCard, "same bytes");
  ASSERT_TRUE(card.ok()) << card.status();
  int blobs = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(root_) / "blobs")) {
    blobs += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(blobs, 1);

  auto before = store_->Lookup(job, kArtifactTeacher);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->task_id, teacher.task_id());
  clock_.Advance(1000);
  ASSERT_TRUE(Upload(w1_, teacher, kArtifactTeacher, "same bytes").ok());
  auto after = store_->Lookup(job, kArtifactTeacher);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->created_unix_ms, before->created_unix_ms);
  EXPECT_EQ(after->sha256, Sha256Hex("same bytes"));
}

}  // namespace
}  // namespace edgenas
