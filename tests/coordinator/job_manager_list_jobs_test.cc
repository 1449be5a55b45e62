// JobManager::ListJobs and GetJob over real SQLite with a fake clock: every
// job listed exactly once through pages that stay under the byte cap even
// with ~1 MiB specs, the summary view, refusals naming the field, and
// ended jobs read from the store rather than kept in memory.
#include <set>
#include <string>
#include <vector>

#include "coordinator/job_listing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class ListJobsTest : public JobManagerTest {
 protected:
  // Every page of `request`; checks each page's size on the wire.
  std::vector<v1::Job> ListAll(v1::ListJobsRequest request, int* pages = nullptr) {
    std::vector<v1::Job> out;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = manager_->ListJobs(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      if (pages != nullptr) ++*pages;
      // Well under gRPC's default 4 MiB receive limit.
      EXPECT_LE(page->ByteSizeLong(), kMaxJobPageBytes + (size_t{1} << 20) + 4096);
      EXPECT_GT(page->jobs_size(), 0);
      for (const v1::Job& j : page->jobs()) out.push_back(j);
      if (page->next_page_token().empty()) return out;
      request.set_page_token(page->next_page_token());
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }
  // Stores an ended job whose spec holds about `spec_bytes` bytes (written
  // straight to the store, as an older coordinator would have left it).
  void PutEndedJob(const std::string& id, int64_t created_ms, size_t spec_bytes) {
    v1::Job job;
    job.set_id(id);
    *job.mutable_spec() = TinySpec();
    job.mutable_spec()->set_name("big-" + id);
    job.mutable_spec()->mutable_dataset()->add_class_names(std::string(spec_bytes, 'c'));
    job.set_state(v1::JOB_DONE);
    job.set_created_unix_ms(created_ms);
    job.set_updated_unix_ms(created_ms);
    ASSERT_TRUE(store_->PutJob(job).ok());
  }
};

// Seven ended jobs with ~1 MiB specs and three live ones: listed completely,
// each once, oldest first, with no page over the byte cap; full specs come
// back in the default view.
TEST_F(ListJobsTest, ListsEveryJobWithLargeSpecsThroughBoundedPages) {
  for (int i = 0; i < 7; ++i) PutEndedJob("job-big-" + std::to_string(i), 1000 + i, 1000000);
  Open();  // the ended jobs are loaded as a restarted coordinator finds them
  std::vector<std::string> live;
  for (int i = 0; i < 3; ++i) {
    auto job = manager_->SubmitJob(TinySpec());
    ASSERT_TRUE(job.ok()) << job.status();
    live.push_back(job->id());
  }
  int pages = 0;
  const std::vector<v1::Job> all = ListAll(v1::ListJobsRequest(), &pages);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_GE(pages, 4);  // at most two 1 MiB specs fit in 2 MiB
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].id());
    if (i > 0) {
      EXPECT_LE(all[i - 1].created_unix_ms(), all[i].created_unix_ms());
    }
  }
  EXPECT_EQ(ids.size(), 10u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(all[i].id(), "job-big-" + std::to_string(i));
    ASSERT_EQ(all[i].spec().dataset().class_names_size(), 1);
    EXPECT_EQ(all[i].spec().dataset().class_names(0).size(), 1000000u);
  }
  for (const std::string& id : live) EXPECT_EQ(ids.count(id), 1u) << id;
  EXPECT_EQ(all[7].state(), v1::JOB_SEARCHING);
}

// A page never holds more than page_size jobs; page_size may change
// between pages.
TEST_F(ListJobsTest, HonoursPageSize) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(manager_->SubmitJob(TinySpec()).ok());
  v1::ListJobsRequest request;
  request.set_page_size(2);
  auto first = manager_->ListJobs(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->jobs_size(), 2);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  request.set_page_size(3);
  auto second = manager_->ListJobs(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->jobs_size(), 3);
  EXPECT_TRUE(second->next_page_token().empty());
  EXPECT_NE(first->jobs(1).id(), second->jobs(0).id());
}

// The summary view keeps what a listing shows (name, budget) and leaves the
// rest of the spec out, so many large jobs fit in one page.
TEST_F(ListJobsTest, SummaryViewLeavesTheSpecOut) {
  for (int i = 0; i < 5; ++i) PutEndedJob("job-big-" + std::to_string(i), 1000 + i, 1000000);
  Open();
  v1::ListJobsRequest request;
  request.set_view(v1::JOB_VIEW_SUMMARY);
  auto page = manager_->ListJobs(request);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs_size(), 5);
  EXPECT_TRUE(page->next_page_token().empty());
  EXPECT_LT(page->ByteSizeLong(), 4096u);
  EXPECT_EQ(page->jobs(0).spec().name(), "big-job-big-0");
  EXPECT_EQ(page->jobs(0).spec().budget().max_evaluations(), 4);
  EXPECT_EQ(page->jobs(0).spec().dataset().class_names_size(), 0);
  EXPECT_EQ(page->jobs(0).state(), v1::JOB_DONE);
}

TEST_F(ListJobsTest, RefusesBadPageSizeAndTokenNamingTheField) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(manager_->SubmitJob(TinySpec()).ok());
  for (int bad : {-1, 1001}) {
    v1::ListJobsRequest request;
    request.set_page_size(bad);
    auto page = manager_->ListJobs(request);
    EXPECT_TRUE(absl::IsInvalidArgument(page.status())) << bad;
    EXPECT_THAT(std::string(page.status().message()), HasSubstr("page_size"));
  }
  v1::ListJobsRequest garbage;
  garbage.set_page_token("not-a-token!");
  auto refused = manager_->ListJobs(garbage);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("page_token"));

  // A token of the summary listing is refused by the full one.
  v1::ListJobsRequest summary;
  summary.set_view(v1::JOB_VIEW_SUMMARY);
  summary.set_page_size(1);
  auto page = manager_->ListJobs(summary);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->next_page_token().empty());
  v1::ListJobsRequest full;
  full.set_page_token(page->next_page_token());
  auto other_view = manager_->ListJobs(full);
  EXPECT_TRUE(absl::IsInvalidArgument(other_view.status()));
  EXPECT_THAT(std::string(other_view.status().message()), HasSubstr("page_token"));

  v1::ListJobsRequest unknown_view;
  unknown_view.set_view(static_cast<v1::JobView>(9));
  auto bad_view = manager_->ListJobs(unknown_view);
  EXPECT_TRUE(absl::IsInvalidArgument(bad_view.status()));
  EXPECT_THAT(std::string(bad_view.status().message()), HasSubstr("view"));
}

// A token survives a restart and resumes after the job it names.
TEST_F(ListJobsTest, TokenSurvivesRestart) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(manager_->SubmitJob(TinySpec()).ok());
    clock_.Advance(1000);
  }
  v1::ListJobsRequest request;
  request.set_page_size(3);
  auto first = manager_->ListJobs(request);
  ASSERT_TRUE(first.ok());
  Open();
  request.set_page_token(first->next_page_token());
  auto rest = manager_->ListJobs(request);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->jobs_size(), 1);
  EXPECT_GT(rest->jobs(0).created_unix_ms(), first->jobs(2).created_unix_ms());
}

// An ended job is not kept in memory: GetJob, ListJobs and WatchEvents read
// it from the store (here changed behind the manager's back to show it).
TEST_F(ListJobsTest, EndedJobIsReadFromTheStore) {
  auto job = manager_->SubmitJob(TinySpec());
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(manager_->CancelJob(job->id()).ok());
  auto stored = store_->GetJob(job->id());
  ASSERT_TRUE(stored.ok());
  stored->set_message("rewritten in the store");
  ASSERT_TRUE(store_->UpdateJobRecord(*stored).ok());

  auto got = manager_->GetJob(job->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->message(), "rewritten in the store");
  EXPECT_EQ(got->spec().name(), "tiny");
  EXPECT_EQ(got->state(), v1::JOB_CANCELLED);
  auto page = manager_->ListJobs();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs_size(), 1);
  EXPECT_EQ(page->jobs(0).message(), "rewritten in the store");
  auto events = manager_->WaitForEvents(job->id(), 0, 0);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(events->job_terminal);
  EXPECT_FALSE(events->events.empty());
  EXPECT_TRUE(absl::IsNotFound(manager_->GetJob("job-unknown").status()));
}

}  // namespace
}  // namespace edgenas
