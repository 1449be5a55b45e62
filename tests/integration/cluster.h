// Cluster: a real coordinator (and optionally workers and agents) started
// as child processes on loopback for integration tests, with a temporary
// directory for the database and logs. Everything is stopped by the
// destructor.
#ifndef EDGENAS_TESTS_INTEGRATION_CLUSTER_H_
#define EDGENAS_TESTS_INTEGRATION_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>

#include "absl/status/statusor.h"
#include "cli/process.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "edgenas/v1/task_service.grpc.pb.h"

namespace edgenas::testing {

class Cluster {
 public:
  Cluster();
  ~Cluster();

  // Starts the coordinator on 127.0.0.1 with an OS-chosen port, or on the
  // port it had before when `same_port` (restart after a crash), with
  // `extra_flags` (e.g. --db_max_bytes) after the usual ones.
  absl::Status StartCoordinator(bool same_port = false,
                                const std::vector<std::string>& extra_flags = {});
  // Starts one edgenas-worker / edgenas-agent; returns its handle.
  absl::StatusOr<ChildProcess*> StartWorker(const std::string& name);
  // An edgenas-worker with `flags` (e.g. TLS files) after the usual ones.
  absl::StatusOr<ChildProcess*> StartWorkerWithFlags(const std::string& name,
                                                     std::vector<std::string> flags);
  absl::StatusOr<ChildProcess*> StartAgent(const std::string& name);
  // An edgenas-agent with `flags` (e.g. --device_class, --runner) in place of
  // the default --device_class=cpu.
  absl::StatusOr<ChildProcess*> StartAgentWithFlags(const std::string& name,
                                                    std::vector<std::string> flags);
  // SIGTERM to the coordinator; returns its exit status.
  absl::StatusOr<ExitStatus> StopCoordinator();

  // The metrics port of "coordinator" or of the executor started as `name`
  // (every process serves /metrics on an OS-chosen loopback port and writes
  // it to a port file); waits for the file up to 60 s.
  absl::StatusOr<int> MetricsPort(const std::string& name) const;

  const std::string& dir() const { return dir_; }
  std::string db_path() const { return dir_ + "/edgenas.db"; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  ChildProcess* coordinator() { return coordinator_.get(); }
  v1::SearchService::Stub* search() { return search_.get(); }
  v1::TaskService::Stub* tasks() { return tasks_.get(); }
  // Path of a binary built next to the test.
  static std::string Binary(const std::string& name);

 private:
  absl::StatusOr<ChildProcess*> StartExecutor(const std::string& binary,
                                              std::vector<std::string> extra,
                                              const std::string& name);

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> coordinator_;
  std::vector<std::unique_ptr<ChildProcess>> executors_;
  std::unique_ptr<v1::SearchService::Stub> search_;
  std::unique_ptr<v1::TaskService::Stub> tasks_;
};

// A client context whose deadline is `seconds` from now.
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30);

// Submits `spec`, expecting it accepted; the new job's id.
std::string Submit(Cluster& cluster, const v1::JobSpec& spec);

// Follows WatchJob until the job ends (the stream is bounded by
// `bound_seconds`, a guard against hangs) and returns the job as GetJob
// then gives it. The events' sequence numbers go to *sequences when given.
v1::Job WatchToEnd(Cluster& cluster, const std::string& job_id, int bound_seconds,
                   std::vector<int64_t>* sequences = nullptr);

// Runs the edgenas CLI with `args` against the cluster's coordinator (its
// output in DIR/cli.log, bounded by 120 s); *ok when it exits 0. Returns the
// last 40 lines of its output.
std::string RunCli(Cluster& cluster, std::vector<std::string> args, bool* ok);

// Polls `child`'s log until it holds `needle` (true), the child exits or
// `bound_seconds` pass (false).
bool WaitForLogLine(ChildProcess* child, const std::string& needle, int bound_seconds = 900);

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_INTEGRATION_CLUSTER_H_
