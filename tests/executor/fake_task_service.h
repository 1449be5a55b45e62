// FakeTaskService: an in-process TaskService with canned answers, served on
// 127.0.0.1 with an OS-chosen port, for testing ExecutorLoop. It records every
// request and lets tests wait for them (condition-based, no sleeps).
#ifndef EDGENAS_TESTS_EXECUTOR_FAKE_TASK_SERVICE_H_
#define EDGENAS_TESTS_EXECUTOR_FAKE_TASK_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "edgenas/v1/task_service.grpc.pb.h"

namespace edgenas {

class FakeTaskService final : public v1::TaskService::Service {
 public:
  struct State {
    std::vector<v1::RegisterRequest> registers;
    std::vector<v1::LeaseRequest> leases;
    int leases_waiting = 0;    // Lease calls blocked in their long poll now
    int leases_cancelled = 0;  // long polls ended by the client cancelling
    std::vector<v1::HeartbeatRequest> heartbeats;
    std::vector<v1::CompleteRequest> completes;
    std::vector<v1::FailRequest> fails;
    int unknown_executor_calls = 0;  // Lease/Heartbeat answered NOT_FOUND
    // Every Heartbeat and Complete in arrival order: "heartbeat:<task ids
    // joined by ,>" and "complete:<task id>".
    std::vector<std::string> calls;
    int refused_completes = 0;  // answered UNAVAILABLE by an outage
  };

  // Starts the server on 127.0.0.1:`port` (0: OS-chosen; a given port lets a
  // test restart "the coordinator" where its clients look for it). With
  // `reject_unknown_executors`, Lease and Heartbeat answer NOT_FOUND for an
  // executor id this instance has not handed out, as a coordinator restarted
  // without its executors does. address() is empty if the port was taken.
  explicit FakeTaskService(int port = 0, bool reject_unknown_executors = false);
  // Shuts the server down (ending blocked long polls).
  ~FakeTaskService() override;

  std::string address() const { return address_; }

  // Queues a task for the next Lease.
  void AddTask(v1::Task task);
  // The next Lease call fails with `code`.
  void FailNextLease(grpc::StatusCode code);
  // From now on every heartbeat reports all its leases as lost.
  void ReportLeasesLost();
  // From now on every Complete is recorded and answered INVALID_ARGUMENT
  // with `message`, as the coordinator refuses a malformed result.
  void RefuseCompletes(std::string message);

  // A coordinator outage as Complete sees it: every Complete is recorded
  // and answered UNAVAILABLE (calling `on_refusal` first, e.g. to advance a
  // fake clock) until at least `min_refusals` were refused AND a heartbeat
  // arrived after the first refusal; then Completes are accepted again.
  void CompleteOutage(int min_refusals, std::function<void()> on_refusal = nullptr);
  // Ends an outage now.
  void EndOutage();

  // Waits until pred(state) holds; false if it did not within 60 s (a hang
  // guard so that a broken loop fails instead of blocking ctest).
  bool AwaitState(const std::function<bool(const State&)>& pred);
  State Snapshot();

  grpc::Status Register(grpc::ServerContext* ctx, const v1::RegisterRequest* req,
                        v1::RegisterResponse* resp) override;
  grpc::Status Lease(grpc::ServerContext* ctx, const v1::LeaseRequest* req,
                     v1::LeaseResponse* resp) override;
  grpc::Status Heartbeat(grpc::ServerContext* ctx, const v1::HeartbeatRequest* req,
                         v1::HeartbeatResponse* resp) override;
  grpc::Status Complete(grpc::ServerContext* ctx, const v1::CompleteRequest* req,
                        v1::CompleteResponse* resp) override;
  grpc::Status Fail(grpc::ServerContext* ctx, const v1::FailRequest* req,
                    v1::FailResponse* resp) override;

 private:
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Task> queue_ ABSL_GUARDED_BY(mu_);
  grpc::StatusCode next_lease_error_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
  bool leases_lost_ ABSL_GUARDED_BY(mu_) = false;
  std::string refuse_completes_ ABSL_GUARDED_BY(mu_);  // "" = accept
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool outage_ ABSL_GUARDED_BY(mu_) = false;
  int outage_min_refusals_ ABSL_GUARDED_BY(mu_) = 0;
  int outage_refusals_ ABSL_GUARDED_BY(mu_) = 0;
  bool heartbeat_in_outage_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_refusal_ ABSL_GUARDED_BY(mu_);
  const bool reject_unknown_executors_;
  std::set<std::string> issued_ ABSL_GUARDED_BY(mu_);  // executor ids handed out
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace edgenas

#endif  // EDGENAS_TESTS_EXECUTOR_FAKE_TASK_SERVICE_H_
