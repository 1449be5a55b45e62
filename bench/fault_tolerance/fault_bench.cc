// bench/fault_tolerance: results across the coordinator's own outages, with
// the real binaries (edgenas-coordinator, edgenas-worker, edgenas-agent) on
// loopback. Two scenarios, each a small NB201 table job (worker: table
// accuracy; agents: --runner=replay with --replay_delay_ms, so that tasks
// are in flight when the fault starts):
//   stopped  the coordinator is stopped (SIGTERM) mid-job for --outage_s,
//            then started again on the same database and port;
//   full     the coordinator runs with --db_max_bytes, so its database
//            fills mid-job; it stays full for --full_s, then the coordinator
//            is restarted without the cap (a size cap is lifted only by a
//            restart; the in-process tests cover a fault that clears while
//            the coordinator runs).
// For each it prints: results finished during the fault (executor logs'
// "task finish" lines written while the fault lasted), how many of those
// are stored after it (the database's task rows, state done), and attempts
// charged (tasks leased more than once: attempts - 1, summed). Figures only;
// it never passes or fails on them.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "coordinator/store/store.h"
#include "tests/integration/cluster.h"
#include "tests/integration/made_up_table.h"

ABSL_FLAG(int, outage_s, 120, "stopped: how long the coordinator stays down, seconds");
ABSL_FLAG(int, full_s, 90, "full: how long the database stays full, seconds");
ABSL_FLAG(int, evaluations, 120, "candidates per job");
ABSL_FLAG(int, agents, 4, "replay agents (each holds one task at a time)");
ABSL_FLAG(int, delay_ms, 1500, "how long each latency task takes (--replay_delay_ms)");
ABSL_FLAG(int64_t, db_max_bytes, 384 * 1024, "full: the database size cap");
ABSL_FLAG(std::string, scenarios, "stopped,full", "which scenarios to run");

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Ctx;

constexpr char kDeviceClass[] = "board";

v1::JobSpec TableSpec(const std::string& table, int evaluations) {
  v1::JobSpec spec;
  spec.set_name("fault-bench");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  auto* eval = spec.mutable_evaluation();
  eval->set_mode("table");
  eval->mutable_table()->set_path(table);
  eval->mutable_table()->set_accuracy_column("acc_pct");
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class(kDeviceClass);
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(8);
  spec.set_seed(23);
  spec.set_lease_seconds(10);  // far shorter than the faults
  spec.set_max_attempts(10);
  return spec;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

// Task ids of "task finish id=" lines in [from, to) bytes of the log.
std::set<std::string> FinishedBetween(const std::string& path, int64_t from, int64_t to) {
  std::set<std::string> ids;
  std::ifstream in(path);
  in.seekg(from);
  const std::string marker = "task finish id=";
  int64_t at = from;
  for (std::string line; at < to && std::getline(in, line);) {
    at += static_cast<int64_t>(line.size()) + 1;
    const size_t pos = line.find(marker);
    if (pos == std::string::npos) continue;
    const std::string rest = line.substr(pos + marker.size());
    ids.insert(rest.substr(0, rest.find(' ')));
  }
  return ids;
}

int CandidatesDone(Cluster& cluster, const std::string& job_id) {
  v1::GetJobRequest get;
  get.set_job_id(job_id);
  v1::Job job;
  if (!cluster.search()->GetJob(Ctx().get(), get, &job).ok()) return -1;
  return job.candidates_done();
}

struct Figures {
  int finished_during = 0;
  int stored_after = 0;
  int attempts_charged = 0;
  int tasks = 0;
  int candidates_done = 0;
  std::string job_state;
};

// Runs one scenario; false when it could not (the reason printed).
bool RunScenario(const std::string& scenario, Figures* out) {
  Cluster cluster;
  const std::string table = testing::WriteMadeUpNb201Table(cluster.dir() + "/t.csv");
  std::vector<std::string> cap;
  if (scenario == "full") cap.push_back(absl::StrCat("--db_max_bytes=", absl::GetFlag(FLAGS_db_max_bytes)));
  if (absl::Status s = cluster.StartCoordinator(false, cap); !s.ok()) {
    std::printf("%s: cannot start the coordinator: %s\n", scenario.c_str(), s.ToString().c_str());
    return false;
  }
  std::vector<ChildProcess*> executors;
  auto worker = cluster.StartWorkerWithFlags(
      "worker-1", {"--spool_dir=" + cluster.dir() + "/spool/worker-1"});
  if (!worker.ok()) return false;
  executors.push_back(*worker);
  for (int i = 0; i < absl::GetFlag(FLAGS_agents); ++i) {
    const std::string name = absl::StrCat("replay-", i + 1);
    auto agent = cluster.StartAgentWithFlags(
        name, {absl::StrCat("--device_class=", kDeviceClass), "--runner=replay",
               "--replay_table=" + table, "--replay_latency_column=lat_ms",
               absl::StrCat("--replay_delay_ms=", absl::GetFlag(FLAGS_delay_ms)),
               "--spool_dir=" + cluster.dir() + "/spool/" + name});
    if (!agent.ok()) return false;
    executors.push_back(*agent);
  }
  const int evaluations = absl::GetFlag(FLAGS_evaluations);
  const std::string job_id = testing::Submit(cluster, TableSpec(table, evaluations));
  if (job_id.empty()) return false;

  // The fault starts a quarter into the job (stopped) or when the capped
  // database first refuses a write (full).
  if (scenario == "stopped") {
    while (CandidatesDone(cluster, job_id) < evaluations / 4) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  } else if (!testing::WaitForLogLine(cluster.coordinator(), "database or disk is full", 600)) {
    std::printf("full: the capped database never filled (raise --evaluations)\n");
    return false;
  }
  std::vector<int64_t> from;
  for (ChildProcess* e : executors) from.push_back(FileSize(e->log_file_path()));
  const auto fault_start = std::chrono::steady_clock::now();
  if (scenario == "stopped") {
    if (!cluster.StopCoordinator().ok()) return false;
    std::this_thread::sleep_for(std::chrono::seconds(absl::GetFlag(FLAGS_outage_s)));
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(absl::GetFlag(FLAGS_full_s)));
  }
  std::set<std::string> finished;
  for (size_t i = 0; i < executors.size(); ++i) {
    for (const std::string& id :
         FinishedBetween(executors[i]->log_file_path(), from[i],
                         FileSize(executors[i]->log_file_path()))) {
      finished.insert(id);
    }
  }
  if (scenario == "full" && !cluster.StopCoordinator().ok()) return false;
  const double fault_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fault_start).count();
  if (!cluster.StartCoordinator(/*same_port=*/true).ok()) return false;
  const v1::Job job = testing::WatchToEnd(cluster, job_id, 900);
  if (!cluster.StopCoordinator().ok()) return false;

  auto store = Store::Open(cluster.db_path());
  if (!store.ok()) return false;
  auto tasks = (*store)->ListTasks(job_id);
  if (!tasks.ok()) return false;
  std::map<std::string, TaskRecord> by_id;
  for (const TaskRecord& t : *tasks) by_id[t.task_id] = t;
  out->finished_during = static_cast<int>(finished.size());
  for (const std::string& id : finished) {
    auto it = by_id.find(id);
    out->stored_after += it != by_id.end() && it->second.state == TaskState::kDone;
  }
  for (const TaskRecord& t : *tasks) out->attempts_charged += std::max(0, t.attempts - 1);
  out->tasks = static_cast<int>(tasks->size());
  out->candidates_done = job.candidates_done();
  out->job_state = v1::JobState_Name(job.state());
  std::printf("%s: fault lasted %.0f s (steady clock of this driver); job %s, %d of %d "
              "candidates done, %d tasks\n",
              scenario.c_str(), fault_s, out->job_state.c_str(), out->candidates_done,
              evaluations, out->tasks);
  return true;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ::setenv("EDGENAS_LOG_LEVEL", "info", 1);  // executors log task finishes
  std::vector<std::pair<std::string, edgenas::Figures>> rows;
  for (const std::string scenario : {"stopped", "full"}) {
    if (absl::GetFlag(FLAGS_scenarios).find(scenario) == std::string::npos) continue;
    edgenas::Figures f;
    if (!edgenas::RunScenario(scenario, &f)) {
      std::printf("%s: did not complete\n", scenario.c_str());
      continue;
    }
    rows.push_back({scenario, f});
  }
  std::printf("\nscenario  fault                    finished_during  stored_after  attempts_charged\n");
  for (const auto& [scenario, f] : rows) {
    const std::string fault =
        scenario == "stopped"
            ? absl::StrCat("coordinator down ", absl::GetFlag(FLAGS_outage_s), " s")
            : absl::StrCat("database full ", absl::GetFlag(FLAGS_full_s), " s");
    std::printf("%-9s %-24s %15d %13d %17d\n", scenario.c_str(), fault.c_str(), f.finished_during,
                f.stored_after, f.attempts_charged);
  }
  std::printf(
      "\nsources: finished_during = distinct task ids in the executors' \"task finish\" log lines "
      "written during the fault; stored_after = those whose row in the coordinator's database "
      "(tasks table) is done once the job ended; attempts_charged = sum over the job's tasks of "
      "attempts - 1 (the same table).\n");
  return 0;
}
