// ListJobs against a real coordinator: a database holding jobs with ~1 MiB
// specs (more than gRPC's 4 MiB default client limit in all) is listed in
// full by `edgenas jobs` and by paging the RPC, and bad paging input is
// refused naming the field.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coordinator/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Ctx;
using testing::RunCli;
using ::testing::HasSubstr;

constexpr int kBigJobs = 6;

// Stores kBigJobs finished jobs with ~1 MiB specs, as a coordinator that
// ran them would have left them.
void StoreBigJobs(const std::string& db_path) {
  auto store = Store::Open(db_path);
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < kBigJobs; ++i) {
    v1::Job job;
    job.set_id(absl::StrCat("job-big-", i));
    job.mutable_spec()->set_name(absl::StrCat("big", i));
    job.mutable_spec()->mutable_space()->set_name("nb201");
    job.mutable_spec()->mutable_budget()->set_max_evaluations(10);
    job.mutable_spec()->mutable_dataset()->set_name("image_folder");
    job.mutable_spec()->mutable_dataset()->add_class_names(std::string(1000000, 'c'));
    job.set_state(v1::JOB_DONE);
    job.set_created_unix_ms(1700000000000 + i);
    job.set_updated_unix_ms(1700000000000 + i);
    ASSERT_TRUE((*store)->PutJob(job).ok());
  }
}

TEST(ListJobsIntegrationTest, JobsWithLargeSpecsListCompletelyThroughPages) {
  Cluster cluster;
  StoreBigJobs(cluster.db_path());
  ASSERT_TRUE(cluster.StartCoordinator().ok());

  bool ok = false;
  const std::string out = RunCli(cluster, {"jobs"}, &ok);
  EXPECT_TRUE(ok) << out;
  for (int i = 0; i < kBigJobs; ++i) EXPECT_THAT(out, HasSubstr(absl::StrCat("job-big-", i))) << out;
  EXPECT_THAT(out, HasSubstr("0/10")) << out;  // the budget, from the summary

  // The RPC in the default (full) view: pages under the 4 MiB limit, every
  // job once with its whole spec.
  v1::ListJobsRequest request;
  int listed = 0, pages = 0;
  do {
    v1::ListJobsResponse page;
    const grpc::Status status = cluster.search()->ListJobs(Ctx().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++pages;
    for (const v1::Job& job : page.jobs()) {
      EXPECT_EQ(job.id(), absl::StrCat("job-big-", listed));
      EXPECT_EQ(job.spec().dataset().class_names(0).size(), 1000000u);
      ++listed;
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty() && pages < 20);
  EXPECT_EQ(listed, kBigJobs);
  EXPECT_GE(pages, 3);

  v1::ListJobsRequest bad_size;
  bad_size.set_page_size(5000);
  v1::ListJobsResponse unused;
  grpc::Status refused = cluster.search()->ListJobs(Ctx().get(), bad_size, &unused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("page_size"));
  v1::ListJobsRequest bad_token;
  bad_token.set_page_token("bm90IGEgdG9rZW4");
  refused = cluster.search()->ListJobs(Ctx().get(), bad_token, &unused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("page_token"));
}

}  // namespace
}  // namespace edgenas
