#include "tests/integration/cluster.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace edgenas::testing {

Cluster::Cluster() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "edgenas-it-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  dir_ = made != nullptr ? std::string(made) : std::string("/tmp");
}

Cluster::~Cluster() {
  for (auto& e : executors_) (void)e->Terminate(absl::Seconds(10));
  if (coordinator_) (void)coordinator_->Terminate(absl::Seconds(10));
  if (std::getenv("EDGENAS_KEEP_TEST_DIR") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string Cluster::Binary(const std::string& name) {
  if (const char* dir = std::getenv("EDGENAS_BIN_DIR")) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (std::filesystem::exists(path)) return path;
  }
  auto sibling = FindSiblingBinary(name);
  return sibling.ok() ? *sibling : name;
}

absl::Status Cluster::StartCoordinator(bool same_port,
                                       const std::vector<std::string>& extra_flags) {
  const std::string port_file = dir_ + "/coordinator.port";
  std::filesystem::remove(port_file);
  const int listen_port = same_port ? port_ : 0;
  std::vector<std::string> argv = {
      Binary("edgenas-coordinator"), absl::StrCat("--listen=127.0.0.1:", listen_port),
      "--db=" + db_path(), "--port_file=" + port_file, "--heartbeat_interval_ms=500",
      "--metrics_listen=127.0.0.1:0", "--metrics_port_file=" + dir_ + "/coordinator.metrics.port"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto child = ChildProcess::Spawn(
      argv, absl::StrCat(dir_, "/coordinator", same_port ? "-restarted" : "", ".log"));
  if (!child.ok()) return child.status();
  coordinator_ = std::move(*child);
  ChildProcess* c = coordinator_.get();
  auto port = WaitForPortFile(port_file, absl::Seconds(60), [c]() -> absl::Status {
    if (!c->IsRunning()) {
      return absl::InternalError(
          absl::StrCat("coordinator exited:\n", TailOfFile(c->log_file_path(), 20)));
    }
    return absl::OkStatus();
  });
  if (!port.ok()) return port.status();
  port_ = *port;
  auto channel = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  search_ = v1::SearchService::NewStub(channel);
  tasks_ = v1::TaskService::NewStub(channel);
  return absl::OkStatus();
}

absl::StatusOr<ChildProcess*> Cluster::StartExecutor(const std::string& binary,
                                                     std::vector<std::string> extra,
                                                     const std::string& name) {
  std::vector<std::string> argv = {Binary(binary), "--coordinator=" + address(),
                                   "--name=" + name, "--threads=1",
                                   "--metrics_listen=127.0.0.1:0",
                                   "--metrics_port_file=" + dir_ + "/" + name + ".metrics.port",
                                   // Each executor's own spool in the cluster's folder (a
                                   // later --spool_dir in `extra` wins).
                                   "--spool_dir=" + dir_ + "/spool/" + name};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = ChildProcess::Spawn(argv, absl::StrCat(dir_, "/", name, ".log"));
  if (!child.ok()) return child.status();
  executors_.push_back(std::move(*child));
  return executors_.back().get();
}

absl::StatusOr<ChildProcess*> Cluster::StartWorker(const std::string& name) {
  return StartWorkerWithFlags(name, {});
}

absl::StatusOr<ChildProcess*> Cluster::StartWorkerWithFlags(const std::string& name,
                                                            std::vector<std::string> flags) {
  // The tests' tables live in the cluster's folder or the shared data.
  std::string roots = absl::StrCat("--data_root=/usr/share/datasets,", dir_);
  if (const char* shared = std::getenv("EDGENAS_SHARED_DIR");
      shared != nullptr && std::filesystem::is_directory(shared)) {
    absl::StrAppend(&roots, ",", shared);
  }
  flags.insert(flags.begin(), {"--allow_cuda=false", roots});
  return StartExecutor("edgenas-worker", std::move(flags), name);
}

absl::StatusOr<ChildProcess*> Cluster::StartAgent(const std::string& name) {
  return StartAgentWithFlags(name, {"--device_class=cpu"});
}

absl::StatusOr<ChildProcess*> Cluster::StartAgentWithFlags(const std::string& name,
                                                           std::vector<std::string> flags) {
  return StartExecutor("edgenas-agent", std::move(flags), name);
}

absl::StatusOr<int> Cluster::MetricsPort(const std::string& name) const {
  return WaitForPortFile(dir_ + "/" + name + ".metrics.port", absl::Seconds(60),
                         [] { return absl::OkStatus(); });
}

absl::StatusOr<ExitStatus> Cluster::StopCoordinator() {
  if (!coordinator_) return absl::FailedPreconditionError("coordinator not started");
  return coordinator_->Terminate(absl::Seconds(20));
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

std::string Submit(Cluster& cluster, const v1::JobSpec& spec) {
  v1::SubmitJobRequest req;
  *req.mutable_spec() = spec;
  v1::Job job;
  grpc::Status s = cluster.search()->SubmitJob(Ctx().get(), req, &job);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return job.id();
}

v1::Job WatchToEnd(Cluster& cluster, const std::string& job_id, int bound_seconds,
                   std::vector<int64_t>* sequences) {
  auto ctx = Ctx(bound_seconds);
  v1::WatchJobRequest req;
  req.set_job_id(job_id);
  auto reader = cluster.search()->WatchJob(ctx.get(), req);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    if (sequences != nullptr) sequences->push_back(event.sequence());
  }
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::Job job;
  v1::GetJobRequest get;
  get.set_job_id(job_id);
  EXPECT_TRUE(cluster.search()->GetJob(Ctx().get(), get, &job).ok());
  return job;
}

std::string RunCli(Cluster& cluster, std::vector<std::string> args, bool* ok) {
  std::vector<std::string> argv = {Cluster::Binary("edgenas")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--coordinator=" + cluster.address());
  const std::string log = cluster.dir() + "/cli.log";
  auto child = ChildProcess::Spawn(argv, log);
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return "";
  auto exit = (*child)->Wait(absl::Seconds(120));
  *ok = exit.ok() && exit->Success();
  return TailOfFile(log, 40);
}

bool WaitForLogLine(ChildProcess* child, const std::string& needle, int bound_seconds) {
  for (int i = 0; i < bound_seconds * 20; ++i) {
    std::ifstream in(child->log_file_path());
    std::stringstream text;
    text << in.rdbuf();
    if (absl::StrContains(text.str(), needle)) return true;
    if (!child->IsRunning()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling another process
  }
  return false;
}

}  // namespace edgenas::testing
