#include "coordinator/job_manager.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/job_spec.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

constexpr int64_t kMaxLeaseWaitMs = 30000;
constexpr int64_t kMaxEventWaitMs = 30000;
constexpr int kMaxEventsPerBatch = 500;

bool IsTerminalState(v1::JobState s) {
  return s == v1::JOB_DONE || s == v1::JOB_FAILED || s == v1::JOB_CANCELLED;
}

}  // namespace

std::string NewId(const std::string& prefix) {
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrFormat("%s-%012x", prefix, gen() & 0xffffffffffffULL);
}

JobManager::JobManager(const JobManagerOptions& options)
    : store_(options.store),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
      options_(options),
      queue_(clock_, /*lease_ms_default=*/60000) {}

absl::StatusOr<std::unique_ptr<JobManager>> JobManager::Create(const JobManagerOptions& options) {
  if (options.store == nullptr) return absl::InvalidArgumentError("options.store is required");
  std::unique_ptr<JobManager> manager(new JobManager(options));
  {
    absl::MutexLock lock(&manager->mu_);
    RETURN_IF_ERROR(manager->LoadFromStore());
  }
  if (options.start_housekeeping_thread) {
    JobManager* m = manager.get();
    manager->housekeeping_ = std::thread([m] {
      absl::MutexLock lock(&m->mu_);
      while (!m->shutdown_) {
        m->work_cv_.WaitWithTimeout(&m->mu_,
                                    absl::Milliseconds(m->options_.housekeeping_interval_ms));
        if (!m->shutdown_) m->SweepLocked();
      }
    });
  }
  return manager;
}

JobManager::~JobManager() {
  Shutdown();
  if (housekeeping_.joinable()) housekeeping_.join();
}

void JobManager::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
  work_cv_.SignalAll();
  event_cv_.SignalAll();
}

absl::Status JobManager::LoadFromStore() {
  // Executors keep their ids across a coordinator restart, so their leases
  // and in-flight work stay valid.
  ASSIGN_OR_RETURN(std::vector<ExecutorRecord> executors, store_->ListExecutors());
  for (const ExecutorRecord& e : executors) {
    executors_[e.id] = Executor{e.kind, e.name, e.device_class};
  }
  ASSIGN_OR_RETURN(std::vector<v1::Job> jobs, store_->ListJobs());
  for (const v1::Job& job : jobs) {
    auto runtime = JobRuntime::Create(job);
    if (!runtime.ok()) {
      EDGENAS_LOG(kError, "coordinator", "cannot restore job ", job.id(), ": ",
                  runtime.status().ToString());
      continue;
    }
    JobRuntime* rt = runtime->get();
    ASSIGN_OR_RETURN(std::vector<TaskRecord> tasks, store_->ListTasks(job.id()));
    std::map<std::string, std::vector<std::string>> pending;
    for (const TaskRecord& t : tasks) {
      if (t.state == TaskState::kQueued || t.state == TaskState::kLeased) {
        pending[t.candidate_id].push_back(t.task_id);
      }
      if (!IsTerminalState(job.state())) RETURN_IF_ERROR(queue_.Restore(t));
    }
    ASSIGN_OR_RETURN(std::vector<v1::Candidate> candidates, store_->ListCandidates(job.id()));
    for (const v1::Candidate& c : candidates) rt->Restore(c, pending[c.id()]);
    ASSIGN_OR_RETURN(last_event_[job.id()], store_->LastEventSequence(job.id()));
    jobs_[job.id()] = std::move(*runtime);
    if (!IsTerminalState(job.state())) {
      EDGENAS_LOG(kInfo, "coordinator", "resuming job ", job.id(), " with ", candidates.size(),
                  " candidates");
      RETURN_IF_ERROR(Advance(rt));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<JobRuntime*> JobManager::FindJob(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id.substr(0, 100), "\""));
  }
  return it->second.get();
}

absl::StatusOr<v1::Job> JobManager::SubmitJob(v1::JobSpec spec) {
  RETURN_IF_ERROR(NormalizeJobSpec(&spec));
  v1::Job job;
  job.set_id(NewId("job"));
  *job.mutable_spec() = spec;
  job.set_state(v1::JOB_PENDING);
  job.set_created_unix_ms(Now());
  job.set_updated_unix_ms(Now());
  ASSIGN_OR_RETURN(std::unique_ptr<JobRuntime> runtime, JobRuntime::Create(job));
  absl::MutexLock lock(&mu_);
  JobRuntime* rt = runtime.get();
  RETURN_IF_ERROR(store_->PutJob(job));
  jobs_[job.id()] = std::move(runtime);
  last_event_[job.id()] = 0;
  EDGENAS_LOG(kInfo, "coordinator", "job ", job.id(), " submitted: space=", spec.space().name(),
              " strategy=", spec.strategy().name(),
              " max_evaluations=", spec.budget().max_evaluations());
  // Create the first candidates before announcing SEARCHING, so the first
  // event already shows work in flight.
  RETURN_IF_ERROR(FillJob(rt));
  RETURN_IF_ERROR(SetState(rt, v1::JOB_SEARCHING, ""));
  return rt->job();
}

absl::StatusOr<v1::Job> JobManager::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  return rt->job();
}

std::vector<v1::Job> JobManager::ListJobs() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Job> jobs;
  for (const auto& [id, rt] : jobs_) jobs.push_back(rt->job());
  std::sort(jobs.begin(), jobs.end(), [](const v1::Job& a, const v1::Job& b) {
    return a.created_unix_ms() < b.created_unix_ms();
  });
  return jobs;
}

absl::StatusOr<v1::Job> JobManager::CancelJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  if (rt->IsTerminal()) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " has already ended"));
  }
  rt->StopCreating();
  const int64_t now = Now();
  RETURN_IF_ERROR(store_->RunInTransaction([&]() -> absl::Status {
    for (const TaskRecord& t : queue_.CancelJob(job_id)) RETURN_IF_ERROR(store_->PutTask(t));
    for (const v1::Candidate& c : rt->FailPending("job cancelled", now)) {
      RETURN_IF_ERROR(store_->PutCandidate(c));
    }
    return SetState(rt, v1::JOB_CANCELLED, "cancelled by user");
  }));
  return rt->job();
}

absl::StatusOr<v1::ParetoFront> JobManager::GetParetoFront(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  return rt->Front();
}

absl::StatusOr<v1::Candidate> JobManager::GetCandidate(const std::string& job_id,
                                                       const std::string& candidate_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  const v1::Candidate* c = rt->FindCandidate(candidate_id);
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("candidate_id: no candidate \"", candidate_id.substr(0, 100), "\""));
  }
  return *c;
}

absl::StatusOr<EventBatch> JobManager::WaitForEvents(const std::string& job_id,
                                                     int64_t after_sequence, int64_t timeout_ms) {
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(std::clamp<int64_t>(timeout_ms, 0, kMaxEventWaitMs));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  while (!shutdown_ && last_event_[job_id] <= after_sequence && !rt->IsTerminal()) {
    if (event_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  EventBatch batch;
  ASSIGN_OR_RETURN(batch.events,
                   store_->ListEvents(job_id, after_sequence, kMaxEventsPerBatch));
  batch.job_terminal = rt->IsTerminal() && (batch.events.empty() ||
                                            batch.events.back().sequence() >= last_event_[job_id]);
  return batch;
}

absl::Status JobManager::SetState(JobRuntime* job, v1::JobState state,
                                  const std::string& message) {
  v1::Job* j = job->mutable_job();
  j->set_state(state);
  j->set_message(message);
  j->set_updated_unix_ms(Now());
  RETURN_IF_ERROR(store_->PutJob(*j));
  EDGENAS_LOG(kInfo, "coordinator", "job ", j->id(), " -> ", v1::JobState_Name(state),
              message.empty() ? "" : ": ", message);
  return AppendEvent(job, v1::EVENT_STATE_CHANGED, nullptr);
}

absl::Status JobManager::AppendEvent(JobRuntime* job, v1::EventType type,
                                     const v1::Candidate* candidate) {
  v1::JobEvent event;
  event.set_sequence(++last_event_[job->job().id()]);
  event.set_job_id(job->job().id());
  event.set_type(type);
  event.set_unix_ms(Now());
  *event.mutable_job() = job->job();
  event.mutable_job()->clear_spec();  // the spec is static; GetJob has it
  if (candidate != nullptr) *event.mutable_candidate() = *candidate;
  RETURN_IF_ERROR(store_->AppendEvent(event));
  event_cv_.SignalAll();
  return absl::OkStatus();
}

absl::Status JobManager::FillJob(JobRuntime* job) {
  const auto& budget = job->job().spec().budget();
  if (budget.max_wall_seconds() > 0 &&
      Now() - job->job().created_unix_ms() > budget.max_wall_seconds() * 1000 &&
      !job->CreationFinished()) {
    EDGENAS_LOG(kInfo, "coordinator", "job ", job->job().id(), " reached its wall-time budget");
    job->StopCreating();
    job->mutable_job()->set_message("wall-time budget reached");
  }
  std::vector<JobRuntime::NewCandidate> created = job->Fill(Now());
  if (created.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(store_->RunInTransaction([&]() -> absl::Status {
    for (const auto& nc : created) {
      RETURN_IF_ERROR(store_->PutCandidate(nc.candidate));
      for (const TaskRecord& t : nc.tasks) RETURN_IF_ERROR(store_->PutTask(t));
    }
    job->mutable_job()->set_updated_unix_ms(Now());
    return store_->PutJob(job->job());
  }));
  for (const auto& nc : created) {
    for (const TaskRecord& t : nc.tasks) RETURN_IF_ERROR(queue_.Add(t));
  }
  work_cv_.SignalAll();
  return absl::OkStatus();
}

absl::Status JobManager::Advance(JobRuntime* job) {
  if (job->IsTerminal()) return absl::OkStatus();
  RETURN_IF_ERROR(FillJob(job));
  if (job->creation_stopped() && !job->AllFinished()) {
    // Out of wall time: revoke outstanding work instead of waiting for it.
    const int64_t now = Now();
    for (const TaskRecord& t : queue_.CancelJob(job->job().id())) {
      RETURN_IF_ERROR(store_->PutTask(t));
    }
    for (const v1::Candidate& c : job->FailPending(job->job().message(), now)) {
      RETURN_IF_ERROR(store_->PutCandidate(c));
    }
  }
  if (!job->AllFinished()) return absl::OkStatus();
  const v1::Job& j = job->job();
  std::string message = absl::StrCat(j.candidates_done(), " candidates done, ",
                                     j.candidates_failed(), " failed or infeasible");
  if (!j.message().empty()) message = absl::StrCat(j.message(), "; ", message);
  if (j.candidates_done() == 0) {
    return SetState(job, v1::JOB_FAILED, absl::StrCat("no candidate succeeded; ", message));
  }
  return SetState(job, v1::JOB_DONE, message);
}

absl::Status JobManager::ApplyUpdate(JobRuntime* job, const JobRuntime::Update& update) {
  RETURN_IF_ERROR(store_->PutCandidate(update.candidate));
  RETURN_IF_ERROR(store_->PutJob(job->job()));
  if (update.finished) {
    const bool ok = update.candidate.state() == v1::CANDIDATE_DONE;
    EDGENAS_LOG(kInfo, "coordinator", "candidate ", update.candidate.id(), " ",
                v1::CandidateState_Name(update.candidate.state()), " ", update.candidate.arch(),
                ok ? "" : " reason: ", update.candidate.failure_reason());
    RETURN_IF_ERROR(AppendEvent(job, ok ? v1::EVENT_CANDIDATE_DONE : v1::EVENT_CANDIDATE_FAILED,
                                &update.candidate));
  }
  if (update.front_changed) RETURN_IF_ERROR(AppendEvent(job, v1::EVENT_FRONT_CHANGED, nullptr));
  return absl::OkStatus();
}

absl::StatusOr<v1::RegisterResponse> JobManager::Register(const v1::RegisterRequest& request) {
  if (request.kind() != v1::WORKER && request.kind() != v1::DEVICE_AGENT) {
    return absl::InvalidArgumentError("kind: must be WORKER or DEVICE_AGENT");
  }
  if (request.kind() == v1::DEVICE_AGENT && request.device_class().empty()) {
    return absl::InvalidArgumentError("device_class: required for a device agent");
  }
  if (request.kind() == v1::DEVICE_AGENT) {
    RETURN_IF_ERROR(ValidateDeviceClass(request.device_class(), "device_class"));
  }
  if (request.name().size() > 200) {
    return absl::InvalidArgumentError("name: must be at most 200 characters");
  }
  absl::MutexLock lock(&mu_);
  const std::string id = NewId(request.kind() == v1::WORKER ? "worker" : "agent");
  executors_[id] = Executor{request.kind(), request.name(), request.device_class()};
  ExecutorRecord record;
  record.id = id;
  record.kind = request.kind();
  record.name = request.name();
  record.device_class = request.device_class();
  record.registered_ms = Now();
  record.last_seen_ms = record.registered_ms;
  RETURN_IF_ERROR(store_->PutExecutor(record));
  EDGENAS_LOG(kInfo, "coordinator", "registered ", id, " name=", request.name(),
              " device_class=", request.device_class());
  v1::RegisterResponse response;
  response.set_executor_id(id);
  response.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  return response;
}

v1::Task JobManager::ToProto(const TaskRecord& t) {
  v1::Task task;
  task.set_task_id(t.task_id);
  task.set_job_id(t.job_id);
  task.set_candidate_id(t.candidate_id);
  task.set_kind(t.kind == TaskKind::kAccuracy ? v1::TASK_ACCURACY : v1::TASK_LATENCY);
  task.set_lease_token(t.lease_token);
  task.set_lease_expiry_unix_ms(t.lease_expiry_ms);
  task.set_attempt(t.attempts);
  task.set_device_class(t.device_class);
  auto it = jobs_.find(t.job_id);
  if (it != jobs_.end()) {
    *task.mutable_spec() = it->second->job().spec();
    if (const v1::Candidate* c = it->second->FindCandidate(t.candidate_id)) {
      task.set_space(c->space());
      task.set_arch(c->arch());
    }
  }
  return task;
}

absl::StatusOr<v1::LeaseResponse> JobManager::Lease(const v1::LeaseRequest& request) {
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(std::clamp<int64_t>(request.wait_ms(), 0, kMaxLeaseWaitMs));
  const int max_tasks = std::clamp(request.max_tasks(), 1, 16);
  absl::MutexLock lock(&mu_);
  auto ex = executors_.find(request.executor_id());
  if (ex == executors_.end()) {
    return absl::NotFoundError(absl::StrCat("executor_id: unknown executor \"",
                                            request.executor_id().substr(0, 100),
                                            "\"; register again"));
  }
  LeaseFilter filter;
  if (ex->second.kind == v1::WORKER) {
    filter.kinds = {TaskKind::kAccuracy};
  } else {
    filter.kinds = {TaskKind::kLatency};
    filter.device_class = ex->second.device_class;
  }
  v1::LeaseResponse response;
  while (!shutdown_) {
    SweepLocked();
    // Each task gets its job's lease length.
    std::vector<TaskRecord> leased =
        queue_.Lease(filter, max_tasks, request.executor_id(), /*lease_ms=*/60000);
    for (TaskRecord& t : leased) {
      auto job = jobs_.find(t.job_id);
      const int64_t lease_ms =
          job == jobs_.end() ? 60000 : job->second->job().spec().lease_seconds() * 1000LL;
      ASSIGN_OR_RETURN(t.lease_expiry_ms,
                       queue_.Heartbeat(t.task_id, t.lease_token, request.executor_id(), lease_ms));
      RETURN_IF_ERROR(store_->PutTask(t));
      EDGENAS_LOG(kInfo, "coordinator", "leased ", t.task_id, " to ", request.executor_id(),
                  " attempt ", t.attempts);
      *response.add_tasks() = ToProto(t);
    }
    if (!leased.empty()) break;
    if (work_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return response;
}

absl::StatusOr<v1::HeartbeatResponse> JobManager::Heartbeat(const v1::HeartbeatRequest& request) {
  absl::MutexLock lock(&mu_);
  if (executors_.find(request.executor_id()) == executors_.end()) {
    return absl::NotFoundError(absl::StrCat("executor_id: unknown executor \"",
                                            request.executor_id().substr(0, 100), "\""));
  }
  v1::HeartbeatResponse response;
  for (const v1::LeaseRef& ref : request.leases()) {
    auto task = queue_.Get(ref.task_id());
    int64_t lease_ms = 60000;
    if (task) {
      auto job = jobs_.find(task->job_id);
      if (job != jobs_.end()) lease_ms = job->second->job().spec().lease_seconds() * 1000LL;
    }
    auto expiry = queue_.Heartbeat(ref.task_id(), ref.lease_token(), request.executor_id(),
                                   lease_ms);
    if (expiry.ok()) {
      *response.add_extended() = ref;
      response.add_expiry_unix_ms(*expiry);
    } else {
      *response.add_lost() = ref;
    }
  }
  return response;
}

absl::StatusOr<v1::CompleteResponse> JobManager::Complete(const v1::CompleteRequest& request) {
  std::vector<v1::Metric> metrics(request.metrics().begin(), request.metrics().end());
  std::vector<std::string> notes(request.notes().begin(), request.notes().end());
  absl::MutexLock lock(&mu_);
  // Check everything that can refuse the result before anything changes.
  auto current = queue_.Get(request.task_id());
  if (!current) {
    return absl::NotFoundError(
        absl::StrCat("task_id: no task \"", request.task_id().substr(0, 100), "\""));
  }
  if (current->state == TaskState::kDone && current->lease_token == request.lease_token()) {
    v1::CompleteResponse response;
    response.set_duplicate(true);
    return response;
  }
  ASSIGN_OR_RETURN(JobRuntime * job, FindJob(current->job_id));
  if (job->FindCandidate(current->candidate_id) == nullptr) {
    return absl::InternalError(absl::StrCat("task ", current->task_id, " has no candidate"));
  }
  RETURN_IF_ERROR(JobRuntime::ValidateTaskMetrics(current->kind, metrics));
  ASSIGN_OR_RETURN(CompleteOutcome outcome,
                   queue_.Complete(request.task_id(), request.lease_token()));
  v1::CompleteResponse response;
  response.set_duplicate(outcome.duplicate);
  if (outcome.duplicate) return response;
  const TaskRecord& task = outcome.task;
  for (v1::Metric& m : metrics) {
    // Device metrics belong to the task's device class; others to none.
    m.set_device_class(task.kind == TaskKind::kLatency && IsDeviceMetric(m.name())
                           ? task.device_class
                           : std::string());
  }
  RETURN_IF_ERROR(store_->RunInTransaction([&]() -> absl::Status {
    RETURN_IF_ERROR(store_->PutTask(task));
    RETURN_IF_ERROR(store_->PutMetrics(task.candidate_id, task.task_id, metrics));
    ASSIGN_OR_RETURN(JobRuntime::Update update,
                     job->RecordTaskResult(task, metrics, notes, Now()));
    // Refill first so the events' job snapshots show the next work in flight.
    RETURN_IF_ERROR(FillJob(job));
    RETURN_IF_ERROR(ApplyUpdate(job, update));
    return Advance(job);
  }));
  EDGENAS_LOG(kInfo, "coordinator", "completed ", task.task_id, " by ", request.executor_id());
  return response;
}

absl::Status JobManager::Fail(const v1::FailRequest& request) {
  absl::MutexLock lock(&mu_);
  const std::string reason = request.reason().substr(0, 1024);
  ASSIGN_OR_RETURN(FailOutcome outcome,
                   queue_.Fail(request.task_id(), request.lease_token(), reason,
                               request.retryable()));
  EDGENAS_LOG(kWarning, "coordinator", "task ", request.task_id(), " failed (attempt ",
              outcome.task.attempts, "): ", reason);
  RETURN_IF_ERROR(store_->PutTask(outcome.task));
  if (outcome.task.state == TaskState::kFailed) return OnTaskExhausted(outcome.task);
  work_cv_.SignalAll();
  return absl::OkStatus();
}

absl::Status JobManager::OnTaskExhausted(const TaskRecord& task) {
  auto it = jobs_.find(task.job_id);
  if (it == jobs_.end()) return absl::OkStatus();
  JobRuntime* job = it->second.get();
  const std::string reason =
      absl::StrCat(TaskKindName(task.kind), " task failed after ", task.attempts,
                   " attempt(s): ", task.last_error);
  return store_->RunInTransaction([&]() -> absl::Status {
    ASSIGN_OR_RETURN(JobRuntime::Update update,
                     job->FailCandidate(task.candidate_id, reason, Now()));
    RETURN_IF_ERROR(FillJob(job));
    RETURN_IF_ERROR(ApplyUpdate(job, update));
    return Advance(job);
  });
}

void JobManager::SweepLocked() {
  for (const TaskRecord& t : queue_.ExpireLeases()) {
    EDGENAS_LOG(kWarning, "coordinator", "lease of ", t.task_id, " expired; ",
                t.state == TaskState::kFailed ? "attempts exhausted" : "requeued");
    absl::Status s = store_->PutTask(t);
    if (s.ok() && t.state == TaskState::kFailed) s = OnTaskExhausted(t);
    if (!s.ok()) EDGENAS_LOG(kError, "coordinator", "sweep: ", s.ToString());
    work_cv_.SignalAll();
  }
  for (auto& [id, job] : jobs_) {
    if (job->IsTerminal()) continue;
    absl::Status s = Advance(job.get());
    if (!s.ok()) EDGENAS_LOG(kError, "coordinator", "advance ", id, ": ", s.ToString());
  }
}

void JobManager::Tick() {
  absl::MutexLock lock(&mu_);
  SweepLocked();
}

}  // namespace edgenas
