#include "coordinator/metrics/coordinator_metrics.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/metrics/snapshot_collector.h"

namespace edgenas {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildHistogram;

std::string StateLabel(TaskState state) {
  switch (state) {
    case TaskState::kQueued: return "queued";
    case TaskState::kLeased: return "leased";
    case TaskState::kDone: return "done";
    case TaskState::kFailed: return "failed";
    case TaskState::kCancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace

std::string TaskKindLabel(TaskKind kind) {
  return kind == TaskKind::kAccuracy ? "accuracy" : "latency";
}

std::string BoundedSourceLabel(const std::string& source) {
  if (source.empty()) return "none";
  const std::vector<std::string> parts = absl::StrSplit(source, ':');
  static const std::set<std::string> kMethods = {"full_train", "flash_distill", "supernet",
                                                 "teacher"};
  static const std::set<std::string> kDevices = {"cpu", "cuda"};
  static const std::set<std::string> kRunners = {"libtorch-cpu"};
  if (parts[0] == "table" || parts[0] == "replay") return parts[0];
  if (parts[0] == "worker" && parts.size() == 3 && kMethods.count(parts[1]) &&
      kDevices.count(parts[2])) {
    return source;
  }
  if (parts[0] == "agent" && parts.size() == 2 && kRunners.count(parts[1])) return source;
  return "other";
}

CoordinatorMetrics::CoordinatorMetrics(prometheus::Registry& registry)
    : commit_seconds_(BuildHistogram()
                          .Name("edgenas_coordinator_sqlite_commit_seconds")
                          .Help("Time of one group-commit SQLite transaction (BEGIN to COMMIT, "
                                "fsync included)")
                          .Register(registry)
                          .Add({}, ExponentialBuckets(0.0001, 2, 18))),
      commit_operations_(BuildCounter()
                             .Name("edgenas_coordinator_sqlite_committed_operations_total")
                             .Help("Operations committed in group-commit batches")
                             .Register(registry)
                             .Add({})),
      commit_failures_(BuildCounter()
                           .Name("edgenas_coordinator_sqlite_commit_failures_total")
                           .Help("Batches whose write or commit failed (the coordinator stops)")
                           .Register(registry)
                           .Add({})),
      tasks_finished_(BuildCounter()
                          .Name("edgenas_coordinator_tasks_finished_total")
                          .Help("Tasks that ended, by kind and outcome (done, failed)")
                          .Register(registry)),
      task_duration_(BuildHistogram()
                         .Name("edgenas_coordinator_task_duration_seconds")
                         .Help("From a task's last lease to its result or final failure")
                         .Register(registry)),
      lease_expiries_(BuildCounter()
                          .Name("edgenas_coordinator_lease_expiries_total")
                          .Help("Leases that ran out before their holder reported, by kind and "
                                "outcome (requeued, exhausted)")
                          .Register(registry)),
      retries_(BuildCounter()
                   .Name("edgenas_coordinator_task_retries_total")
                   .Help("Retryable failures reported by executors that put a task back in "
                         "the queue")
                   .Register(registry)),
      results_(BuildCounter()
                   .Name("edgenas_coordinator_candidate_results_total")
                   .Help("Candidate results accepted, by task kind and metric source")
                   .Register(registry)) {
  // Zero series for every kind, so rates exist before the first event.
  for (TaskKind kind : {TaskKind::kAccuracy, TaskKind::kLatency}) {
    const std::string k = TaskKindLabel(kind);
    for (const char* outcome : {"done", "failed"}) tasks_finished_.Add({{"kind", k}, {"outcome", outcome}});
    for (const char* outcome : {"requeued", "exhausted"}) {
      lease_expiries_.Add({{"kind", k}, {"outcome", outcome}});
    }
    retries_.Add({{"kind", k}});
    task_duration_.Add({{"kind", k}}, ExponentialBuckets(0.01, 4, 11));
  }
}

void CoordinatorMetrics::OnBatchCommitted(double seconds, int operations, bool ok) {
  commit_seconds_.Observe(seconds);
  if (ok) {
    commit_operations_.Increment(operations);
  } else {
    commit_failures_.Increment();
  }
}

void CoordinatorMetrics::OnTaskEnded(TaskKind kind, TaskState state, double leased_seconds) {
  const std::string k = TaskKindLabel(kind);
  tasks_finished_.Add({{"kind", k}, {"outcome", StateLabel(state)}}).Increment();
  if (leased_seconds >= 0) {
    task_duration_.Add({{"kind", k}}, ExponentialBuckets(0.01, 4, 11)).Observe(leased_seconds);
  }
}

void CoordinatorMetrics::OnLeaseExpired(TaskKind kind, bool requeued) {
  lease_expiries_.Add({{"kind", TaskKindLabel(kind)}, {"outcome", requeued ? "requeued" : "exhausted"}})
      .Increment();
}

void CoordinatorMetrics::OnTaskRetried(TaskKind kind) {
  retries_.Add({{"kind", TaskKindLabel(kind)}}).Increment();
}

void CoordinatorMetrics::OnResultAccepted(TaskKind kind, const std::string& source) {
  results_.Add({{"kind", TaskKindLabel(kind)}, {"source", BoundedSourceLabel(source)}}).Increment();
}

std::vector<prometheus::MetricFamily> SnapshotFamilies(const CoordinatorSnapshot& s) {
  GaugeFamilyBuilder jobs("edgenas_coordinator_jobs", "Jobs known to the coordinator, by state");
  for (const char* state : {"pending", "preparing", "searching", "finalizing", "done", "failed",
                            "cancelled"}) {
    auto it = s.jobs_by_state.find(state);
    jobs.Add({{"state", state}}, it == s.jobs_by_state.end() ? 0 : it->second);
  }
  GaugeFamilyBuilder tasks("edgenas_coordinator_tasks",
                           "Tasks of unfinished jobs held in memory, by kind and state");
  GaugeFamilyBuilder depth("edgenas_coordinator_queue_depth",
                           "Queued tasks that can be leased now, by kind");
  for (TaskKind kind : {TaskKind::kAccuracy, TaskKind::kLatency}) {
    for (TaskState state : {TaskState::kQueued, TaskState::kLeased}) {
      auto it = s.tasks.find({kind, state});
      tasks.Add({{"kind", TaskKindLabel(kind)}, {"state", StateLabel(state)}},
                it == s.tasks.end() ? 0 : it->second);
    }
    auto it = s.leasable.find(kind);
    depth.Add({{"kind", TaskKindLabel(kind)}}, it == s.leasable.end() ? 0 : it->second);
  }
  GaugeFamilyBuilder registered("edgenas_coordinator_executors_registered",
                                "Workers and agents registered, by kind and device class");
  GaugeFamilyBuilder live("edgenas_coordinator_executors_live",
                          "Workers and agents heard from recently, by kind and device class");
  // Workers always have a series, so "no worker" reads 0, not absent.
  bool any_worker = false;
  for (const auto& [key, group] : s.executors) {
    any_worker |= key.first == "worker";
    registered.Add({{"kind", key.first}, {"device_class", key.second}}, group.registered);
    live.Add({{"kind", key.first}, {"device_class", key.second}}, group.live);
  }
  if (!any_worker) {
    registered.Add({{"kind", "worker"}, {"device_class", "none"}}, 0);
    live.Add({{"kind", "worker"}, {"device_class", "none"}}, 0);
  }
  GaugeFamilyBuilder parked("edgenas_coordinator_parked_lease_polls",
                            "Lease long polls parked waiting for work (idle executors)");
  parked.Add({}, s.parked_lease_polls);

  GaugeFamilyBuilder info("edgenas_job_info", "1 per unfinished job, labelled with its state");
  GaugeFamilyBuilder candidates("edgenas_job_candidates",
                                "Candidates of an unfinished job, by state (done, failed, pending)");
  GaugeFamilyBuilder budget("edgenas_job_budget_evaluations",
                            "The job's evaluation budget (budget.max_evaluations)");
  GaugeFamilyBuilder wall_budget("edgenas_job_budget_wall_seconds",
                                 "The job's wall-time budget (0 = none)");
  GaugeFamilyBuilder elapsed("edgenas_job_elapsed_seconds", "Time since the job was submitted");
  GaugeFamilyBuilder hypervolume("edgenas_job_hypervolume",
                                 "Hypervolume of the job's Pareto front (fixed reference point)");
  GaugeFamilyBuilder front("edgenas_job_front_size", "Candidates on the job's Pareto front");
  GaugeFamilyBuilder best("edgenas_job_best_accuracy_ratio",
                          "Highest accuracy on the job's front, as a fraction");
  for (const CoordinatorSnapshot::Job& j : s.jobs) {
    const GaugeFamilyBuilder::Labels id = {{"job_id", j.job_id}};
    info.Add({{"job_id", j.job_id}, {"state", j.state}}, 1);
    candidates.Add({{"job_id", j.job_id}, {"state", "done"}}, j.candidates_done);
    candidates.Add({{"job_id", j.job_id}, {"state", "failed"}}, j.candidates_failed);
    candidates.Add({{"job_id", j.job_id}, {"state", "pending"}}, j.candidates_pending);
    budget.Add(id, j.budget_evaluations);
    wall_budget.Add(id, j.budget_wall_seconds);
    elapsed.Add(id, j.elapsed_seconds);
    hypervolume.Add(id, j.hypervolume);
    front.Add(id, j.front_size);
    if (j.best_accuracy) best.Add(id, *j.best_accuracy);
  }
  std::vector<prometheus::MetricFamily> out;
  for (GaugeFamilyBuilder* f : {&jobs, &tasks, &depth, &registered, &live, &parked, &info,
                                &candidates, &budget, &wall_budget, &elapsed, &hypervolume,
                                &front, &best}) {
    out.push_back(std::move(*f).Build());
  }
  return out;
}

}  // namespace edgenas
