// Mutual TLS and bearer tokens over real gRPC on loopback: TaskService and
// SearchService behind CoordinatorAuth, with certificates made by the
// openssl tool at test time. Checks that gRPC hands the certificate's
// names (URI subjectAltNames and the common name) to the policy, and that
// every TaskService call is held to the certificate that registered.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/grpc_bearer.h"
#include "common/grpc_tls.h"
#include "coordinator/auth/auth_policy.h"
#include "coordinator/job_manager.h"
#include "coordinator/rpc/search_service_impl.h"
#include "coordinator/rpc/task_service_impl.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_pki.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using testing::TestPki;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef";

class AuthGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestPki::OpensslAvailable()) GTEST_SKIP() << "the openssl tool is not installed";
    dir_ = (std::filesystem::temp_directory_path() /
            ("auth_grpc_test_" + std::to_string(::getpid())))
               .string();
    std::filesystem::create_directories(dir_);
    TestPki pki(dir_);
    ASSERT_TRUE(pki.MakeCa("ca").ok());
    ASSERT_TRUE(pki.MakeCa("rogue-ca").ok());
    ASSERT_TRUE(pki.MakeLeaf("server", "ca", "coordinator", {"IP:127.0.0.1", "DNS:localhost"}).ok());
    // The URI convention for one agent, the common-name one for the other.
    ASSERT_TRUE(pki.MakeLeaf("rpi", "ca", "board-17", {"URI:edgenas://agent/rpi5"}).ok());
    ASSERT_TRUE(pki.MakeLeaf("jetson", "ca", "agent:jetson", {}).ok());
    ASSERT_TRUE(pki.MakeLeaf("worker", "ca", "gpu-host", {"URI:edgenas://worker"}).ok());
    ASSERT_TRUE(pki.MakeLeaf("rogue", "rogue-ca", "agent:rpi5", {"URI:edgenas://agent/rpi5"}).ok());
    pki_ = std::make_unique<TestPki>(pki);

    auto store = Store::Open(dir_ + "/edgenas.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    JobManagerOptions options;
    options.store = store_.get();
    auto manager = JobManager::Create(options);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
    AuthOptions auth_options;
    auth_options.mutual_tls = true;
    auto tokens = TokenSet::Parse(absl::StrCat("alice:", kToken), "tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    auth_options.search_tokens = *tokens;
    auth_ = std::make_unique<CoordinatorAuth>(std::move(auth_options));
    tasks_ = std::make_unique<TaskServiceImpl>(manager_.get(), auth_.get());
    search_ = std::make_unique<SearchServiceImpl>(manager_.get(), auth_.get());
    auto credentials =
        ServerCredentials(pki_->Cert("server"), pki_->Key("server"), pki_->Cert("ca"));
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port_);
    builder.RegisterService(tasks_.get());
    builder.RegisterService(search_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (manager_) manager_->Shutdown();
    if (search_) search_->StopStreams();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
    manager_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A channel presenting certificate `name` ("" for none), trusting `ca`.
  std::shared_ptr<grpc::Channel> Channel(const std::string& name, const std::string& token = "",
                                         const std::string& ca = "ca") {
    ClientTlsFiles files{pki_->Cert(ca), name.empty() ? "" : pki_->Cert(name),
                         name.empty() ? "" : pki_->Key(name)};
    auto credentials = ClientCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return CreateChannelWithToken("127.0.0.1:" + std::to_string(port_), *credentials, token);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  static grpc::Status Register(const std::shared_ptr<grpc::Channel>& channel, v1::ExecutorKind kind,
                               const std::string& device_class, std::string* id = nullptr) {
    v1::RegisterRequest req;
    req.set_kind(kind);
    req.set_name("test");
    req.set_device_class(device_class);
    v1::RegisterResponse resp;
    grpc::Status s = v1::TaskService::NewStub(channel)->Register(Ctx().get(), req, &resp);
    if (id != nullptr) *id = resp.executor_id();
    return s;
  }

  std::string dir_;
  std::unique_ptr<TestPki> pki_;
  int port_ = 0;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<CoordinatorAuth> auth_;
  std::unique_ptr<TaskServiceImpl> tasks_;
  std::unique_ptr<SearchServiceImpl> search_;
  std::unique_ptr<grpc::Server> server_;
};

// Both naming conventions reach the policy through gRPC's auth context; a
// certificate registers only as what it names.
TEST_F(AuthGrpcTest, RegisterFollowsTheCertificatesRole) {
  auto rpi = Channel("rpi");
  auto jetson = Channel("jetson");
  auto worker = Channel("worker");
  EXPECT_TRUE(Register(rpi, v1::DEVICE_AGENT, "rpi5").ok());
  EXPECT_TRUE(Register(jetson, v1::DEVICE_AGENT, "jetson").ok());
  EXPECT_TRUE(Register(worker, v1::WORKER, "").ok());

  grpc::Status wrong_class = Register(rpi, v1::DEVICE_AGENT, "jetson");
  EXPECT_EQ(wrong_class.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(wrong_class.error_message(), HasSubstr("grants agent for rpi5"));
  EXPECT_THAT(wrong_class.error_message(), HasSubstr("CN=board-17"));
  EXPECT_EQ(Register(jetson, v1::WORKER, "").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Register(worker, v1::DEVICE_AGENT, "rpi5").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  grpc::Status no_cert = Register(Channel(""), v1::WORKER, "");
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(no_cert.error_message(), HasSubstr("requires a client certificate"));
  // Another CA's certificate fails the handshake: no call gets through.
  grpc::Status rogue = Register(Channel("rogue"), v1::DEVICE_AGENT, "rpi5");
  EXPECT_EQ(rogue.error_code(), grpc::StatusCode::UNAVAILABLE) << rogue.error_message();
}

// Lease, Heartbeat, Complete and Fail are held to the registering
// certificate, even for another agent of a class allowed to register.
TEST_F(AuthGrpcTest, OnlyTheRegisteringCertificateActsForAnExecutorId) {
  auto rpi = Channel("rpi");
  std::string id;
  ASSERT_TRUE(Register(rpi, v1::DEVICE_AGENT, "rpi5", &id).ok());
  auto own = v1::TaskService::NewStub(rpi);
  v1::LeaseRequest lease;
  lease.set_executor_id(id);
  lease.set_wait_ms(0);
  v1::LeaseResponse leased;
  EXPECT_TRUE(own->Lease(Ctx().get(), lease, &leased).ok());

  for (const char* other : {"jetson", "worker"}) {
    auto stub = v1::TaskService::NewStub(Channel(other));
    grpc::Status s = stub->Lease(Ctx().get(), lease, &leased);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other;
    EXPECT_THAT(s.error_message(), HasSubstr("belongs to the certificate CN=board-17"));
    v1::HeartbeatRequest heartbeat;
    heartbeat.set_executor_id(id);
    v1::HeartbeatResponse beat;
    EXPECT_EQ(stub->Heartbeat(Ctx().get(), heartbeat, &beat).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::CompleteRequest complete;
    complete.set_executor_id(id);
    complete.set_task_id("t");
    v1::CompleteResponse completed;
    EXPECT_EQ(stub->Complete(Ctx().get(), complete, &completed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::FailRequest fail;
    fail.set_executor_id(id);
    fail.set_task_id("t");
    v1::FailResponse failed;
    EXPECT_EQ(stub->Fail(Ctx().get(), fail, &failed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  auto anonymous = v1::TaskService::NewStub(Channel(""));
  EXPECT_EQ(anonymous->Lease(Ctx().get(), lease, &leased).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// SearchService wants the bearer token, over a channel with or without a
// client certificate; the refusal never echoes a token.
TEST_F(AuthGrpcTest, SearchServiceNeedsTheBearerToken) {
  v1::ListJobsResponse jobs;
  auto anonymous = v1::SearchService::NewStub(Channel(""));
  grpc::Status missing = anonymous->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("Bearer"));
  const std::string wrong_token = "fedcba9876543210fedcba9876543210";
  auto wrong = v1::SearchService::NewStub(Channel("worker", wrong_token));
  grpc::Status refused = wrong->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(refused.error_message(), ::testing::Not(HasSubstr(wrong_token)));
  // A watch is refused before it streams anything.
  v1::WatchJobRequest watch;
  watch.set_job_id("job-1");
  auto ctx = Ctx();
  auto reader = anonymous->WatchJob(ctx.get(), watch);
  v1::JobEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  auto alice = v1::SearchService::NewStub(Channel("", kToken));
  EXPECT_TRUE(alice->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs).ok());
}

}  // namespace
}  // namespace edgenas
