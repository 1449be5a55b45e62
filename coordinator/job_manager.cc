// JobManager: loading, the operations behind each RPC, and the job
// lifecycle. Operations run on the committer thread (job_manager_pipeline.cc)
// under mu_, inside the batch's transaction.
#include "coordinator/job_manager.h"

#include <algorithm>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "common/job_spec.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/status_macros.h"
#include "coordinator/candidate_listing.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/job_listing.h"
#include "coordinator/lease_rules.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace edgenas {
namespace {

// The observer of a manager that was given none.
CoordinatorObserver* NoObserver() {
  static CoordinatorObserver* const none = new CoordinatorObserver();
  return none;
}

bool IsTerminalState(v1::JobState s) {
  return s == v1::JOB_DONE || s == v1::JOB_FAILED || s == v1::JOB_CANCELLED;
}

// OK for a capability or device-like name: 1-64 of [A-Za-z0-9_.:-].
absl::Status ValidateName(const std::string& value, const std::string& field, size_t max_len,
                          bool free_text) {
  if (value.empty() || value.size() > max_len) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be 1 to ", max_len, " characters, got ", value.size()));
  }
  for (char ch : value) {
    const bool ok = free_text ? (ch >= 0x20 && ch < 0x7f && ch != ',')
                              : (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                                 ch == '.' || ch == ':' || ch == '-');
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": character 0x", absl::Hex(static_cast<unsigned char>(ch)),
                       " is not allowed"));
    }
  }
  return absl::OkStatus();
}

// True when `elapsed_ms` exceeds a wall-time budget of `max_wall_seconds`
// (0: none); never overflows, whatever a stored spec says.
bool WallBudgetSpent(int64_t elapsed_ms, int64_t max_wall_seconds) {
  if (max_wall_seconds <= 0) return false;
  if (max_wall_seconds > std::numeric_limits<int64_t>::max() / 1000) return false;
  return elapsed_ms > max_wall_seconds * 1000;
}

// The job record's bytes, the same for equal records (maps in order).
std::string DeterministicBytes(const v1::Job& job) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  job.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
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
      observer_(options.observer != nullptr ? options.observer : NoObserver()),
      queue_(clock_, /*lease_ms_default=*/60000, /*retire_finished=*/true) {}

absl::StatusOr<std::unique_ptr<JobManager>> JobManager::Create(const JobManagerOptions& options) {
  if (options.store == nullptr) return absl::InvalidArgumentError("options.store is required");
  RETURN_IF_ERROR(
      ValidateExecutorRetention(options.executor_retention_ms, "options.executor_retention_ms"));
  std::unique_ptr<JobManager> manager(new JobManager(options));
  std::vector<std::pair<std::string, std::string>> release;  // of jobs that ended on resume
  {
    absl::MutexLock lock(&manager->mu_);
    JobManager* m = manager.get();
    absl::Status resumed =
        options.store->RunInTransaction([m]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          m->batch_error_ = absl::OkStatus();
          RETURN_IF_ERROR(m->LoadFromStore());
          m->FlushDirtyJobs();
          return m->batch_error_;
        });
    if (!resumed.ok()) {
      // A full or read-only database still starts: from what is stored,
      // refusing new work until it takes writes again.
      if (!absl::IsResourceExhausted(resumed) && !absl::IsPermissionDenied(resumed) &&
          !absl::IsAborted(resumed)) {
        return resumed;
      }
      manager->store_fault_ = StoreFaultStatus(resumed);
      manager->SyncLeaseExpiry();
      EDGENAS_LOG(kError, "coordinator", "cannot write to the database at startup; serving ",
                  "what is stored and refusing new work until it can: ", resumed.ToString());
      RETURN_IF_ERROR(manager->ReloadFromStore());
    }
    if (resumed.ok()) release.swap(manager->weights_to_release_);
    manager->weights_to_release_.clear();
    manager->retired_.clear();
    manager->touched_jobs_.clear();
  }
  if (options.release_weights) {
    for (const auto& [job_id, candidate_id] : release) options.release_weights(job_id, candidate_id);
  }
  manager->replier_ = std::thread([m = manager.get()] { m->ReplierLoop(); });
  manager->committer_ = std::thread([m = manager.get()] { m->CommitterLoop(); });
  return manager;
}

JobManager::~JobManager() { Shutdown(); }

absl::Status JobManager::LoadFromStore(bool resume) {
  // Executors keep their ids across a coordinator restart, so their leases
  // and in-flight work stay valid.
  ASSIGN_OR_RETURN(std::vector<ExecutorRecord> executors, store_->ListExecutors());
  for (const ExecutorRecord& e : executors) {
    executors_[e.id] = Executor{e.kind, e.name, e.device_class, e.capabilities,
                                /*last_seen_ms=*/0, /*known_since_ms=*/Now()};
  }
  ASSIGN_OR_RETURN(std::vector<v1::Job> jobs, store_->ListJobs());
  for (const v1::Job& job : jobs) {
    ASSIGN_OR_RETURN(last_event_[job.id()], store_->LastEventSequence(job.id()));
    if (IsTerminalState(job.state())) {
      ended_jobs_[job.id()] = job.state();  // read from the store when asked for
      continue;
    }
    LoadOrPark(job, resume);  // a job that cannot be loaded is shown so and retried
  }
  return absl::OkStatus();
}

absl::Status JobManager::LoadJob(const v1::Job& job, bool resume) {
  std::unique_ptr<Evaluator> evaluator;
  if (options_.evaluator_override) evaluator = options_.evaluator_override(job.spec());
  ASSIGN_OR_RETURN(std::unique_ptr<JobRuntime> runtime,
                   JobRuntime::Create(job, std::move(evaluator)));
  ASSIGN_OR_RETURN(std::vector<TaskRecord> tasks, store_->ListTasks(job.id()));
  ASSIGN_OR_RETURN(std::vector<v1::Candidate> candidates, store_->ListCandidates(job.id()));
  ASSIGN_OR_RETURN(std::vector<StrategyCall> log, store_->ListStrategyCalls(job.id()));
  ASSIGN_OR_RETURN(std::vector<v1::LatencyTable> snapshot,
                   store_->ListJobLatencyTables(job.id()));
  const size_t count = candidates.size();
  RETURN_IF_ERROR(runtime->Restore(std::move(candidates), tasks, log));
  // Screens with the tables it was submitted with, whatever was profiled
  // since; a job stored before jobs kept their tables takes today's, once.
  std::vector<v1::LatencyTable> used;
  AttachScreener(runtime.get(), /*at_submit=*/false, snapshot.empty() ? nullptr : &snapshot,
                 &used)
      .IgnoreError();  // runs unscreened, says why
  if (resume && snapshot.empty() && !used.empty()) {
    Write(store_->PutJobLatencyTables(job.id(), used));
  }
  // Leases the store holds live at least one lease duration from now.
  const int64_t grace_ms = JobLeaseMs(job.spec());
  for (const TaskRecord& t : tasks) RETURN_IF_ERROR(queue_.Restore(t, grace_ms));
  JobRuntime* rt = runtime.get();
  jobs_[job.id()] = std::move(runtime);
  // A reload follows a rolled-back batch: the committed state it reads
  // needs no repair, and the next batch advances the job.
  if (!resume) return absl::OkStatus();
  EDGENAS_LOG(kInfo, "coordinator", "resuming job ", job.id(), " with ", count,
              " candidates and ", log.size(), " strategy calls replayed");
  for (const JobRuntime::Update& u : rt->RecoverStuck(tasks, Now())) {
    EDGENAS_LOG(kWarning, "coordinator", "candidate ", u.candidate.id(),
                " had no open task left; now ", v1::CandidateState_Name(u.candidate.state()));
    ApplyUpdate(rt, u);
  }
  Advance(rt);
  return absl::OkStatus();
}

absl::StatusOr<JobRuntime*> JobManager::FindJob(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) return it->second.get();
  if (ended_jobs_.count(job_id) > 0) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " has already ended"));
  }
  auto unloaded = unloaded_jobs_.find(job_id);
  if (unloaded != unloaded_jobs_.end()) return UnloadedStatus(job_id, unloaded->second);
  return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id.substr(0, 100), "\""));
}

absl::StatusOr<v1::Job> JobManager::JobRecord(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) return it->second->job();
  if (ended_jobs_.count(job_id) > 0) return store_->GetJob(job_id);
  auto unloaded = unloaded_jobs_.find(job_id);
  if (unloaded != unloaded_jobs_.end()) return UnloadedRecord(unloaded->second);
  return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id.substr(0, 100), "\""));
}

absl::Status JobManager::JobKnown(const std::string& job_id) {
  if (jobs_.count(job_id) > 0 || ended_jobs_.count(job_id) > 0 ||
      unloaded_jobs_.count(job_id) > 0) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id.substr(0, 100), "\""));
}

// --- SearchService ---

absl::StatusOr<v1::Job> JobManager::SubmitJob(v1::JobSpec spec) {
  RETURN_IF_ERROR(NormalizeJobSpec(&spec, RegisteredJobSpecNames()));
  return RunSync<v1::Job>([this, spec]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return DoSubmit(spec);
  });
}

void JobManager::SubmitJobAsync(v1::JobSpec spec, Callback<v1::Job> done) {
  absl::Status valid = NormalizeJobSpec(&spec, RegisteredJobSpecNames());
  if (!valid.ok()) {
    done(valid);
    return;
  }
  Submit(MakeOp<v1::Job>(
      [this, spec]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoSubmit(spec); }, std::move(done)));
}

absl::StatusOr<v1::Job> JobManager::DoSubmit(v1::JobSpec spec) {
  v1::Job job;
  job.set_id(NewId("job"));
  *job.mutable_spec() = spec;
  job.set_state(v1::JOB_PENDING);
  job.set_created_unix_ms(Now());
  job.set_updated_unix_ms(Now());
  std::unique_ptr<Evaluator> evaluator;
  if (options_.evaluator_override) evaluator = options_.evaluator_override(spec);
  ASSIGN_OR_RETURN(std::unique_ptr<JobRuntime> runtime,
                   JobRuntime::Create(job, std::move(evaluator)));
  std::vector<v1::LatencyTable> screen_tables;
  RETURN_IF_ERROR(
      AttachScreener(runtime.get(), /*at_submit=*/true, /*snapshot=*/nullptr, &screen_tables));
  JobRuntime* rt = runtime.get();
  // Refused before anything is written: the store cannot take new work now.
  if (!store_fault_.ok()) return store_fault_;
  if (!Write(store_->PutJob(job))) return batch_error_;
  // The job keeps its own copies: a later re-profile does not change what
  // it screens with, also after a restart.
  if (!screen_tables.empty() && !Write(store_->PutJobLatencyTables(job.id(), screen_tables))) {
    return batch_error_;
  }
  jobs_[job.id()] = std::move(runtime);
  last_event_[job.id()] = 0;
  EDGENAS_LOG(kInfo, "coordinator", "job ", job.id(), " submitted: space=", spec.space().name(),
              " strategy=", spec.strategy().name(), " evaluation=", spec.evaluation().mode(),
              " max_evaluations=", spec.budget().max_evaluations());
  const std::string id = job.id();
  Advance(rt);
  return JobRecord(id);
}

absl::StatusOr<v1::Job> JobManager::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  if (broken_) return broken_reason_;
  return JobRecord(job_id);
}

absl::StatusOr<v1::ListJobsResponse> JobManager::ListJobs(const v1::ListJobsRequest& request) {
  ASSIGN_OR_RETURN(const JobQuery query, ParseJobQuery(request));
  absl::MutexLock lock(&mu_);
  if (broken_) return broken_reason_;
  // Under mu_ the store holds exactly the state in memory (every batch
  // writes its jobs before it commits), live jobs included; a job that
  // could not be loaded is shown as UnloadedRecord shows it.
  JobPage page(query);
  const std::map<std::string, UnloadedJob>& unloaded = unloaded_jobs_;
  RETURN_IF_ERROR(store_->ForEachJobAfter(
      query.from_start, query.after_created_ms, query.after_id, [&page, &unloaded](v1::Job job) {
        auto parked = unloaded.find(job.id());
        if (parked != unloaded.end()) job = UnloadedRecord(parked->second);
        return page.Offer(std::move(job));
      }));
  return std::move(page).Finish();
}

absl::StatusOr<v1::Job> JobManager::CancelJob(const std::string& job_id) {
  return RunSync<v1::Job>([this, job_id]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return DoCancel(job_id);
  });
}

void JobManager::CancelJobAsync(const std::string& job_id, Callback<v1::Job> done) {
  Submit(MakeOp<v1::Job>(
      [this, job_id]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoCancel(job_id); },
      std::move(done)));
}

absl::StatusOr<v1::Job> JobManager::DoCancel(const std::string& job_id) {
  if (unloaded_jobs_.count(job_id) > 0) return CancelUnloaded(job_id);
  ASSIGN_OR_RETURN(JobRuntime * rt, FindJob(job_id));
  rt->StopCreating();
  for (const v1::Candidate& c : rt->FailPending("job cancelled", Now())) {
    Write(store_->UpdateCandidate(c));
  }
  MarkDirty(rt);
  EndJob(rt, v1::JOB_CANCELLED, "cancelled by user");
  return JobRecord(job_id);
}

absl::StatusOr<v1::ParetoFront> JobManager::GetParetoFront(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  if (broken_) return broken_reason_;
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) {
    // The live archive decides the members; their records are the store's
    // (as GetCandidate and ListCandidates show them).
    v1::ParetoFront front = it->second->Front();
    for (v1::Candidate& c : *front.mutable_candidates()) {
      ASSIGN_OR_RETURN(c, store_->GetCandidate(c.id()));
    }
    return front;
  }
  ASSIGN_OR_RETURN(v1::Job job, JobRecord(job_id));
  ASSIGN_OR_RETURN(std::vector<v1::Candidate> candidates, store_->ListCandidates(job_id));
  return FrontOfStoredJob(job, candidates);
}

absl::StatusOr<v1::Candidate> JobManager::GetCandidate(const std::string& job_id,
                                                       const std::string& candidate_id) {
  absl::MutexLock lock(&mu_);
  if (broken_) return broken_reason_;
  const auto not_found = absl::NotFoundError(
      absl::StrCat("candidate_id: no candidate \"", candidate_id.substr(0, 100), "\""));
  // From the store for every job: a live job keeps finished candidates
  // off the front compact, and one source keeps GetCandidate, ListCandidates
  // and GetParetoFront alike.
  RETURN_IF_ERROR(JobKnown(job_id));
  auto stored = store_->GetCandidate(candidate_id);
  if (!stored.ok() || stored->job_id() != job_id) return not_found;
  return stored;
}

absl::StatusOr<v1::ListCandidatesResponse> JobManager::ListCandidates(
    const v1::ListCandidatesRequest& request) {
  ASSIGN_OR_RETURN(const CandidateQuery query, ParseCandidateQuery(request));
  {
    absl::MutexLock lock(&mu_);
    if (broken_) return broken_reason_;
    RETURN_IF_ERROR(JobKnown(query.job_id));
  }
  // Every job's candidates are read from the store (a live job keeps its
  // finished ones compact), without holding up the committer: a batch's
  // transaction holds the store until it commits, so the read sees the
  // job as last committed.
  ASSIGN_OR_RETURN(const std::vector<v1::Candidate> stored, store_->ListCandidates(query.job_id));
  std::vector<const v1::Candidate*> in_order;
  in_order.reserve(stored.size());
  for (const v1::Candidate& c : stored) in_order.push_back(&c);
  return PageCandidates(query, in_order);
}

// --- TaskService ---

absl::StatusOr<const JobManager::Executor*> JobManager::FindExecutor(
    const std::string& executor_id) {
  auto ex = executors_.find(executor_id);
  if (ex == executors_.end()) {
    return absl::NotFoundError(absl::StrCat("executor_id: unknown executor \"",
                                            executor_id.substr(0, 100), "\"; register again"));
  }
  ex->second.last_seen_ms = Now();
  return &ex->second;
}

absl::StatusOr<v1::RegisterResponse> JobManager::Register(const v1::RegisterRequest& request) {
  return Await<v1::RegisterResponse>([&](Callback<v1::RegisterResponse> done) { RegisterAsync(request, std::move(done)); });
}

// Checks everything a registration can be refused for; OK otherwise.
static absl::Status ValidateRegistration(const v1::RegisterRequest& request) {
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
  if (request.capabilities_size() > kMaxCapabilities) {
    return absl::InvalidArgumentError(absl::StrCat("capabilities: at most ", kMaxCapabilities,
                                                   ", got ", request.capabilities_size()));
  }
  for (int i = 0; i < request.capabilities_size(); ++i) {
    RETURN_IF_ERROR(ValidateName(request.capabilities(i), absl::StrCat("capabilities[", i, "]"),
                                 64, /*free_text=*/false));
  }
  if (request.accelerators_size() > kMaxAccelerators) {
    return absl::InvalidArgumentError(absl::StrCat("accelerators: at most ", kMaxAccelerators,
                                                   ", got ", request.accelerators_size()));
  }
  for (int i = 0; i < request.accelerators_size(); ++i) {
    RETURN_IF_ERROR(ValidateName(request.accelerators(i), absl::StrCat("accelerators[", i, "]"),
                                 128, /*free_text=*/true));
  }
  return ValidateDeviceDescriptor(request.device(), "device");
}

void JobManager::RegisterAsync(const v1::RegisterRequest& request,
                               Callback<v1::RegisterResponse> done) {
  RegisterAsync(request, /*owner_identity=*/"", std::move(done));
}

void JobManager::RegisterAsync(const v1::RegisterRequest& request,
                               const std::string& owner_identity,
                               Callback<v1::RegisterResponse> done) {
  absl::Status valid = ValidateRegistration(request);
  if (!valid.ok()) {
    done(valid);
    return;
  }
  Submit(MakeOp<v1::RegisterResponse>(
      [this, request, owner_identity]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return DoRegister(request, owner_identity);
      },
      std::move(done)));
}

absl::StatusOr<v1::RegisterResponse> JobManager::DoRegister(const v1::RegisterRequest& request,
                                                            const std::string& owner_identity) {
  const std::string id = NewId(request.kind() == v1::WORKER ? "worker" : "agent");
  ExecutorRecord record;
  record.id = id;
  record.kind = request.kind();
  record.name = request.name();
  record.device_class = request.device_class();
  record.registered_ms = Now();
  record.last_seen_ms = record.registered_ms;
  record.capabilities.assign(request.capabilities().begin(), request.capabilities().end());
  record.accelerators.assign(request.accelerators().begin(), request.accelerators().end());
  record.device = request.device();
  record.owner_identity = owner_identity;
  if (!Write(store_->PutExecutor(record))) return batch_error_;
  executors_[id] = Executor{request.kind(), request.name(), request.device_class(),
                            record.capabilities, record.registered_ms};
  EDGENAS_LOG(kInfo, "coordinator", "registered ", id, " name=", request.name(),
              " device_class=", request.device_class(),
              " capabilities=", absl::StrJoin(record.capabilities, ","));
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
  task.set_operation(t.operation);
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

std::vector<v1::Task> JobManager::LeaseLocked(const std::string& executor_id,
                                              const LeaseFilter& filter, int max_tasks) {
  std::vector<v1::Task> out;
  for (TaskRecord& t : queue_.Lease(filter, max_tasks, executor_id, /*lease_ms=*/60000)) {
    auto job = jobs_.find(t.job_id);
    const int64_t lease_ms =
        job == jobs_.end() ? 60000 : job->second->job().spec().lease_seconds() * 1000LL;
    auto expiry = queue_.Heartbeat(t.task_id, t.lease_token, executor_id, lease_ms);
    if (expiry.ok()) t.lease_expiry_ms = *expiry;
    Write(store_->UpdateTask(t));
    out.push_back(ToProto(t));
  }
  return out;
}

absl::StatusOr<v1::HeartbeatResponse> JobManager::Heartbeat(const v1::HeartbeatRequest& request) {
  return Await<v1::HeartbeatResponse>([&](Callback<v1::HeartbeatResponse> done) { HeartbeatAsync(request, std::move(done)); });
}

void JobManager::HeartbeatAsync(const v1::HeartbeatRequest& request,
                                Callback<v1::HeartbeatResponse> done) {
  if (request.leases_size() > kMaxLeasesPerHeartbeat) {
    done(absl::InvalidArgumentError(absl::StrCat("leases: at most ", kMaxLeasesPerHeartbeat,
                                                 " per heartbeat, got ",
                                                 request.leases_size())));
    return;
  }
  Submit(MakeOp<v1::HeartbeatResponse>(
      [this, request]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoHeartbeat(request); },
      std::move(done)));
}

absl::StatusOr<v1::HeartbeatResponse> JobManager::DoHeartbeat(
    const v1::HeartbeatRequest& request) {
  RETURN_IF_ERROR(FindExecutor(request.executor_id()).status());
  RETURN_IF_ERROR(CheckHeartbeatHolder(queue_, request));  // before anything changes
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
      // Stored, so a restart honours the extension.
      if (auto extended = queue_.Get(ref.task_id())) Write(store_->UpdateTask(*extended));
      *response.add_extended() = ref;
      response.add_expiry_unix_ms(*expiry);
    } else {
      *response.add_lost() = ref;
    }
  }
  return response;
}

absl::StatusOr<v1::CompleteResponse> JobManager::Complete(const v1::CompleteRequest& request) {
  return Await<v1::CompleteResponse>([&](Callback<v1::CompleteResponse> done) { CompleteAsync(request, std::move(done)); });
}

void JobManager::CompleteAsync(const v1::CompleteRequest& request,
                               Callback<v1::CompleteResponse> done) {
  Submit(MakeOp<v1::CompleteResponse>(
      [this, request]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoComplete(request); },
      std::move(done)));
}

absl::StatusOr<v1::CompleteResponse> JobManager::DoComplete(const v1::CompleteRequest& request) {
  // Everything that can refuse the result is checked before anything changes.
  RETURN_IF_ERROR(FindExecutor(request.executor_id()).status());
  std::vector<v1::Metric> metrics(request.metrics().begin(), request.metrics().end());
  std::vector<std::string> notes(request.notes().begin(), request.notes().end());
  RETURN_IF_ERROR(ValidateReportValues(metrics, notes));
  auto checked = queue_.CheckComplete(request.task_id(), request.lease_token(),
                                      request.executor_id());
  if (!checked.ok()) {
    if (!absl::IsNotFound(checked.status())) return checked.status();
    RETURN_IF_ERROR(CheckTaskJobLoaded(request.task_id()));  // kept for later: retry
    // Finished tasks leave memory; the store says whether this is a repeat
    // of the completion that finished it.
    auto stored = store_->GetTask(request.task_id());
    if (stored.ok() && stored->state == TaskState::kDone && !request.lease_token().empty() &&
        stored->lease_token == request.lease_token()) {
      if (stored->lease_owner != request.executor_id()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "cannot complete task ", request.task_id(), ": completed by another executor"));
      }
      v1::CompleteResponse duplicate;
      duplicate.set_duplicate(true);
      return duplicate;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("task_id: no open task \"", request.task_id().substr(0, 100), "\"",
                     stored.ok() ? absl::StrCat(" (it is ", TaskStateName(stored->state), ")")
                                 : " (unknown, or its job has ended)",
                     "; drop the result"));
  }
  v1::CompleteResponse response;
  if (checked->duplicate) {
    response.set_duplicate(true);
    return response;
  }
  ASSIGN_OR_RETURN(JobRuntime * job, FindJob(checked->task.job_id));
  RETURN_IF_ERROR(job->ValidateReport(checked->task, metrics, notes));

  ASSIGN_OR_RETURN(CompleteOutcome outcome,
                   queue_.Complete(request.task_id(), request.lease_token(),
                                   request.executor_id()));
  const TaskRecord& task = outcome.task;
  observer_->OnTaskEnded(task.kind, task.state,
                         task.leased_ms > 0 ? (Now() - task.leased_ms) / 1000.0 : -1.0);
  if (!task.candidate_id.empty()) {
    observer_->OnResultAccepted(task.kind, metrics.empty() ? "" : metrics.front().source());
  }
  AttributeMetrics(task, &metrics);
  const int fidelity = job->FidelityOf(task);
  for (v1::Metric& m : metrics) m.set_fidelity(fidelity);
  Write(store_->UpdateTask(task));
  if (!task.candidate_id.empty()) {
    Write(store_->PutMetrics(task.candidate_id, task.task_id, metrics));
  }
  ASSIGN_OR_RETURN(JobRuntime::Update update, job->RecordTaskResult(task, metrics, notes, Now()));
  AddTasks(update.new_tasks);
  if (task.candidate_id.empty()) {
    MarkDirty(job);
  } else {
    // Refill first so the events' job snapshots show the next work in flight.
    FillJob(job);
    ApplyUpdate(job, update);
  }
  Advance(job);
  return response;
}

absl::Status JobManager::Fail(const v1::FailRequest& request) {
  return Await<v1::FailResponse>([&](Callback<v1::FailResponse> done) {
           FailAsync(request, std::move(done));
         }).status();
}

void JobManager::FailAsync(const v1::FailRequest& request, Callback<v1::FailResponse> done) {
  Submit(MakeOp<v1::FailResponse>(
      [this, request]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoFail(request); },
      std::move(done)));
}

absl::StatusOr<v1::FailResponse> JobManager::DoFail(const v1::FailRequest& request) {
  RETURN_IF_ERROR(FindExecutor(request.executor_id()).status());
  const std::string reason = request.reason().substr(0, 1024);
  auto outcome = queue_.Fail(request.task_id(), request.lease_token(), request.executor_id(),
                             reason, request.retryable() && !request.job_fatal());
  if (!outcome.ok()) {
    if (absl::IsNotFound(outcome.status())) {
      RETURN_IF_ERROR(CheckTaskJobLoaded(request.task_id()));  // kept for later: retry
      return absl::FailedPreconditionError(
          absl::StrCat("task_id: no open task \"", request.task_id().substr(0, 100), "\""));
    }
    return outcome.status();
  }
  EDGENAS_LOG(kWarning, "coordinator", "task ", request.task_id(), " failed (attempt ",
              outcome->task.attempts, "): ", reason);
  Write(store_->UpdateTask(outcome->task));
  if (request.job_fatal()) {
    // Retrying, or any other task of the job, cannot help: the job ends now
    // with the executor's reason (e.g. the list of bad files).
    const TaskRecord& t = outcome->task;
    observer_->OnTaskEnded(t.kind, t.state,
                           t.leased_ms > 0 ? (Now() - t.leased_ms) / 1000.0 : -1.0);
    auto it = jobs_.find(t.job_id);
    if (it != jobs_.end()) EndJob(it->second.get(), v1::JOB_FAILED, reason);
    return v1::FailResponse();
  }
  if (outcome->task.state == TaskState::kFailed) {
    const TaskRecord& t = outcome->task;
    observer_->OnTaskEnded(t.kind, t.state, t.leased_ms > 0 ? (Now() - t.leased_ms) / 1000.0 : -1.0);
    OnTaskExhausted(outcome->task);
  } else {
    observer_->OnTaskRetried(outcome->task.kind);
  }
  return v1::FailResponse();
}

// --- lifecycle ---

void JobManager::MarkDirty(JobRuntime* job) {
  job->mutable_job()->set_updated_unix_ms(Now());
  dirty_jobs_[job->job().id()] = job;
}

void JobManager::FlushDirtyJobs() {
  for (auto& [id, job] : dirty_jobs_) {
    Write(store_->UpdateJobRecord(job->job()));
    Write(store_->AppendStrategyCalls(id, job->TakeStrategyCalls()));
  }
  dirty_jobs_.clear();
}

void JobManager::SetState(JobRuntime* job, v1::JobState state, const std::string& message) {
  v1::Job* j = job->mutable_job();
  j->set_state(state);
  j->set_message(message);
  MarkDirty(job);
  EDGENAS_LOG(kInfo, "coordinator", "job ", j->id(), " -> ", v1::JobState_Name(state),
              message.empty() ? "" : ": ", message);
  AppendEvent(job, v1::EVENT_STATE_CHANGED, nullptr);
}

void JobManager::AppendEvent(JobRuntime* job, v1::EventType type, const v1::Candidate* candidate) {
  v1::JobEvent event;
  event.set_sequence(++last_event_[job->job().id()]);
  event.set_job_id(job->job().id());
  event.set_type(type);
  event.set_unix_ms(Now());
  *event.mutable_job() = job->job();
  event.mutable_job()->clear_spec();  // the spec is static; GetJob has it
  if (candidate != nullptr) *event.mutable_candidate() = *candidate;
  Write(store_->AppendEvent(event));
  touched_jobs_.push_back(job->job().id());
}

void JobManager::AddTasks(const std::vector<TaskRecord>& tasks) {
  for (const TaskRecord& t : tasks) {
    Write(store_->PutTask(t));  // new: the one full write of a task
    Write(queue_.Add(t));
  }
}

void JobManager::FillJob(JobRuntime* job) {
  const auto& budget = job->job().spec().budget();
  if (WallBudgetSpent(Now() - job->job().created_unix_ms(), budget.max_wall_seconds()) &&
      !job->CreationFinished()) {
    EDGENAS_LOG(kInfo, "coordinator", "job ", job->job().id(), " reached its wall-time budget");
    job->StopCreating();
    job->mutable_job()->set_message("wall-time budget reached");
    MarkDirty(job);
  }
  // An idle job (nothing to create, nothing changed) writes nothing.
  const std::string before = DeterministicBytes(job->job());
  std::vector<JobRuntime::NewCandidate> created = job->Fill(Now());
  for (const auto& nc : created) {
    Write(store_->PutCandidate(nc.candidate));
    AddTasks(nc.tasks);
    if (nc.candidate.state() == v1::CANDIDATE_SCREENED) {
      // Finished at creation (never dispatched): shown as watchers see failures.
      AppendEvent(job, v1::EVENT_CANDIDATE_FAILED, &nc.candidate);
    }
  }
  if (!created.empty() || job->HasNewStrategyCalls() ||
      DeterministicBytes(job->job()) != before) {
    MarkDirty(job);  // counters, message, creation state and strategy log
  }
}

void JobManager::ApplyUpdate(JobRuntime* job, const JobRuntime::Update& update) {
  if (update.candidate.id().empty()) return;
  if (update.record_changed) Write(store_->UpdateCandidate(update.candidate));
  MarkDirty(job);
  if (!update.finished) return;
  // A finished candidate's other tasks are no longer wanted.
  for (const TaskRecord& t : queue_.RevokeCandidate(update.candidate.id())) {
    Write(store_->UpdateTask(t));
  }
  for (const std::string& id : update.off_front) {
    weights_to_release_.emplace_back(job->job().id(), id);
  }
  const bool ok = update.candidate.state() == v1::CANDIDATE_DONE;
  EDGENAS_LOG(kInfo, "coordinator", "candidate ", update.candidate.id(), " ",
              v1::CandidateState_Name(update.candidate.state()), " ", update.candidate.arch(),
              ok ? "" : " reason: ", update.candidate.failure_reason());
  AppendEvent(job, ok ? v1::EVENT_CANDIDATE_DONE : v1::EVENT_CANDIDATE_FAILED, &update.candidate);
  if (update.front_changed) AppendEvent(job, v1::EVENT_FRONT_CHANGED, nullptr);
}

void JobManager::Advance(JobRuntime* job) {
  if (job->IsTerminal()) return;
  const int64_t now = Now();
  v1::JobState state = job->job().state();
  if (state == v1::JOB_PENDING) {
    std::vector<TaskRecord> prepare = job->PrepareTasks(now);
    if (!prepare.empty()) {
      AddTasks(prepare);
      SetState(job, v1::JOB_PREPARING,
               absl::StrCat(prepare.size(), " job-level task(s) before the search"));
      return;
    }
    state = v1::JOB_PREPARING;
  }
  if (state == v1::JOB_PREPARING) {
    if (job->JobTasksPending()) return;
    // Create the first candidates before announcing SEARCHING, so the first
    // event already shows work in flight.
    FillJob(job);
    SetState(job, v1::JOB_SEARCHING, job->job().message());
    state = v1::JOB_SEARCHING;
  }
  if (state == v1::JOB_SEARCHING) {
    FillJob(job);
    if (job->creation_stopped() && !job->AllFinished()) {
      // Out of wall time: revoke outstanding work instead of waiting for it.
      for (const TaskRecord& t : queue_.CancelJob(job->job().id())) Write(store_->UpdateTask(t));
      for (const v1::Candidate& c : job->FailPending(job->job().message(), now)) {
        Write(store_->UpdateCandidate(c));
      }
      MarkDirty(job);
    }
    if (!job->AllFinished()) return;
    if (!job->creation_stopped()) {
      std::vector<TaskRecord> finalize = job->FinalizeTasks(now);
      if (!finalize.empty()) {
        AddTasks(finalize);
        SetState(job, v1::JOB_FINALIZING,
                 absl::StrCat(finalize.size(), " finalist task(s) after the search"));
        return;
      }
    }
    state = v1::JOB_FINALIZING;
  }
  if (state == v1::JOB_FINALIZING && job->JobTasksPending()) return;
  const v1::Job& j = job->job();
  std::string message = absl::StrCat(j.candidates_done(), " candidates done, ",
                                     j.candidates_failed(), " failed or infeasible");
  if (job->screened() > 0) {
    absl::StrAppend(&message, ", ", job->screened(),
                    " screened by the latency table (not dispatched, not counted in the budget)");
  }
  const std::string& why = j.message();
  if (!why.empty() && why.find("job-level task") == std::string::npos &&
      why.find("finalist task") == std::string::npos) {
    message = absl::StrCat(why, "; ", message);
  }
  if (j.candidates_done() == 0) {
    EndJob(job, v1::JOB_FAILED, absl::StrCat("no candidate succeeded; ", message));
  } else {
    EndJob(job, v1::JOB_DONE, message);
  }
}

void JobManager::EndJob(JobRuntime* job, v1::JobState state, const std::string& message) {
  const std::string id = job->job().id();
  // Leftover tasks (e.g. of failed candidates) are revoked: nobody may lease
  // work of an ended job.
  for (const TaskRecord& t : queue_.CancelJob(id)) Write(store_->UpdateTask(t));
  // Only the final front's weights are kept (a lost upload of an earlier
  // attempt, or a restart mid-job, may have left others).
  for (const std::string& c : job->CandidatesOffFront()) weights_to_release_.emplace_back(id, c);
  SetState(job, state, message);
  FlushDirtyJobs();
  queue_.ForgetJob(id);
  ended_jobs_[id] = job->job().state();
  auto it = jobs_.find(id);
  if (it != jobs_.end()) {
    retired_.push_back(std::move(it->second));
    jobs_.erase(it);
  }
}

void JobManager::OnTaskExhausted(const TaskRecord& task) {
  auto it = jobs_.find(task.job_id);
  if (it == jobs_.end()) return;
  JobRuntime* job = it->second.get();
  const std::string reason =
      absl::StrCat(TaskKindName(task.kind),
                   task.operation.empty() ? "" : absl::StrCat(" (", task.operation, ")"),
                   " task failed after ", task.attempts, " attempt(s): ", task.last_error);
  if (task.candidate_id.empty()) {
    EndJob(job, v1::JOB_FAILED, absl::StrCat("job-level ", reason));
    return;
  }
  const v1::Candidate* c = job->FindCandidate(task.candidate_id);
  if (c != nullptr && c->state() != v1::CANDIDATE_PENDING) {
    // A finalize task on a finalist: the job goes on without it.
    job->JobTaskEnded(task.task_id);
    EDGENAS_LOG(kWarning, "coordinator", "finalist ", task.candidate_id, ": ", reason);
    Advance(job);
    return;
  }
  auto update = job->FailCandidate(task.candidate_id, reason, Now());
  if (!update.ok()) return;
  FillJob(job);
  ApplyUpdate(job, *update);
  Advance(job);
}

void JobManager::SweepLocked() {
  // While writes fail, a lease that runs out may be one whose result could
  // not be stored: it is not charged an attempt, and no budget is enforced.
  if (!store_fault_.ok()) return;
  ForgetSilentExecutors();
  for (const TaskRecord& t : queue_.ExpireLeases()) {
    EDGENAS_LOG(kWarning, "coordinator", "lease of ", t.task_id, " expired; ",
                t.state == TaskState::kFailed ? "attempts exhausted" : "requeued");
    Write(store_->UpdateTask(t));
    observer_->OnLeaseExpired(t.kind, /*requeued=*/t.state != TaskState::kFailed);
    if (t.state == TaskState::kFailed) {
      observer_->OnTaskEnded(t.kind, t.state, /*leased_seconds=*/-1.0);
      OnTaskExhausted(t);
    }
  }
  RetryUnloadedJobs();
  std::vector<JobRuntime*> live;
  for (auto& [id, job] : jobs_) live.push_back(job.get());
  for (JobRuntime* job : live) Advance(job);
}

}  // namespace edgenas
