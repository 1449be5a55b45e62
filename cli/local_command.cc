// `edgenas local`: start coordinator, worker and agent, run one job, print
// its front, stop everything. A monitor thread notices a child that dies;
// SIGINT/SIGTERM cancel the watch (a second one kills the children at once).
#include "cli/local_command.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cli/dataset_classes.h"
#include "cli/front_format.h"
#include "cli/interrupt_watcher.h"
#include "cli/job_spec_yaml.h"
#include "cli/process.h"
#include "cli/search_client.h"
#include "common/cpu_affinity.h"
#include "common/data_roots.h"
#include "common/grpc_bearer.h"
#include "common/grpc_tls.h"
#include "common/metric_names.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr int kLogTailLines = 25;
// The local stack is for one person's machine: no metrics endpoints, so
// that their fixed default ports never collide with a running service.
constexpr char kNoMetrics[] = "--metrics_listen=off";

void PrintError(const CliIo& io, const absl::Status& status) {
  io.err << "error: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
         << "\n";
}

void PrintLogTail(const CliIo& io, const std::string& path) {
  const std::string tail = TailOfFile(path, kLogTailLines);
  if (tail.empty()) {
    io.err << "(" << path << " is empty or unreadable)\n";
    return;
  }
  io.err << "--- last lines of " << path << " ---\n" << tail << "---\n";
}

// Which cores the worker and the agent get. Latency must never be measured
// on a core that trains: with >= 2 usable cores the agent gets the last one
// and the worker the others; explicit lists win. `note` says what was done.
struct CorePlan {
  std::string agent;   // "" = not pinned
  std::string worker;  // "" = not pinned
  std::string note;
};

absl::StatusOr<CorePlan> PlanCores(const LocalOptions& options) {
  CorePlan plan;
  if (options.agent_runner == "replay") {
    plan.note = "agent replays a table (measures nothing): cores not split";
    return plan;
  }
  absl::StatusOr<std::vector<int>> allowed = AllowedCpus();
  if (!allowed.ok()) return allowed.status();
  std::vector<int> agent, worker;
  if (!options.agent_cpus.empty()) {
    absl::StatusOr<std::vector<int>> parsed = ParseCpuList(options.agent_cpus, "--agent_cpus");
    if (!parsed.ok()) return parsed.status();
    agent = *parsed;
  }
  if (!options.worker_cpus.empty()) {
    absl::StatusOr<std::vector<int>> parsed = ParseCpuList(options.worker_cpus, "--worker_cpus");
    if (!parsed.ok()) return parsed.status();
    worker = *parsed;
  }
  if (agent.empty() && allowed->size() >= 2) {
    for (auto it = allowed->rbegin(); it != allowed->rend(); ++it) {
      if (std::find(worker.begin(), worker.end(), *it) == worker.end()) {
        agent = {*it};
        break;
      }
    }
  }
  if (worker.empty() && !agent.empty()) {
    for (int c : *allowed) {
      if (std::find(agent.begin(), agent.end(), c) == agent.end()) worker.push_back(c);
    }
  }
  plan.agent = FormatCpuList(agent);
  plan.worker = FormatCpuList(worker);
  bool shared = agent.empty() || worker.empty();
  for (int c : agent) shared = shared || std::find(worker.begin(), worker.end(), c) != worker.end();
  if (shared) {
    plan.note = absl::StrCat(
        "WARNING: latency is measured beside training on the same core(s) (",
        allowed->size(), " usable core", allowed->size() == 1 ? "" : "s",
        "): expect noisy, unstable latency values");
  } else {
    plan.note = absl::StrCat("agent measures on core(s) ", plan.agent,
                             ", worker trains on core(s) ", plan.worker, " (separate cores)");
  }
  return plan;
}

// Metrics measured by device agents (the rest come from workers).
bool IsAgentMetric(const std::string& metric) {
  for (const char* name : {kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv,
                           kMetricLatencyRuns, kMetricEnergyMj}) {
    if (metric == name) return true;
  }
  return false;
}

// Checks that this run's one agent can serve every device class the job
// measures (else the job would wait forever) and that table files exist;
// makes the job's table path absolute, as the worker must read it.
// The local worker's --data_root: the default roots plus the folders of the
// user's own dataset and table (a local job's spec is trusted; a shared
// coordinator's workers keep their operator's roots).
std::string LocalDataRoots(const v1::JobSpec& spec) {
  std::vector<std::string> roots = {kDefaultDataRoots};
  auto add = [&roots](const std::string& folder) {
    std::error_code error;
    if (!folder.empty() && fs::is_directory(folder, error)) roots.push_back(folder);
  };
  add(spec.dataset().path());
  // An image_folder CSV: its folder (the paths in it are relative to it).
  const std::string& data = spec.dataset().path();
  std::error_code error;
  if (!data.empty() && fs::is_regular_file(data, error)) {
    add(fs::absolute(data).parent_path().string());
  }
  if (!spec.evaluation().table().path().empty()) {
    add(fs::absolute(spec.evaluation().table().path()).parent_path().string());
  }
  return "--data_root=" + absl::StrJoin(roots, ",");
}

absl::Status PrepareSpec(const LocalOptions& options, v1::JobSpec* spec) {
  std::set<std::string> classes;
  if (spec->objectives().empty()) classes.insert("cpu");  // the default objectives
  auto note = [&classes](const std::string& metric, const std::string& device_class) {
    if (IsAgentMetric(metric)) classes.insert(device_class.empty() ? "cpu" : device_class);
  };
  for (const auto& o : spec->objectives()) note(o.metric(), o.device_class());
  for (const auto& c : spec->constraints()) note(c.metric(), c.device_class());
  for (const std::string& device_class : classes) {
    if (device_class != options.agent_device_class) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the job measures device class \"", device_class, "\" but the local agent serves \"",
          options.agent_device_class, "\"; pass --agent_device_class=", device_class,
          " (with --agent_runner=replay and --replay_* to replay a board's measurements "
          "from a table)"));
    }
  }
  std::error_code error;
  const std::string cwd = fs::current_path(error).string();
  if (spec->evaluation().mode() == "table" && !spec->evaluation().table().path().empty()) {
    auto* table = spec->mutable_evaluation()->mutable_table();
    if (!fs::is_regular_file(table->path(), error)) {
      return absl::NotFoundError(absl::StrCat("evaluation.table.path: ", table->path(),
                                              ": no such file (relative paths are read from ",
                                              cwd, ")"));
    }
    table->set_path(fs::absolute(table->path()).lexically_normal().string());
  }
  if (!options.replay_table.empty() && !fs::is_regular_file(options.replay_table, error)) {
    return absl::NotFoundError(absl::StrCat("--replay_table: ", options.replay_table,
                                            ": no such file (relative paths are read from ",
                                            cwd, ")"));
  }
  return absl::OkStatus();
}

// The child processes of one run, in start order; safe to stop or kill from
// the signal thread while the main thread stops them too.
class LocalCluster {
 public:
  absl::Status Start(const std::vector<std::string>& argv, const std::string& log_path) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(argv, log_path);
    if (!child.ok()) return child.status();
    absl::MutexLock lock(&mu_);
    children_.push_back(std::shared_ptr<ChildProcess>(std::move(*child)));
    return absl::OkStatus();
  }

  // The first child that is no longer running, if any.
  std::shared_ptr<ChildProcess> FirstExited() {
    for (const auto& child : Snapshot()) {
      if (!child->IsRunning()) return child;
    }
    return nullptr;
  }

  // Workers and agents first, together; the coordinator (started first) last,
  // so that nobody is left calling a coordinator that is gone. Notes any
  // child that had to be killed or exited with an error.
  void StopAll(absl::Duration grace, const CliIo& io) {
    const std::vector<std::shared_ptr<ChildProcess>> children = Snapshot();
    std::vector<absl::StatusOr<ExitStatus>> results(children.size());
    std::vector<std::thread> stoppers;
    for (size_t i = 1; i < children.size(); ++i) {
      stoppers.emplace_back([&, i] { results[i] = children[i]->Terminate(grace); });
    }
    for (std::thread& stopper : stoppers) stopper.join();
    if (!children.empty()) results[0] = children[0]->Terminate(grace);
    for (size_t i = 0; i < children.size(); ++i) {
      if (!results[i].ok()) {
        io.err << "warning: stopping " << children[i]->name() << ": " << results[i].status()
               << "\n";
      } else if (results[i]->signal != SIGTERM && !results[i]->Success()) {
        io.err << "warning: " << children[i]->name() << " ended with " << results[i]->ToString()
               << " (log: " << children[i]->log_file_path() << ")\n";
      }
    }
  }

  // SIGKILL to every child now (a second Ctrl-C).
  void KillAll() {
    for (const auto& child : Snapshot()) child->Kill().IgnoreError();
  }

 private:
  std::vector<std::shared_ptr<ChildProcess>> Snapshot() {
    absl::MutexLock lock(&mu_);
    return children_;
  }

  absl::Mutex mu_;
  std::vector<std::shared_ptr<ChildProcess>> children_ ABSL_GUARDED_BY(mu_);
};

class LocalRun {
 public:
  LocalRun(const LocalOptions& options, const CliIo& io) : options_(options), io_(io) {}

  int Run();

 private:
  // Everything between starting the watcher and stopping the children.
  int RunWithChildren(const v1::JobSpec& spec);
  absl::StatusOr<int> StartCoordinator();
  // The agent's command line: device class, runner and replay flags.
  std::vector<std::string> AgentArgv(const std::string& coordinator_flag) const;
  CorePlan cores_;
  int ReportChildDeath(ChildProcess& child);
  void PrintResults(const v1::Job& job);

  const LocalOptions options_;
  const CliIo& io_;
  std::string workdir_;
  std::string db_path_;
  std::string bin_coordinator_, bin_worker_, bin_agent_;
  LocalCluster cluster_;
  std::unique_ptr<SearchClient> client_;
  std::atomic<SearchClient*> cancel_target_{nullptr};
  std::atomic<bool> interrupted_{false};
};

int LocalRun::Run() {
  absl::StatusOr<v1::JobSpec> spec = LoadJobSpecFile(options_.spec_path);
  if (!spec.ok()) {
    PrintError(io_, spec.status());
    return kExitFailure;
  }
  absl::StatusOr<std::string> classes = FillImageFolderClasses(&*spec);
  if (!classes.ok()) {
    PrintError(io_, classes.status());
    return kExitFailure;
  }
  if (!classes->empty()) io_.err << *classes << "\n";
  if (absl::Status ready = PrepareSpec(options_, &*spec); !ready.ok()) {
    PrintError(io_, ready);
    return kExitFailure;
  }
  for (auto [name, path] : {std::pair{"edgenas-coordinator", &bin_coordinator_},
                            std::pair{"edgenas-worker", &bin_worker_},
                            std::pair{"edgenas-agent", &bin_agent_}}) {
    absl::StatusOr<std::string> found = FindSiblingBinary(name);
    if (!found.ok()) {
      PrintError(io_, found.status());
      io_.err << "hint: build it with `ninja edgenas-coordinator edgenas-worker edgenas-agent`\n";
      return kExitFailure;
    }
    *path = *found;
  }
  std::error_code error;
  fs::create_directories(options_.workdir, error);
  if (error) {
    PrintError(io_, absl::PermissionDeniedError(
                        absl::StrCat("cannot create ", options_.workdir, ": ", error.message())));
    return kExitFailure;
  }
  workdir_ = fs::absolute(options_.workdir).lexically_normal().string();
  db_path_ = fs::absolute(options_.db_path).lexically_normal().string();

  // Before any gRPC thread exists, so that every thread has the signals blocked.
  absl::StatusOr<std::unique_ptr<InterruptWatcher>> watcher =
      InterruptWatcher::Start([this](int signo) {
        if (!interrupted_.exchange(true)) {
          if (SearchClient* client = cancel_target_.load()) client->CancelWatch();
        } else {
          cluster_.KillAll();
        }
      });
  if (!watcher.ok()) {
    PrintError(io_, watcher.status());
    return kExitFailure;
  }
  int exit_code = RunWithChildren(*spec);
  if (interrupted_.load()) {
    io_.out << "stopping edgenas processes (Ctrl-C again to kill them)\n" << std::flush;
    exit_code = kExitInterrupted;
  }
  cluster_.StopAll(options_.stop_grace, io_);
  watcher->reset();
  return exit_code;
}

absl::StatusOr<int> LocalRun::StartCoordinator() {
  const std::string port_file = (fs::path(workdir_) / "coordinator.port").string();
  const std::string log = (fs::path(workdir_) / "coordinator.log").string();
  std::error_code ignored;
  fs::remove(port_file, ignored);  // a stale port from an earlier run would mislead us
  io_.out << "starting edgenas-coordinator (db " << db_path_ << ")\n" << std::flush;
  absl::Status started = cluster_.Start(
      {bin_coordinator_, "--listen=127.0.0.1:0", "--db=" + db_path_, "--port_file=" + port_file,
       kNoMetrics},
      log);
  if (!started.ok()) return started;
  absl::StatusOr<int> port = WaitForPortFile(port_file, options_.start_timeout, [&] {
    if (interrupted_.load()) return absl::CancelledError("interrupted");
    if (std::shared_ptr<ChildProcess> dead = cluster_.FirstExited()) {
      absl::StatusOr<ExitStatus> ended = dead->Wait(absl::ZeroDuration());
      return absl::UnavailableError(
          absl::StrCat(dead->name(), " exited (", ended.ok() ? ended->ToString() : "status unknown",
                       ") before it was serving"));
    }
    return absl::OkStatus();
  });
  if (!port.ok() && !interrupted_.load()) {
    PrintError(io_, port.status());
    PrintLogTail(io_, log);
  }
  return port;
}

std::vector<std::string> LocalRun::AgentArgv(const std::string& coordinator_flag) const {
  std::vector<std::string> argv = {bin_agent_, coordinator_flag, kNoMetrics,
                                   "--device_class=" + options_.agent_device_class,
                                   absl::StrCat("--threads=", options_.threads),
                                   "--runner=" + options_.agent_runner,
                                   // Results wait beside this run's database.
                                   "--spool_dir=" + (fs::path(workdir_) / "spool" / "agent").string()};
  if (!cores_.agent.empty()) argv.push_back("--cpus=" + cores_.agent);
  if (options_.agent_speed_reference && options_.agent_runner == "libtorch") {
    argv.push_back("--speed_reference");
  }
  if (!options_.replay_table.empty()) {
    argv.push_back("--replay_table=" +
                   fs::absolute(options_.replay_table).lexically_normal().string());
  }
  for (const auto& [flag, value] :
       {std::pair{"--replay_latency_column=", &options_.replay_latency_column},
        std::pair{"--replay_energy_column=", &options_.replay_energy_column},
        std::pair{"--replay_arch_column=", &options_.replay_arch_column}}) {
    if (!value->empty()) argv.push_back(flag + *value);
  }
  return argv;
}

int LocalRun::ReportChildDeath(ChildProcess& child) {
  // Wait() on an ended child returns at once.
  absl::StatusOr<ExitStatus> status = child.Wait(absl::ZeroDuration());
  PrintError(io_, absl::UnavailableError(absl::StrCat(
                      child.name(), " ended unexpectedly (",
                      status.ok() ? status->ToString() : "unknown status", ")")));
  PrintLogTail(io_, child.log_file_path());
  return kExitFailure;
}

int LocalRun::RunWithChildren(const v1::JobSpec& spec) {
  absl::StatusOr<int> port = StartCoordinator();
  if (!port.ok()) return kExitFailure;
  const std::string address = absl::StrCat("127.0.0.1:", *port);
  const std::string threads = absl::StrCat("--threads=", options_.threads);
  const std::string coordinator_flag = "--coordinator=" + address;
  absl::StatusOr<CorePlan> cores = PlanCores(options_);
  if (!cores.ok()) {
    PrintError(io_, cores.status());
    return kExitFailure;
  }
  cores_ = *cores;
  std::vector<std::string> worker_argv = {
      bin_worker_, coordinator_flag, "--name=local-worker", threads, kNoMetrics,
      LocalDataRoots(spec), "--spool_dir=" + (fs::path(workdir_) / "spool" / "worker").string()};
  if (!cores_.worker.empty()) worker_argv.push_back("--cpus=" + cores_.worker);
  io_.out << "cores: " << cores_.note << "\n";
  for (const auto& [argv, log] :
       {std::pair{worker_argv, "worker.log"},
        std::pair{AgentArgv(coordinator_flag), "agent.log"}}) {
    const absl::Status started = cluster_.Start(argv, (fs::path(workdir_) / log).string());
    if (!started.ok()) {
      PrintError(io_, started);
      return kExitFailure;
    }
  }
  io_.out << "coordinator on " << address << "; worker and " << options_.agent_device_class
          << " agent (" << options_.agent_runner << ") started (logs in " << workdir_ << ")\n"
          << std::flush;

  client_ = std::make_unique<SearchClient>(address);
  cancel_target_.store(client_.get());
  if (interrupted_.load()) return kExitInterrupted;
  absl::StatusOr<v1::Job> submitted = client_->SubmitJob(spec);
  if (!submitted.ok()) {
    PrintError(io_, submitted.status());
    return kExitFailure;
  }
  const std::string job_id = submitted->id();
  io_.out << "submitted job " << job_id << " (" << spec.name() << ")\n" << std::flush;

  // A dead child would leave the job waiting forever: end the watch instead.
  std::shared_ptr<ChildProcess> dead;
  absl::Mutex dead_mu;
  absl::Notification stop_monitor;
  std::thread monitor([&] {
    while (!stop_monitor.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
      if (std::shared_ptr<ChildProcess> exited = cluster_.FirstExited()) {
        absl::MutexLock lock(&dead_mu);
        dead = exited;
        client_->CancelWatch();
        return;
      }
    }
  });
  ProgressPrinter printer(io_.out, io_.out_is_tty);
  absl::StatusOr<v1::Job> job = client_->Watch(
      job_id, [&](const v1::JobEvent& event) { printer.Update(event.job()); });
  if (job.ok()) printer.Update(*job);
  printer.Finish();
  stop_monitor.Notify();
  monitor.join();

  if (interrupted_.load()) {
    io_.out << "interrupted: cancelling job " << job_id << "\n";
    SearchClient quick(address, absl::Seconds(3));
    quick.CancelJob(job_id).IgnoreError();
    return kExitInterrupted;
  }
  {
    absl::MutexLock lock(&dead_mu);
    if (dead != nullptr) return ReportChildDeath(*dead);
  }
  if (!job.ok()) {
    PrintError(io_, job.status());
    if (std::shared_ptr<ChildProcess> exited = cluster_.FirstExited()) {
      return ReportChildDeath(*exited);
    }
    return kExitFailure;
  }
  PrintResults(*job);
  return job->state() == v1::JOB_DONE ? kExitOk : kExitFailure;
}

void LocalRun::PrintResults(const v1::Job& job) {
  io_.out << "\njob " << job.id() << " " << JobStateName(job.state()) << ": "
          << job.candidates_done() << " evaluated, " << job.candidates_failed() << " failed";
  if (!job.message().empty()) io_.out << " (" << job.message() << ")";
  io_.out << "\n";
  absl::StatusOr<v1::ParetoFront> front = client_->GetParetoFront(job.id());
  if (!front.ok()) {
    PrintError(io_, front.status());
  } else {
    io_.out << "\nPareto front (" << front->candidates_size() << " candidates):\n"
            << FormatFrontTable(*front)
            << absl::StrFormat("\nhypervolume: %.6f\n", front->hypervolume());
  }
  io_.out << "database:    " << db_path_ << "\n"
          << "logs:        " << workdir_ << "/{coordinator,worker,agent}.log\n"
          << std::flush;
}

}  // namespace

int RunLocal(const LocalOptions& options, const CliIo& io) {
  // The local coordinator is plaintext on loopback without tokens: the
  // client settings meant for a remote coordinator must not reach the
  // worker and agent started here (they read these variables).
  for (const char* name : {kTlsCaFileEnv, kTlsCertFileEnv, kTlsKeyFileEnv, kTokenEnv}) {
    ::unsetenv(name);
  }
  return LocalRun(options, io).Run();
}

}  // namespace edgenas
