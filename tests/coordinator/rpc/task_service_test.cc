// TaskService over real gRPC on loopback: parked long polls hold no server
// thread. Found in the first core: with a 64-thread synchronous server,
// 237 of 300 parked Lease calls were refused with RESOURCE_EXHAUSTED and
// heartbeats failed the same way.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "coordinator/job_manager.h"
#include "coordinator/rpc/search_service_impl.h"
#include "coordinator/rpc/task_service_impl.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

class TaskServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (std::filesystem::temp_directory_path() /
           ("task_service_test_" + std::to_string(::getpid()) + ".db"))
              .string();
    std::filesystem::remove(db_);
    auto store = Store::Open(db_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    JobManagerOptions options;
    options.store = store_.get();
    auto manager = JobManager::Create(options);
    ASSERT_TRUE(manager.ok());
    manager_ = std::move(*manager);
    tasks_ = std::make_unique<TaskServiceImpl>(manager_.get());
    search_ = std::make_unique<SearchServiceImpl>(manager_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(tasks_.get());
    builder.RegisterService(search_.get());
    // Far fewer threads than parked calls: a thread per poll cannot work.
    grpc::ResourceQuota quota("task_service_test");
    quota.SetMaxThreads(16);
    builder.SetResourceQuota(quota);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
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
  std::string Register(v1::TaskService::Stub& stub) {
    grpc::ClientContext ctx;
    v1::RegisterRequest req;
    req.set_kind(v1::WORKER);
    req.set_name("w");
    v1::RegisterResponse resp;
    EXPECT_TRUE(stub.Register(&ctx, req, &resp).ok());
    return resp.executor_id();
  }

  std::string db_;
  int port_ = 0;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<TaskServiceImpl> tasks_;
  std::unique_ptr<SearchServiceImpl> search_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// 300 parked long polls are all answered OK, and a Register and Heartbeat
// made while they are parked are served; work submitted meanwhile wakes
// parked workers with tasks.
TEST_F(TaskServiceTest, ThreeHundredParkedLongPollsHoldNoThreads) {
  auto stub = v1::TaskService::NewStub(channel_);
  constexpr int kPollers = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kPollers; ++i) ids.push_back(Register(*stub));
  std::atomic<int> ok{0}, exhausted{0}, with_tasks{0}, started{0};
  std::vector<std::thread> pollers;
  for (int i = 0; i < kPollers; ++i) {
    pollers.emplace_back([&, i] {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      v1::LeaseRequest req;
      req.set_executor_id(ids[i]);
      req.set_max_tasks(1);
      req.set_wait_ms(3000);
      v1::LeaseResponse resp;
      started.fetch_add(1);
      grpc::Status s = stub->Lease(&ctx, req, &resp);
      if (s.ok()) ok.fetch_add(1);
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) exhausted.fetch_add(1);
      if (resp.tasks_size() > 0) with_tasks.fetch_add(1);
    });
  }
  while (started.load() < kPollers) std::this_thread::yield();
  // Served while the polls are parked.
  const std::string late = Register(*stub);
  {
    grpc::ClientContext ctx;
    v1::HeartbeatRequest hb;
    hb.set_executor_id(late);
    v1::HeartbeatResponse resp;
    EXPECT_TRUE(stub->Heartbeat(&ctx, hb, &resp).ok());
  }
  // New work wakes parked workers (only accuracy tasks are wanted here).
  v1::JobSpec spec;
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_budget()->set_max_evaluations(10);
  auto* o = spec.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  spec.set_parallelism(10);
  ASSERT_TRUE(manager_->SubmitJob(spec).ok());
  for (auto& t : pollers) t.join();
  EXPECT_EQ(exhausted.load(), 0);
  EXPECT_EQ(ok.load(), kPollers);
  EXPECT_EQ(with_tasks.load(), 10);
}

}  // namespace
}  // namespace edgenas
