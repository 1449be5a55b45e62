// SearchService.ListCandidates over real gRPC on loopback: paging to the
// end, filters, refusals with their codes and field names, an ended job,
// and the bearer token check every SearchService call has.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coordinator/auth/auth_policy.h"
#include "coordinator/auth/auth_tokens.h"
#include "coordinator/job_manager.h"
#include "coordinator/rpc/search_service_impl.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef";

class SearchServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (std::filesystem::temp_directory_path() /
           ("search_service_test_" + std::to_string(::getpid()) + ".db"))
              .string();
    std::filesystem::remove(db_);
    auto store = Store::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    JobManagerOptions options;
    options.store = store_.get();
    auto manager = JobManager::Create(options);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
    AuthOptions auth_options;
    auto tokens = TokenSet::Parse(absl::StrCat("alice:", kToken), "tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    auth_options.search_tokens = *tokens;
    auth_ = std::make_unique<CoordinatorAuth>(std::move(auth_options));
    search_ = std::make_unique<SearchServiceImpl>(manager_.get(), auth_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(search_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::SearchService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    manager_->Shutdown();
    search_->StopStreams();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
    manager_.reset();
    store_.reset();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
  }
  grpc::Status List(const v1::ListCandidatesRequest& request, v1::ListCandidatesResponse* out,
                    bool with_token = true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (with_token) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    return stub_->ListCandidates(&ctx, request, out);
  }
  std::string Submit(int evaluations, int parallelism) {
    v1::JobSpec spec;
    spec.set_name("rpc");
    spec.mutable_space()->set_name("nb201");
    spec.mutable_strategy()->set_name("random");
    spec.mutable_budget()->set_max_evaluations(evaluations);
    spec.set_parallelism(parallelism);
    spec.set_seed(3);
    auto job = manager_->SubmitJob(spec);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->id() : "";
  }

  std::string db_;
  int port_ = 0;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<CoordinatorAuth> auth_;
  std::unique_ptr<SearchServiceImpl> search_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SearchService::Stub> stub_;
};

// Pages of one candidate each reach every candidate once, in order; after
// cancellation the ended job lists the same candidates, now failed, and the
// state filter selects them.
TEST_F(SearchServiceTest, PagesToTheEndForLiveAndEndedJobs) {
  const std::string job_id = Submit(/*evaluations=*/10, /*parallelism=*/4);
  ASSERT_FALSE(job_id.empty());
  v1::ListCandidatesRequest request;
  request.set_job_id(job_id);
  request.set_page_size(1);
  std::vector<int> sequences;
  for (int guard = 0; guard < 20; ++guard) {
    v1::ListCandidatesResponse page;
    const grpc::Status status = List(request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(page.total(), 4);
    for (const v1::Candidate& c : page.candidates()) sequences.push_back(c.sequence());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(sequences, (std::vector<int>{0, 1, 2, 3}));

  ASSERT_TRUE(manager_->CancelJob(job_id).ok());
  v1::ListCandidatesRequest failed;
  failed.set_job_id(job_id);
  failed.add_states(v1::CANDIDATE_FAILED);
  v1::ListCandidatesResponse page;
  ASSERT_TRUE(List(failed, &page).ok());
  EXPECT_EQ(page.candidates_size(), 4);
  EXPECT_EQ(page.total(), 4);
  EXPECT_EQ(page.next_page_token(), "");
  failed.clear_states();
  failed.add_states(v1::CANDIDATE_DONE);
  ASSERT_TRUE(List(failed, &page).ok());
  EXPECT_EQ(page.candidates_size(), 0);
  EXPECT_EQ(page.total(), 0);
}

// Refusals keep their codes over the wire and name the field.
TEST_F(SearchServiceTest, RefusesUnknownJobBadSizeAndBadToken) {
  const std::string job_id = Submit(/*evaluations=*/4, /*parallelism=*/2);
  v1::ListCandidatesResponse page;
  v1::ListCandidatesRequest unknown;
  unknown.set_job_id("job-nope");
  EXPECT_EQ(List(unknown, &page).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListCandidatesRequest size;
  size.set_job_id(job_id);
  size.set_page_size(5000);
  grpc::Status status = List(size, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));

  v1::ListCandidatesRequest token;
  token.set_job_id(job_id);
  token.set_page_token("bm90IGEgdG9rZW4");
  status = List(token, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));

  v1::ListCandidatesRequest fidelity;
  fidelity.set_job_id(job_id);
  fidelity.set_fidelity(-7);
  EXPECT_THAT(List(fidelity, &page).error_message(), HasSubstr("fidelity"));
}

// Without the bearer token the call is refused like every SearchService call.
TEST_F(SearchServiceTest, NeedsTheBearerToken) {
  const std::string job_id = Submit(/*evaluations=*/4, /*parallelism=*/2);
  v1::ListCandidatesRequest request;
  request.set_job_id(job_id);
  v1::ListCandidatesResponse page;
  EXPECT_EQ(List(request, &page, /*with_token=*/false).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(page.candidates_size(), 0);
  EXPECT_TRUE(List(request, &page).ok());
  EXPECT_EQ(page.candidates_size(), 2);
}

}  // namespace
}  // namespace edgenas
