// Shared fixture of the JobManager tests: a manager over a SQLite file in
// the temp folder with a fake clock, executors registered and driven by
// hand, and results that depend on the architecture.
#ifndef EDGENAS_TESTS_COORDINATOR_JOB_MANAGER_FIXTURE_H_
#define EDGENAS_TESTS_COORDINATOR_JOB_MANAGER_FIXTURE_H_

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metric_names.h"
#include "coordinator/job_manager.h"
#include "gtest/gtest.h"
#include "tests/coordinator/fake_clock.h"

namespace edgenas {

inline v1::JobSpec TinySpec(int evaluations = 4) {
  v1::JobSpec spec;
  spec.set_name("tiny");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(2);
  spec.set_seed(7);
  spec.set_max_attempts(2);
  spec.set_lease_seconds(10);
  return spec;
}

class JobManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = (std::filesystem::temp_directory_path() /
                ("jm_test_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                   .string();
    std::filesystem::remove(db_path_);
    Open();
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path_ + suffix);
  }
  void Open() {
    manager_.reset();
    store_.reset();
    auto store = Store::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    if (on_store_open_) on_store_open_(*store_);
    JobManagerOptions options;
    options.store = store_.get();
    options.clock = &clock_;
    options.start_housekeeping_thread = false;
    options.on_store_error = [this](const absl::Status& s) { store_errors_.push_back(s); };
    options.evaluator_override = evaluator_override_;
    options.observer = observer_;
    options.release_weights = release_weights_;
    auto manager = JobManager::Create(options);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
  }
  std::string RegisterExecutor(v1::ExecutorKind kind,
                               const std::vector<std::string>& capabilities = {}) {
    v1::RegisterRequest req;
    req.set_kind(kind);
    req.set_name(kind == v1::WORKER ? "w" : "a");
    req.set_device_class("cpu");
    for (const auto& c : capabilities) req.add_capabilities(c);
    auto resp = manager_->Register(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp->executor_id();
  }
  std::vector<v1::Task> LeaseNow(const std::string& executor, int max_tasks = 1) {
    v1::LeaseRequest req;
    req.set_executor_id(executor);
    req.set_max_tasks(max_tasks);
    req.set_wait_ms(0);
    auto resp = manager_->Lease(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return {resp->tasks().begin(), resp->tasks().end()};
  }
  static v1::Metric M(const std::string& name, double value) {
    v1::Metric m;
    m.set_name(name);
    m.set_value(value);
    return m;
  }
  // A result that depends on the architecture, so the front is non-trivial.
  absl::StatusOr<v1::CompleteResponse> CompleteTask(const std::string& executor,
                                                    const v1::Task& task) {
    v1::CompleteRequest req;
    req.set_executor_id(executor);
    req.set_task_id(task.task_id());
    req.set_lease_token(task.lease_token());
    const double h = static_cast<double>(std::hash<std::string>()(task.arch()) % 1000) / 1000.0;
    if (task.kind() == v1::TASK_ACCURACY && task.operation() == "test_eval") {
      *req.add_metrics() = M(kMetricTestAccuracy, 0.45 + 0.4 * h);  // the winners' test split
    } else if (task.kind() == v1::TASK_ACCURACY) {
      *req.add_metrics() = M(kMetricAccuracy, 0.5 + 0.4 * h);
      *req.add_metrics() = M(kMetricParams, 1000 + 10 * h);
    } else {
      *req.add_metrics() = M(kMetricLatencyMs, 1.0 + h);
      req.add_notes("energy_mj unavailable: no meter in this test");
    }
    return manager_->Complete(req);
  }
  // Runs every task to completion with one worker and one agent.
  void Drain(const std::string& worker, const std::string& agent) {
    for (int guard = 0; guard < 1000; ++guard) {
      bool any = false;
      for (const auto& ex : {worker, agent}) {
        for (const v1::Task& t : LeaseNow(ex)) {
          any = true;
          ASSERT_TRUE(CompleteTask(ex, t).ok());
        }
      }
      if (!any) return;
    }
  }

  std::vector<absl::Status> store_errors_;  // failed batches, in order
  std::function<std::unique_ptr<Evaluator>(const v1::JobSpec&)> evaluator_override_;
  CoordinatorObserver* observer_ = nullptr;  // set before Open()
  // JobManagerOptions::release_weights; set before Open().
  std::function<void(const std::string&, const std::string&)> release_weights_;
  // Called with each newly opened store before the manager loads from it
  // (fault injection for loading).
  std::function<void(Store&)> on_store_open_;
  std::string db_path_;
  testing::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<JobManager> manager_;
};

}  // namespace edgenas

#endif  // EDGENAS_TESTS_COORDINATOR_JOB_MANAGER_FIXTURE_H_
