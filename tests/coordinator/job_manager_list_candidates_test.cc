// JobManager::ListCandidates over real SQLite with a fake clock: pages of a
// live job from memory, of an ended job from the store (also after a
// restart), filters, and refusals.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class ListCandidatesTest : public JobManagerTest {
 protected:
  // Every page of `request`, checking that each page but the last is full.
  std::vector<v1::Candidate> ListAll(v1::ListCandidatesRequest request, int* total = nullptr) {
    std::vector<v1::Candidate> out;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = manager_->ListCandidates(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      if (total != nullptr) *total = page->total();
      for (const v1::Candidate& c : page->candidates()) out.push_back(c);
      if (page->next_page_token().empty()) return out;
      EXPECT_EQ(page->candidates_size(), request.page_size());
      request.set_page_token(page->next_page_token());
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }
  static v1::ListCandidatesRequest Request(const std::string& job_id, int page_size) {
    v1::ListCandidatesRequest r;
    r.set_job_id(job_id);
    r.set_page_size(page_size);
    return r;
  }
  static std::vector<int> Sequences(const std::vector<v1::Candidate>& candidates) {
    std::vector<int> out;
    for (const v1::Candidate& c : candidates) out.push_back(c.sequence());
    return out;
  }
};

// A live job's candidates come from memory in sequence order, a page at a
// time, exactly as GetCandidate shows them.
TEST_F(ListCandidatesTest, PagesLiveJobInSequenceOrder) {
  v1::JobSpec spec = TinySpec(8);
  spec.set_parallelism(3);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  int total = 0;
  const std::vector<v1::Candidate> all = ListAll(Request(job->id(), 2), &total);
  EXPECT_EQ(Sequences(all), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(total, 3);
  for (const v1::Candidate& c : all) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_PENDING);
    auto same = manager_->GetCandidate(job->id(), c.id());
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->SerializeAsString(), c.SerializeAsString());
  }
}

// An ended job's candidates are read from the store with their metrics,
// before and after a restart (when only its record is kept in memory).
TEST_F(ListCandidatesTest, ReadsEndedJobFromTheStore) {
  auto job = manager_->SubmitJob(TinySpec(5));
  ASSERT_TRUE(job.ok()) << job.status();
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  ASSERT_EQ(manager_->GetJob(job->id())->state(), v1::JOB_DONE);
  for (int round = 0; round < 2; ++round) {
    int total = 0;
    const std::vector<v1::Candidate> all = ListAll(Request(job->id(), 2), &total);
    EXPECT_EQ(Sequences(all), (std::vector<int>{0, 1, 2, 3, 4})) << "round " << round;
    EXPECT_EQ(total, 5);
    for (const v1::Candidate& c : all) {
      EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.id();
      EXPECT_EQ(c.job_id(), job->id());
      // The search's metrics, plus test_accuracy (fidelity -1) for a front
      // member tested at the end of the job.
      std::set<std::string> names;
      for (const v1::Metric& m : c.metrics()) {
        if (m.name() == kMetricTestAccuracy) {
          EXPECT_EQ(m.fidelity(), -1) << c.id();
          continue;
        }
        names.insert(m.name());
      }
      EXPECT_EQ(names, (std::set<std::string>{kMetricAccuracy, kMetricLatencyMs, kMetricParams}))
          << c.id();
      EXPECT_THAT(c.notes(), ::testing::Contains(HasSubstr("energy_mj unavailable")));
    }
    Open();  // restart: the job is now an ended record only
  }
}

// State and fidelity filters on a cancelled job with done and failed
// candidates; total counts the matches.
TEST_F(ListCandidatesTest, FiltersByStateAndFidelity) {
  v1::JobSpec spec = TinySpec(6);
  spec.set_parallelism(3);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  // Finish candidate 0 only: complete its tasks as they are leased.
  for (int guard = 0; guard < 10; ++guard) {
    auto c0 = manager_->GetCandidate(job->id(), job->id() + "-0000");
    ASSERT_TRUE(c0.ok()) << c0.status();
    if (c0->state() != v1::CANDIDATE_PENDING) break;
    for (const std::string& ex : {w, a}) {
      for (const v1::Task& t : LeaseNow(ex, /*max_tasks=*/16)) {
        if (t.candidate_id() == c0->id()) ASSERT_TRUE(CompleteTask(ex, t).ok());
      }
    }
  }
  ASSERT_TRUE(manager_->CancelJob(job->id()).ok());

  const std::vector<v1::Candidate> all = ListAll(Request(job->id(), 1000));
  int done = 0, failed = 0, measured = 0;
  for (const v1::Candidate& c : all) {
    done += c.state() == v1::CANDIDATE_DONE;
    failed += c.state() == v1::CANDIDATE_FAILED;
    measured += c.metrics_size() > 0;
  }
  ASSERT_GE(done, 1);
  ASSERT_GE(failed, 1);

  v1::ListCandidatesRequest only_failed = Request(job->id(), 1);
  only_failed.add_states(v1::CANDIDATE_FAILED);
  int total = 0;
  const std::vector<v1::Candidate> failed_list = ListAll(only_failed, &total);
  EXPECT_EQ(static_cast<int>(failed_list.size()), failed);
  EXPECT_EQ(total, failed);
  for (const v1::Candidate& c : failed_list) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_FAILED);
    EXPECT_THAT(c.failure_reason(), HasSubstr("cancelled"));
  }

  v1::ListCandidatesRequest rung0 = Request(job->id(), 1);
  rung0.set_fidelity(0);
  EXPECT_EQ(static_cast<int>(ListAll(rung0, &total).size()), measured);
  EXPECT_EQ(total, measured);
  v1::ListCandidatesRequest finalists = Request(job->id(), 10);
  finalists.set_fidelity(-1);
  EXPECT_TRUE(ListAll(finalists, &total).empty());
  EXPECT_EQ(total, 0);
}

// Unknown jobs are NOT_FOUND; bad sizes and tokens are refused naming the
// field, also a token of another job.
TEST_F(ListCandidatesTest, RefusesUnknownJobAndBadPaging) {
  auto job = manager_->SubmitJob(TinySpec(4));
  ASSERT_TRUE(job.ok());
  auto other = manager_->SubmitJob(TinySpec(4));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(manager_->ListCandidates(Request("job-nope", 10)).status().code(),
            absl::StatusCode::kNotFound);
  auto too_big = manager_->ListCandidates(Request(job->id(), 1001));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.status().message(), HasSubstr("page_size"));
  auto first = manager_->ListCandidates(Request(job->id(), 1));
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  v1::ListCandidatesRequest foreign = Request(other->id(), 1);
  foreign.set_page_token(first->next_page_token());
  auto refused = manager_->ListCandidates(foreign);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("page_token"));
  v1::ListCandidatesRequest garbage = Request(job->id(), 1);
  garbage.set_page_token("%%%");
  EXPECT_THAT(manager_->ListCandidates(garbage).status().message(), HasSubstr("page_token"));
}

}  // namespace
}  // namespace edgenas
