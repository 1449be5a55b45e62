#include "coordinator/job_runtime.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/space_registry.h"
#include "common/job_spec.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Bounds on what executors may attach to a candidate.
constexpr int kMaxNotesPerCandidate = 32;
constexpr int kMaxNotesPerReport = 8;
constexpr size_t kMaxNoteBytes = 1024;
constexpr int kMaxMetricsPerReport = 16;

bool IsFinished(const v1::Candidate& c) { return c.state() != v1::CANDIDATE_PENDING; }

std::vector<int> Genes(const v1::Candidate& c) {
  return std::vector<int>(c.encoding().begin(), c.encoding().end());
}

}  // namespace

absl::Status ValidateDeviceDescriptor(const v1::DeviceDescriptor& d, const std::string& field) {
  for (const auto& [name, value] :
       {std::pair{"device_class", &d.device_class()}, std::pair{"cpu_model", &d.cpu_model()},
        std::pair{"governor", &d.governor()}, std::pair{"accelerator", &d.accelerator()},
        std::pair{"runner", &d.runner()}, std::pair{"runner_version", &d.runner_version()},
        std::pair{"affinity", &d.affinity()}, std::pair{"machine", &d.machine()},
        std::pair{"kernel", &d.kernel()}, std::pair{"energy_meter", &d.energy_meter()}}) {
    if (value->size() > 256) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", name, ": at most 256 characters, got ", value->size()));
    }
  }
  if (d.cores() < 0 || d.threads() < 0 || d.memory_bytes() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": cores, threads and memory_bytes must be >= 0"));
  }
  return absl::OkStatus();
}

namespace {

absl::Status ValidateMetricValue(const v1::Metric& m, const std::string& field) {
  if (!IsKnownMetric(m.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".name: unknown metric \"", m.name().substr(0, 64), "\""));
  }
  if (!std::isfinite(m.value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: ", m.name(), " must be finite, got ", m.value()));
  }
  const bool fraction = m.name() == kMetricAccuracy || m.name() == kMetricTestAccuracy;
  if (fraction && (m.value() < 0.0 || m.value() > 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".value: ", m.name(),
                                                   " is a fraction in [0, 1], got ", m.value()));
  }
  if (!fraction && m.value() < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: ", m.name(), " must be >= 0, got ", m.value()));
  }
  if (m.source().size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".source: at most 128 characters, got ", m.source().size()));
  }
  if (m.steps() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".steps: must be >= 0, got ", m.steps()));
  }
  if (!std::isfinite(m.cost_seconds()) || m.cost_seconds() < 0.0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".cost_seconds: must be finite and >= 0, got ", m.cost_seconds()));
  }
  if (!std::isfinite(m.std_error()) || m.std_error() < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".std_error: must be finite and >= 0, got ", m.std_error()));
  }
  // The measurement's confidence interval: both 0 (not estimated) or a
  // finite interval around the value.
  for (const auto& [name, bound] : {std::pair{"ci_low", m.ci_low()}, std::pair{"ci_high", m.ci_high()}}) {
    if (!std::isfinite(bound)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", name, ": must be finite, got ", bound));
    }
  }
  if ((m.ci_low() != 0.0 || m.ci_high() != 0.0) &&
      !(m.ci_low() <= m.value() && m.value() <= m.ci_high())) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".ci_low: the interval [", m.ci_low(), ", ", m.ci_high(),
        "] must contain the value ", m.value(), " (or both be 0)"));
  }
  if (m.method().size() > kMaxMetricMethodChars) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".method: at most ",
                                                   kMaxMetricMethodChars, " characters, got ",
                                                   m.method().size()));
  }
  return ValidateDeviceDescriptor(m.device(), absl::StrCat(field, ".device"));
}

}  // namespace

std::optional<Point> ObjectivePoint(const v1::JobSpec& spec, const v1::Candidate& c) {
  if (c.state() != v1::CANDIDATE_DONE) return std::nullopt;
  Point p;
  for (const auto& o : spec.objectives()) {
    auto v = FindMetric(c, o.metric(), MetricDeviceClass(o.metric(), o.device_class()));
    if (!v) return std::nullopt;
    p.push_back(*v);
  }
  return p;
}

absl::StatusOr<std::unique_ptr<JobRuntime>> JobRuntime::Create(
    const v1::Job& job, std::unique_ptr<Evaluator> evaluator) {
  ASSIGN_OR_RETURN(const SpaceConfig space_config, SpaceConfigFromSpec(job.spec().space()));
  ASSIGN_OR_RETURN(auto space, CreateSearchSpace(space_config));
  StrategyOptions options;
  options.name = job.spec().strategy().name();
  options.seed = job.spec().seed();
  // A scalarized job reaches the strategy as one objective: the reward.
  options.num_objectives =
      job.spec().objective_mode() == v1::SCALARIZED ? 1 : job.spec().objectives_size();
  options.lexicographic = job.spec().objective_mode() == v1::LEXICOGRAPHIC;
  options.params.insert(job.spec().strategy().params().begin(),
                        job.spec().strategy().params().end());
  options.population_size = job.spec().strategy().population_size();
  options.sample_size = job.spec().strategy().sample_size();
  ASSIGN_OR_RETURN(auto strategy, CreateStrategy(options, space.get()));
  if (evaluator == nullptr) {
    ASSIGN_OR_RETURN(evaluator, CreateEvaluator(job.spec()));
  }
  return std::unique_ptr<JobRuntime>(
      new JobRuntime(job, std::move(space), std::move(strategy), std::move(evaluator)));
}

JobRuntime::JobRuntime(const v1::Job& job, std::unique_ptr<SearchSpace> space,
                       std::unique_ptr<Strategy> strategy, std::unique_ptr<Evaluator> evaluator)
    : job_(job),
      space_(std::move(space)),
      strategy_(std::move(strategy)),
      evaluator_(std::move(evaluator)),
      senses_(ObjectiveSenses(job.spec())) {
  if (job_.reference_point_size() == static_cast<int>(senses_.size())) {
    archive_ = std::make_unique<ParetoArchive>(
        senses_, Point(job_.reference_point().begin(), job_.reference_point().end()));
  }
}

bool JobRuntime::IsTerminal() const {
  const auto s = job_.state();
  return s == v1::JOB_DONE || s == v1::JOB_FAILED || s == v1::JOB_CANCELLED;
}

bool JobRuntime::CreationFinished() const {
  return stop_creating_ || space_exhausted_ || Evaluated() >= job_.spec().budget().max_evaluations();
}

bool JobRuntime::AllFinished() const { return CreationFinished() && pending_ == 0; }

void JobRuntime::CountState(v1::CandidateState state, int delta) {
  if (state == v1::CANDIDATE_DONE) {
    done_ += delta;
  } else if (state == v1::CANDIDATE_PENDING) {
    pending_ += delta;
  } else if (state == v1::CANDIDATE_SCREENED) {
    screened_ += delta;  // never dispatched: neither evaluated nor failed
  } else {
    failed_ += delta;  // failed or infeasible
  }
}

void JobRuntime::SyncCounters() {
  job_.set_candidates_done(done_);
  job_.set_candidates_failed(failed_);
  job_.set_candidates_pending(pending_);
  job_.set_front_size(archive_ ? static_cast<int>(archive_->FrontSize()) : 0);
  job_.set_hypervolume(archive_ ? archive_->Hypervolume() : 0.0);
}

void JobRuntime::Log(StrategyCallType type, int64_t number, const std::string& candidate_id,
                     bool known_finished) {
  StrategyCall call;
  call.seq = ++log_seq_;
  call.type = type;
  call.number = number;
  call.candidate_id = candidate_id;
  call.known_finished = known_finished;
  new_calls_.push_back(std::move(call));
}

std::vector<StrategyCall> JobRuntime::TakeStrategyCalls() {
  std::vector<StrategyCall> out;
  out.swap(new_calls_);
  return out;
}

std::vector<TaskRecord> JobRuntime::PrepareTasks(int64_t now_ms) {
  std::vector<TaskRecord> tasks = evaluator_->PrepareTasks(job_, now_ms);
  for (const TaskRecord& t : tasks) {
    prepare_task_ids_.push_back(t.task_id);
    job_tasks_pending_.insert(t.task_id);
  }
  return tasks;
}

std::vector<TaskRecord> JobRuntime::FinalizeTasks(int64_t now_ms) {
  std::vector<v1::Candidate> front;
  if (archive_) {
    for (const ArchiveMember& m : archive_->Front()) front.push_back(candidates_.at(m.id));
  }
  std::vector<TaskRecord> tasks = evaluator_->FinalizeTasks(job_, front, now_ms);
  for (const TaskRecord& t : tasks) job_tasks_pending_.insert(t.task_id);
  return tasks;
}

std::vector<std::string> JobRuntime::CandidatesOffFront() const {
  std::vector<std::string> ids;
  for (const auto& [id, c] : candidates_) {
    if (archive_ == nullptr || !archive_->OnFront(id)) ids.push_back(id);
  }
  for (const auto& [id, record] : compact_) ids.push_back(id);  // never on the front
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool JobRuntime::JobTaskEnded(const std::string& task_id) {
  job_tasks_pending_.erase(task_id);
  return job_tasks_pending_.empty();
}

JobRuntime::NewCandidate JobRuntime::AddCandidate(const Architecture& arch,
                                                  const std::string& key, int64_t suggestion_id,
                                                  int64_t now_ms) {
  v1::Candidate c;
  c.set_id(absl::StrFormat("%s-%04d", job_.id(), next_sequence_));
  c.set_job_id(job_.id());
  c.set_space(space_->Name());
  c.set_arch(space_->Print(arch));
  c.set_canonical_key(key);
  for (int g : arch.genes) c.add_encoding(g);
  c.set_state(v1::CANDIDATE_PENDING);
  c.set_created_unix_ms(now_ms);
  c.set_sequence(next_sequence_++);
  c.set_suggestion_id(suggestion_id);
  NewCandidate nc{c, evaluator_->CandidateTasks(job_, c, prepare_task_ids_, now_ms)};
  auto& pending_set = pending_tasks_[c.id()];
  for (const auto& t : nc.tasks) pending_set.insert(t.task_id);
  by_key_[key] = c.id();
  candidates_[c.id()] = c;
  CountState(v1::CANDIDATE_PENDING, +1);
  consecutive_duplicates_ = 0;
  return nc;
}

JobRuntime::NewCandidate JobRuntime::AddScreenedCandidate(const Suggestion& s,
                                                          const std::string& key,
                                                          const std::string& note,
                                                          int64_t now_ms) {
  v1::Candidate c;
  c.set_id(absl::StrFormat("%s-%04d", job_.id(), next_sequence_));
  c.set_job_id(job_.id());
  c.set_space(space_->Name());
  c.set_arch(space_->Print(s.arch));
  c.set_canonical_key(key);
  for (int g : s.arch.genes) c.add_encoding(g);
  c.set_state(v1::CANDIDATE_SCREENED);
  c.set_created_unix_ms(now_ms);
  c.set_finished_unix_ms(now_ms);
  c.set_sequence(next_sequence_++);
  c.set_suggestion_id(s.id);
  c.set_failure_reason(note);
  c.add_notes(note);
  by_key_[key] = c.id();
  candidates_[c.id()] = c;
  CountState(v1::CANDIDATE_SCREENED, +1);
  consecutive_duplicates_ = 0;
  // The strategy sees it as it sees a measured infeasible candidate.
  strategy_->OnPending(s);
  Log(StrategyCallType::kPending, s.id, c.id());
  OnFinished(c, /*replaying=*/false);
  Compact(c.id());  // never on the front
  return NewCandidate{c, {}};
}

std::vector<JobRuntime::NewCandidate> JobRuntime::Fill(int64_t now_ms) {
  std::vector<NewCandidate> created;
  if (IsTerminal() || JobTasksPending()) return created;
  const int parallelism = job_.spec().parallelism();
  while (!CreationFinished() && pending_ < parallelism) {
    if (next_initial_ < job_.spec().initial_architectures_size()) {
      auto arch = space_->Parse(job_.spec().initial_architectures(next_initial_++));
      if (!arch.ok()) continue;  // validated at submission
      const std::string key = space_->CanonicalKey(*arch);
      if (by_key_.count(key) > 0) continue;
      created.push_back(AddCandidate(*arch, key, kNoSuggestion, now_ms));
      continue;
    }
    const int64_t distinct = space_->DistinctCount();
    if (distinct > 0 && static_cast<int64_t>(by_key_.size()) >= distinct) {
      StopCreatingForGood();
      job_.set_message(absl::StrCat("search space exhausted: all ", distinct,
                                    " distinct architectures of ", space_->Name(),
                                    " are in the job"));
      break;
    }
    const int budget_left = job_.spec().budget().max_evaluations() - Evaluated();
    const int want = std::min(parallelism - pending_, budget_left);
    SuggestBatch batch = strategy_->Suggest(want);
    Log(StrategyCallType::kSuggest, want, "");
    if (batch.state == SuggestState::kExhausted && batch.suggestions.empty()) {
      StopCreatingForGood();
      job_.set_message(absl::StrCat("strategy ", strategy_->Name(),
                                    " has nothing more to suggest (search space exhausted)"));
      break;
    }
    if (batch.suggestions.empty()) {
      if (pending_ == 0) {
        // Waiting for results with none in flight would stall the job.
        StopCreatingForGood();
        job_.set_message(absl::StrCat("strategy ", strategy_->Name(),
                                      " waits for results but none are in flight"));
      }
      break;  // kWait: ask again after the next result
    }
    for (const Suggestion& s : batch.suggestions) {
      const bool fits = !CreationFinished() && pending_ < parallelism;
      if (!fits) {
        // More than asked for: the extra ones are not evaluated.
        strategy_->OnCancelled(s.id);
        Log(StrategyCallType::kCancelled, s.id, "");
        continue;
      }
      if (!space_->Validate(s.arch).ok()) {
        strategy_->OnDuplicate(s, nullptr);
        Log(StrategyCallType::kDuplicate, s.id, "");
        ++consecutive_duplicates_;
        continue;
      }
      const std::string key = space_->CanonicalKey(s.arch);
      auto it = by_key_.find(key);
      if (it != by_key_.end()) {
        const v1::Candidate& known = *FindCandidate(it->second);
        if (IsFinished(known)) {
          const Observation obs = MakeObservation(known);
          strategy_->OnDuplicate(s, &obs);
        } else {
          strategy_->OnDuplicate(s, nullptr);
        }
        Log(StrategyCallType::kDuplicate, s.id, it->second, IsFinished(known));
        ++consecutive_duplicates_;
        continue;
      }
      const ScreenVerdict verdict =
          screener_ != nullptr ? screener_->Screen(s.arch) : ScreenVerdict{};
      if (verdict.screened) {
        created.push_back(AddScreenedCandidate(s, key, verdict.note, now_ms));
        continue;
      }
      NewCandidate nc = AddCandidate(s.arch, key, s.id, now_ms);
      if (!verdict.note.empty()) {
        candidates_.at(nc.candidate.id()).add_notes(verdict.note);
        nc.candidate.add_notes(verdict.note);
      }
      strategy_->OnPending(s);
      Log(StrategyCallType::kPending, s.id, nc.candidate.id());
      created.push_back(std::move(nc));
    }
    const int max_screened = CandidateScreener::MaxScreened(job_.spec().budget().max_evaluations());
    if (screener_ != nullptr && screened_ >= max_screened && !CreationFinished()) {
      StopCreatingForGood();
      job_.set_message(absl::StrCat(
          "stopped creating candidates: ", screened_,
          " were screened by the latency table (at most ", max_screened,
          " for this budget); the latency constraint may be too tight for this space"));
      break;
    }
    if (consecutive_duplicates_ >= kMaxConsecutiveDuplicates) {
      StopCreatingForGood();
      job_.set_message(absl::StrCat(
          "stopped creating candidates: strategy ", strategy_->Name(), " proposed ",
          consecutive_duplicates_, " architectures in a row that were already evaluated ",
          "(the search space is nearly exhausted; ", by_key_.size(), " distinct candidates)"));
      break;
    }
  }
  job_.set_consecutive_duplicates(consecutive_duplicates_);  // kept across restarts
  if (!created.empty()) SyncCounters();
  return created;
}

void JobRuntime::StopCreatingForGood() {
  space_exhausted_ = true;
  job_.set_creation_stopped(true);  // stored with the record: a restart creates no more
}

absl::Status JobRuntime::Restore(std::vector<v1::Candidate> candidates,
                                 const std::vector<TaskRecord>& tasks,
                                 const std::vector<StrategyCall>& log) {
  // Stopped creating before the restart: stays stopped (the screening cap or
  // the duplicate run would otherwise start over).
  space_exhausted_ = job_.creation_stopped();
  consecutive_duplicates_ = job_.consecutive_duplicates();
  for (v1::Candidate& c : candidates) {
    next_sequence_ = std::max(next_sequence_, c.sequence() + 1);
    by_key_[c.canonical_key()] = c.id();
    CountState(c.state(), +1);
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() == kMetricAccuracy && m.device_class().empty() && m.fidelity() >= 0) {
        rung_values_[m.fidelity()].push_back(m.value());
      }
    }
    const std::string id = c.id();
    candidates_.emplace(id, std::move(c));
  }
  for (const TaskRecord& t : tasks) {
    const bool open = t.state == TaskState::kQueued || t.state == TaskState::kLeased;
    if (t.candidate_id.empty()) {
      // Job-level tasks without a candidate are the PREPARING stage's.
      prepare_task_ids_.push_back(t.task_id);
      if (open) job_tasks_pending_.insert(t.task_id);
      continue;
    }
    if (!open) continue;
    const v1::Candidate* c = FindCandidate(t.candidate_id);
    if (c != nullptr && IsFinished(*c)) {
      job_tasks_pending_.insert(t.task_id);  // a FINALIZING task on a finalist
    } else {
      pending_tasks_[t.candidate_id].insert(t.task_id);
    }
  }
  // Initial architectures are created first, so restored candidates cover them.
  next_initial_ = std::min(next_sequence_, job_.spec().initial_architectures_size());
  for (const auto& [id, c] : candidates_) {
    if (c.state() == v1::CANDIDATE_DONE) AddToArchive(c);
  }

  // Replay the strategy log into the fresh strategy.
  std::unordered_map<int64_t, Suggestion> suggestions;
  for (const StrategyCall& call : log) {
    log_seq_ = std::max(log_seq_, call.seq);
    switch (call.type) {
      case StrategyCallType::kSuggest: {
        SuggestBatch batch = strategy_->Suggest(static_cast<int>(call.number));
        for (Suggestion& s : batch.suggestions) suggestions[s.id] = std::move(s);
        break;
      }
      case StrategyCallType::kPending:
      case StrategyCallType::kDuplicate: {
        auto s = suggestions.find(call.number);
        if (s == suggestions.end()) {
          return absl::DataLossError(absl::StrCat("job ", job_.id(), ": strategy log entry ",
                                                  call.seq, " names suggestion ", call.number,
                                                  " that the replayed strategy never made"));
        }
        if (call.type == StrategyCallType::kPending) {
          strategy_->OnPending(s->second);
        } else {
          const v1::Candidate* known =
              call.known_finished ? FindCandidate(call.candidate_id) : nullptr;
          if (known != nullptr) {
            const Observation obs = MakeObservation(*known);
            strategy_->OnDuplicate(s->second, &obs);
          } else {
            strategy_->OnDuplicate(s->second, nullptr);
          }
        }
        suggestions.erase(s);
        break;
      }
      case StrategyCallType::kObserve: {
        const v1::Candidate* c = FindCandidate(call.candidate_id);
        if (c == nullptr) {
          return absl::DataLossError(absl::StrCat("job ", job_.id(), ": strategy log entry ",
                                                  call.seq, " observes unknown candidate ",
                                                  call.candidate_id));
        }
        strategy_->Observe(MakeObservation(*c));
        break;
      }
      case StrategyCallType::kCancelled:
        strategy_->OnCancelled(call.number);
        suggestions.erase(call.number);
        break;
    }
  }
  // Replayed: finished candidates off the front keep only what the search
  // reads from now on.
  std::vector<std::string> ids;
  ids.reserve(candidates_.size());
  for (const auto& [id, c] : candidates_) ids.push_back(id);
  for (const std::string& id : ids) Compact(id);
  SyncCounters();
  return absl::OkStatus();
}

std::vector<JobRuntime::Update> JobRuntime::RecoverStuck(const std::vector<TaskRecord>& tasks,
                                                         int64_t now_ms) {
  std::unordered_map<std::string, std::string> failed_task;  // candidate -> reason
  for (const TaskRecord& t : tasks) {
    if (t.state == TaskState::kFailed && !t.candidate_id.empty()) {
      failed_task[t.candidate_id] =
          absl::StrCat(TaskKindName(t.kind), " task failed: ", t.last_error);
    }
  }
  std::vector<std::string> stuck;
  for (const auto& [id, c] : candidates_) {
    if (IsFinished(c)) continue;
    auto p = pending_tasks_.find(id);
    if (p == pending_tasks_.end() || p->second.empty()) stuck.push_back(id);
  }
  std::sort(stuck.begin(), stuck.end());
  std::vector<Update> updates;
  for (const std::string& id : stuck) {
    auto f = failed_task.find(id);
    if (f != failed_task.end()) {
      auto u = FailCandidate(id, f->second, now_ms);
      if (u.ok()) updates.push_back(*u);
      continue;
    }
    v1::Candidate& c = candidates_.at(id);
    const bool had_archive = archive_ != nullptr;
    const size_t before = had_archive ? archive_->FrontSize() : 0;
    CountState(c.state(), -1);
    Finish(&c, {}, now_ms);
    CountState(c.state(), +1);
    Update u;
    u.candidate = c;
    u.finished = true;
    u.front_changed = archive_ != nullptr && (!had_archive || archive_->FrontSize() != before ||
                                              archive_->OnFront(c.id()));
    updates.push_back(u);
    Compact(id);
  }
  SyncCounters();
  return updates;
}

void AttributeMetrics(const TaskRecord& task, std::vector<v1::Metric>* metrics) {
  for (v1::Metric& m : *metrics) {
    m.set_device_class(task.kind == TaskKind::kLatency && IsDeviceMetric(m.name())
                           ? task.device_class
                           : std::string());
  }
}

absl::Status ValidateReportValues(const std::vector<v1::Metric>& metrics,
                                  const std::vector<std::string>& notes) {
  if (static_cast<int>(metrics.size()) > kMaxMetricsPerReport) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: at most ", kMaxMetricsPerReport,
                                                   " per report, got ", metrics.size()));
  }
  if (static_cast<int>(notes.size()) > kMaxNotesPerReport) {
    return absl::InvalidArgumentError(
        absl::StrCat("notes: at most ", kMaxNotesPerReport, " per report, got ", notes.size()));
  }
  for (size_t i = 0; i < notes.size(); ++i) {
    if (notes[i].size() > kMaxNoteBytes) {
      return absl::InvalidArgumentError(absl::StrCat("notes[", i, "]: at most ", kMaxNoteBytes,
                                                     " bytes, got ", notes[i].size()));
    }
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < metrics.size(); ++i) {
    const std::string field = absl::StrCat("metrics[", i, "]");
    RETURN_IF_ERROR(ValidateMetricValue(metrics[i], field));
    if (!seen.insert(metrics[i].name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name: ", metrics[i].name(), " reported more than once"));
    }
  }
  return absl::OkStatus();
}

absl::Status JobRuntime::ValidateReport(const TaskRecord& task,
                                        const std::vector<v1::Metric>& metrics,
                                        const std::vector<std::string>& notes) const {
  RETURN_IF_ERROR(ValidateReportValues(metrics, notes));
  bool has_main = false;
  const std::string main = evaluator_->MainMetric(task);
  for (size_t i = 0; i < metrics.size(); ++i) {
    const std::string& name = metrics[i].name();
    if (!evaluator_->MetricBelongs(task, name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics[", i, "].name: a ", TaskKindName(task.kind),
          task.operation.empty() ? "" : absl::StrCat(" (", task.operation, ")"),
          " task does not report ", name));
    }
    if (name == main) has_main = true;
  }
  if (!has_main) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics: a ", TaskKindName(task.kind), " task must report ", main));
  }
  return absl::OkStatus();
}

int JobRuntime::FidelityOf(const TaskRecord& task) const {
  if (!task.candidate_id.empty() && job_tasks_pending_.count(task.task_id) > 0) return -1;
  return evaluator_->Fidelity(job_, task);
}

absl::StatusOr<JobRuntime::Update> JobRuntime::RecordTaskResult(
    const TaskRecord& task, const std::vector<v1::Metric>& metrics,
    const std::vector<std::string>& notes, int64_t now_ms) {
  if (task.candidate_id.empty()) {
    // A job-level task: its results are kept on the job.
    for (v1::Metric m : metrics) {
      if (m.source().empty()) m.set_source(task.operation);
      *job_.add_stage_metrics() = m;
    }
    JobTaskEnded(task.task_id);
    return Update{};
  }
  if (compact_.count(task.candidate_id) > 0) {
    // A late result of a candidate that finished off the front (its tasks
    // were revoked): its metrics are stored, the search is unchanged.
    Update none;
    none.record_changed = false;
    return none;
  }
  auto it = candidates_.find(task.candidate_id);
  if (it == candidates_.end()) {
    return absl::NotFoundError(absl::StrCat("candidate ", task.candidate_id, " not found"));
  }
  v1::Candidate& c = it->second;
  // Values are kept per source, in arrival order (as the store reads them
  // back); FindMetric picks the search's one by fidelity, so a finalist's
  // full-training accuracy (fidelity -1) sits beside the value the search
  // ranked it by. A repeated source replaces its value.
  const bool finalize_task = job_tasks_pending_.count(task.task_id) > 0;
  for (const v1::Metric& m : metrics) {
    bool replaced = false;
    for (auto& existing : *c.mutable_metrics()) {
      if (existing.name() == m.name() && existing.device_class() == m.device_class() &&
          existing.source() == m.source()) {
        existing = m;
        replaced = true;
      }
    }
    if (!replaced) *c.add_metrics() = m;
  }
  const std::string prefix = task.kind == TaskKind::kAccuracy
                                 ? std::string("accuracy")
                                 : absl::StrCat("latency.", task.device_class);
  Update update;
  update.record_changed = false;
  for (const std::string& note : notes) {
    if (c.notes_size() >= kMaxNotesPerCandidate) break;
    c.add_notes(absl::StrCat(prefix, ": ", note));
    update.record_changed = true;
  }
  if (finalize_task) {
    // A finalize task on a finished candidate: metrics added, state kept.
    JobTaskEnded(task.task_id);
    update.candidate = c;
    return update;
  }
  if (!IsFinished(c)) {
    // Promotion: an accuracy result may earn the candidate a dearer rung.
    for (const v1::Metric& m : metrics) {
      if (m.name() != kMetricAccuracy || !m.device_class().empty() ||
          evaluator_->MainMetric(task) != kMetricAccuracy) {
        continue;
      }
      std::vector<double>& rung = rung_values_[m.fidelity()];
      rung.push_back(m.value());
      std::vector<std::string> why;
      update.new_tasks =
          evaluator_->FollowUpTasks(job_, c, task, m.value(), rung, now_ms, &why);
      for (const std::string& note : why) {
        if (c.notes_size() >= kMaxNotesPerCandidate) break;
        c.add_notes(note);
        update.record_changed = true;
      }
    }
    for (const TaskRecord& t : update.new_tasks) pending_tasks_[c.id()].insert(t.task_id);
  }
  auto& pending = pending_tasks_[c.id()];
  pending.erase(task.task_id);
  if (!IsFinished(c) && pending.empty()) {
    pending_tasks_.erase(c.id());
    const size_t before = archive_ ? archive_->FrontSize() : 0;
    const bool had_archive = archive_ != nullptr;
    std::vector<std::string> front_before;
    if (archive_) {
      for (const ArchiveMember& m : archive_->Front()) front_before.push_back(m.id);
    }
    CountState(c.state(), -1);
    Finish(&c, notes, now_ms);
    CountState(c.state(), +1);
    update.finished = true;
    update.record_changed = true;
    update.front_changed = c.state() == v1::CANDIDATE_DONE && archive_ != nullptr &&
                           (!had_archive || archive_->OnFront(c.id()) ||
                            archive_->FrontSize() != before);
    front_before.push_back(c.id());
    for (const std::string& id : front_before) {
      if (archive_ == nullptr || !archive_->OnFront(id)) update.off_front.push_back(id);
    }
  }
  update.candidate = c;
  for (const std::string& id : update.off_front) Compact(id);
  SyncCounters();
  return update;
}

void JobRuntime::Finish(v1::Candidate* c, const std::vector<std::string>& notes, int64_t now_ms) {
  c->set_finished_unix_ms(now_ms);
  c->set_state(v1::CANDIDATE_DONE);
  for (const auto& o : job_.spec().objectives()) {
    if (!FindMetric(*c, o.metric(), MetricDeviceClass(o.metric(), o.device_class()))) {
      c->set_state(v1::CANDIDATE_FAILED);
      std::string reason = absl::StrCat("objective ", o.metric(),
                                        o.device_class().empty() ? "" : " on ", o.device_class(),
                                        " was not measured");
      if (!notes.empty()) absl::StrAppend(&reason, " (", absl::StrJoin(notes, "; "), ")");
      c->set_failure_reason(reason);
      break;
    }
  }
  if (c->state() == v1::CANDIDATE_DONE) {
    for (const auto& k : job_.spec().constraints()) {
      auto v = FindMetric(*c, k.metric(), MetricDeviceClass(k.metric(), k.device_class()));
      std::string broken;
      if (!v) {
        // Not measured is a failure to measure, not evidence of infeasibility.
        c->set_state(v1::CANDIDATE_FAILED);
        c->set_failure_reason(absl::StrCat("constraint metric ", k.metric(),
                                           k.device_class().empty() ? "" : " on ",
                                           k.device_class(), " was not measured"));
        break;
      } else if (k.has_max_value() && *v > k.max_value()) {
        broken = absl::StrCat(k.metric(), " = ", *v, " exceeds max_value ", k.max_value());
      } else if (k.has_min_value() && *v < k.min_value()) {
        broken = absl::StrCat(k.metric(), " = ", *v, " is below min_value ", k.min_value());
      }
      if (!broken.empty()) {
        c->set_state(v1::CANDIDATE_INFEASIBLE);
        c->set_failure_reason(absl::StrCat("constraint: ", broken));
        break;
      }
    }
  }
  OnFinished(*c, /*replaying=*/false);
}

absl::StatusOr<JobRuntime::Update> JobRuntime::FailCandidate(const std::string& candidate_id,
                                                             const std::string& reason,
                                                             int64_t now_ms) {
  if (compact_.count(candidate_id) > 0) return Update{};  // finished already
  auto it = candidates_.find(candidate_id);
  if (it == candidates_.end()) {
    return absl::NotFoundError(absl::StrCat("candidate ", candidate_id, " not found"));
  }
  Update update;
  v1::Candidate& c = it->second;
  if (!IsFinished(c)) {
    CountState(c.state(), -1);
    c.set_state(v1::CANDIDATE_FAILED);
    c.set_failure_reason(reason);
    c.set_finished_unix_ms(now_ms);
    CountState(c.state(), +1);
    pending_tasks_.erase(c.id());
    OnFinished(c, /*replaying=*/false);
    update.finished = true;
    update.off_front.push_back(c.id());  // a failed candidate is never on the front
    update.candidate = c;
    Compact(c.id());
  } else {
    update.candidate = c;
  }
  SyncCounters();
  return update;
}

std::vector<v1::Candidate> JobRuntime::FailPending(const std::string& reason, int64_t now_ms) {
  std::vector<v1::Candidate> failed;
  for (auto& [id, c] : candidates_) {
    if (IsFinished(c)) continue;
    CountState(c.state(), -1);
    c.set_state(v1::CANDIDATE_FAILED);
    c.set_failure_reason(reason);
    c.set_finished_unix_ms(now_ms);
    CountState(c.state(), +1);
    pending_tasks_.erase(id);
    failed.push_back(c);
  }
  std::sort(failed.begin(), failed.end(),
            [](const auto& a, const auto& b) { return a.sequence() < b.sequence(); });
  for (const v1::Candidate& c : failed) {
    Compact(c.id());
    if (c.suggestion_id() == kNoSuggestion) continue;
    strategy_->OnCancelled(c.suggestion_id());
    Log(StrategyCallType::kCancelled, c.suggestion_id(), c.id());
  }
  SyncCounters();
  return failed;
}

Observation JobRuntime::MakeObservation(const v1::Candidate& c) const {
  Observation obs;
  obs.suggestion_id = c.suggestion_id();
  obs.arch = Architecture{Genes(c)};
  switch (c.state()) {
    case v1::CANDIDATE_DONE:
      obs.outcome = EvalOutcome::kOk;
      break;
    case v1::CANDIDATE_INFEASIBLE:
    case v1::CANDIDATE_SCREENED:  // predicted to break a latency constraint
      obs.outcome = EvalOutcome::kInfeasible;
      break;
    default:
      obs.outcome = EvalOutcome::kFailed;
      break;
  }
  obs.failure_reason = c.failure_reason();
  for (const auto& m : c.metrics()) {
    // Only the search's values: a lower rung's or a finalist's would make a
    // replay after a restart see more than the strategy saw.
    if (SearchMetric(c, m.name(), m.device_class()) != &m) continue;
    obs.metrics.push_back(
        ObservedMetric{m.name(), m.device_class(), m.value(), m.source(), "", m.unstable()});
  }
  Point values;  // raw, in objective order
  const auto& objectives = job_.spec().objectives();
  for (const auto& o : objectives) {
    auto v = FindMetric(c, o.metric(), MetricDeviceClass(o.metric(), o.device_class()));
    if (!v) break;
    values.push_back(*v);
  }
  if (static_cast<int>(values.size()) == objectives.size() &&
      obs.outcome != EvalOutcome::kFailed) {
    if (job_.spec().objective_mode() == v1::SCALARIZED) {
      obs.scores = {-ScalarizedReward(job_.spec(), values)};
    } else {
      for (size_t i = 0; i < values.size(); ++i) {
        obs.scores.push_back(senses_[i] == Sense::kMaximize ? -values[i] : values[i]);
      }
    }
  }
  for (const auto& k : job_.spec().constraints()) {
    ConstraintOutcome co;
    co.metric = k.metric();
    co.device_class = MetricDeviceClass(k.metric(), k.device_class());
    auto v = FindMetric(c, k.metric(), co.device_class);
    co.measured = v.has_value();
    if (v) {
      co.value = *v;
      double violation = 0.0;
      if (k.has_max_value() && *v > k.max_value()) violation = *v - k.max_value();
      if (k.has_min_value() && *v < k.min_value()) violation = k.min_value() - *v;
      co.violation = violation;
      co.satisfied = violation == 0.0;
    }
    obs.constraints.push_back(co);
  }
  return obs;
}

void JobRuntime::OnFinished(const v1::Candidate& c, bool replaying) {
  if (c.state() == v1::CANDIDATE_DONE) AddToArchive(c);
  if (replaying) return;
  strategy_->Observe(MakeObservation(c));
  Log(StrategyCallType::kObserve, c.suggestion_id(), c.id());
}

bool JobRuntime::AddToArchive(const v1::Candidate& c) {
  auto values = ObjectiveValues(c);
  if (!values) return false;
  if (archive_ == nullptr) {
    std::vector<std::optional<double>> explicit_reference;
    for (const auto& o : job_.spec().objectives()) {
      explicit_reference.push_back(o.has_reference() ? std::optional<double>(o.reference())
                                                     : std::nullopt);
    }
    const Point ref = DeriveReference(senses_, explicit_reference, *values);
    job_.clear_reference_point();
    for (double r : ref) job_.add_reference_point(r);
    archive_ = std::make_unique<ParetoArchive>(senses_, ref);
  }
  return archive_->Insert(c.id(), *values);
}

std::optional<Point> JobRuntime::ObjectiveValues(const v1::Candidate& c) const {
  return ObjectivePoint(job_.spec(), c);
}

const v1::Candidate* JobRuntime::FindCandidate(const std::string& id) const {
  auto it = candidates_.find(id);
  if (it != candidates_.end()) return &it->second;
  auto compact = compact_.find(id);
  if (compact == compact_.end()) return nullptr;
  expanded_ = Expand(compact->second);
  return &expanded_;
}

void JobRuntime::Compact(std::string id) {
  auto it = candidates_.find(id);
  if (it == candidates_.end() || !IsFinished(it->second)) return;
  if (archive_ != nullptr && archive_->OnFront(id)) return;
  // CompactCandidate's fields, read straight from the full record.
  const v1::Candidate& full = it->second;
  CompactRecord record;
  record.sequence = full.sequence();
  record.state = full.state();
  record.suggestion_id = full.suggestion_id();
  record.genes.assign(full.encoding().begin(), full.encoding().end());
  for (const v1::Metric& m : full.metrics()) {
    if (SearchMetric(full, m.name(), m.device_class()) != &m) continue;
    if (m.fidelity() < INT16_MIN || m.fidelity() > INT16_MAX) return;  // kept in full
    const std::pair<std::string, std::string> key(m.name(), m.device_class());
    size_t index = 0;
    while (index < metric_keys_.size() && metric_keys_[index] != key) ++index;
    if (index == metric_keys_.size()) {
      if (index > UINT16_MAX) return;  // kept in full
      metric_keys_.push_back(key);
    }
    record.values.push_back(CompactValue{m.value(), static_cast<uint16_t>(index),
                                         static_cast<int16_t>(m.fidelity()), m.unstable()});
  }
  record.genes.shrink_to_fit();
  record.values.shrink_to_fit();
  candidates_.erase(it);
  compact_.emplace(id, std::move(record));
}

v1::Candidate JobRuntime::Expand(const CompactRecord& record) const {
  v1::Candidate c;
  c.set_state(record.state);
  c.set_sequence(record.sequence);
  c.set_suggestion_id(record.suggestion_id);
  for (int32_t g : record.genes) c.add_encoding(g);
  for (const CompactValue& v : record.values) {
    v1::Metric* m = c.add_metrics();
    m->set_name(metric_keys_[v.key].first);
    m->set_device_class(metric_keys_[v.key].second);
    m->set_value(v.value);
    m->set_fidelity(v.fidelity);
    m->set_unstable(v.unstable);
  }
  return c;
}

v1::Candidate CompactCandidate(const v1::Candidate& c) {
  v1::Candidate compact;
  compact.set_state(c.state());
  compact.set_sequence(c.sequence());
  compact.set_suggestion_id(c.suggestion_id());
  *compact.mutable_encoding() = c.encoding();
  for (const v1::Metric& m : c.metrics()) {
    if (SearchMetric(c, m.name(), m.device_class()) != &m) continue;
    v1::Metric* kept = compact.add_metrics();
    kept->set_name(m.name());
    kept->set_device_class(m.device_class());
    kept->set_value(m.value());
    kept->set_fidelity(m.fidelity());
    kept->set_unstable(m.unstable());
  }
  return compact;
}

v1::ParetoFront JobRuntime::Front() const {
  v1::ParetoFront front;
  front.set_job_id(job_.id());
  *front.mutable_objectives() = job_.spec().objectives();
  if (archive_ == nullptr) return front;
  for (const ArchiveMember& m : archive_->Front()) *front.add_candidates() = candidates_.at(m.id);
  for (double r : archive_->reference()) front.add_reference_point(r);
  front.set_hypervolume(archive_->Hypervolume());
  return front;
}

v1::ParetoFront FrontOfStoredJob(const v1::Job& job, const std::vector<v1::Candidate>& candidates) {
  v1::ParetoFront front;
  front.set_job_id(job.id());
  *front.mutable_objectives() = job.spec().objectives();
  const std::vector<Sense> senses = ObjectiveSenses(job.spec());
  if (job.reference_point_size() != static_cast<int>(senses.size())) return front;
  ParetoArchive archive(senses, Point(job.reference_point().begin(), job.reference_point().end()));
  std::unordered_map<std::string, const v1::Candidate*> by_id;
  for (const v1::Candidate& c : candidates) {
    auto p = ObjectivePoint(job.spec(), c);
    if (!p) continue;
    archive.Insert(c.id(), *p);
    by_id[c.id()] = &c;
  }
  for (const ArchiveMember& m : archive.Front()) *front.add_candidates() = *by_id.at(m.id);
  for (double r : archive.reference()) front.add_reference_point(r);
  front.set_hypervolume(archive.Hypervolume());
  return front;
}

double ScalarizedReward(const v1::JobSpec& spec, const Point& values) {
  double reward = values.empty() ? 0.0 : values[0];
  for (int i = 1; i < spec.objectives_size() && i < static_cast<int>(values.size()); ++i) {
    const auto& o = spec.objectives(i);
    if (!o.has_target() || o.target() <= 0) continue;
    // A non-positive measurement (outside any metric's range) counts as
    // meeting the target rather than producing inf/NaN.
    const double ratio = values[i] > 0 ? values[i] / o.target() : 1.0;
    reward *= std::pow(ratio, o.weight());
  }
  return reward;
}

}  // namespace edgenas
