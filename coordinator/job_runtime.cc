#include "coordinator/job_runtime.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/job_spec.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Dedup attempts per Fill before the space is declared exhausted.
constexpr int kMaxDuplicateDraws = 2000;
// Bounds on what executors may attach to a candidate.
constexpr int kMaxNotesPerCandidate = 32;
constexpr size_t kMaxNoteLength = 512;

bool IsFinished(const v1::Candidate& c) { return c.state() != v1::CANDIDATE_PENDING; }

std::vector<int> Genes(const v1::Candidate& c) {
  return std::vector<int>(c.encoding().begin(), c.encoding().end());
}

// The metric a task of this kind must report.
const char* MainMetric(TaskKind kind) {
  return kind == TaskKind::kAccuracy ? kMetricAccuracy : kMetricLatencyMs;
}

}  // namespace

std::optional<double> FindMetric(const v1::Candidate& c, const std::string& name,
                                 const std::string& device_class) {
  for (const auto& m : c.metrics()) {
    if (m.name() == name && m.device_class() == device_class) return m.value();
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<JobRuntime>> JobRuntime::Create(const v1::Job& job) {
  ASSIGN_OR_RETURN(auto space, CreateSearchSpace(job.spec().space().name()));
  StrategyOptions options;
  options.name = job.spec().strategy().name();
  options.seed = job.spec().seed();
  options.num_objectives = job.spec().objectives_size();
  options.population_size = job.spec().strategy().population_size();
  options.sample_size = job.spec().strategy().sample_size();
  ASSIGN_OR_RETURN(auto strategy, CreateStrategy(options, space.get()));
  return std::unique_ptr<JobRuntime>(new JobRuntime(job, std::move(space), std::move(strategy)));
}

JobRuntime::JobRuntime(const v1::Job& job, std::unique_ptr<SearchSpace> space,
                       std::unique_ptr<Strategy> strategy)
    : job_(job),
      space_(std::move(space)),
      strategy_(std::move(strategy)),
      senses_(ObjectiveSenses(job.spec())) {}

bool JobRuntime::IsTerminal() const {
  const auto s = job_.state();
  return s == v1::JOB_DONE || s == v1::JOB_FAILED || s == v1::JOB_CANCELLED;
}

bool JobRuntime::CreationFinished() const {
  return stop_creating_ || space_exhausted_ ||
         static_cast<int>(candidates_.size()) >= job_.spec().budget().max_evaluations();
}

bool JobRuntime::AllFinished() const {
  if (!CreationFinished()) return false;
  for (const auto& [id, c] : candidates_) {
    if (!IsFinished(c)) return false;
  }
  return true;
}

std::vector<TaskRecord> JobRuntime::TasksFor(const v1::Candidate& c, int64_t now_ms) const {
  bool need_accuracy = false;
  std::set<std::string> device_classes;
  auto note = [&](const std::string& metric, const std::string& device_class) {
    if (IsDeviceMetric(metric)) {
      device_classes.insert(device_class);
    } else {
      need_accuracy = true;  // accuracy, params and train_seconds come from a worker
    }
  };
  for (const auto& o : job_.spec().objectives()) note(o.metric(), o.device_class());
  for (const auto& k : job_.spec().constraints()) note(k.metric(), k.device_class());

  std::vector<TaskRecord> tasks;
  auto make = [&](TaskKind kind, const std::string& device_class, const std::string& suffix) {
    TaskRecord t;
    t.task_id = absl::StrCat(c.id(), ".", suffix);
    t.job_id = job_.id();
    t.candidate_id = c.id();
    t.kind = kind;
    t.device_class = device_class;
    t.max_attempts = job_.spec().max_attempts();
    t.created_ms = now_ms;
    t.updated_ms = now_ms;
    tasks.push_back(std::move(t));
  };
  if (need_accuracy) make(TaskKind::kAccuracy, "", "accuracy");
  for (const auto& dc : device_classes) make(TaskKind::kLatency, dc, absl::StrCat("latency.", dc));
  return tasks;
}

std::vector<JobRuntime::NewCandidate> JobRuntime::Fill(int64_t now_ms) {
  std::vector<NewCandidate> created;
  if (IsTerminal()) return created;
  int pending = 0;
  for (const auto& [id, c] : candidates_) pending += IsFinished(c) ? 0 : 1;
  int duplicate_draws = 0;
  while (!CreationFinished() && pending < job_.spec().parallelism()) {
    std::vector<Architecture> suggestions;
    if (next_initial_ < job_.spec().initial_architectures_size()) {
      auto arch = space_->Parse(job_.spec().initial_architectures(next_initial_++));
      if (!arch.ok()) continue;  // validated at submission
      suggestions.push_back(*arch);
    } else {
      suggestions = strategy_->Suggest(1);
    }
    if (suggestions.empty() || duplicate_draws > kMaxDuplicateDraws) {
      space_exhausted_ = true;
      break;
    }
    const Architecture& arch = suggestions.front();
    if (!space_->Validate(arch).ok()) {
      ++duplicate_draws;  // a strategy bug must not stall the job forever
      continue;
    }
    const std::string key = space_->CanonicalKey(arch);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      ++duplicate_draws;
      const v1::Candidate& known = candidates_.at(it->second);
      if (IsFinished(known)) ObserveFinished(known, arch);
      continue;
    }
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
    NewCandidate nc{c, TasksFor(c, now_ms)};
    auto& pending_set = pending_tasks_[c.id()];
    for (const auto& t : nc.tasks) pending_set.insert(t.task_id);
    by_key_[key] = c.id();
    candidates_[c.id()] = c;
    created.push_back(std::move(nc));
    ++pending;
  }
  if (!created.empty()) RefreshCounters();
  return created;
}

void JobRuntime::Restore(const v1::Candidate& candidate,
                         const std::vector<std::string>& pending_tasks) {
  candidates_[candidate.id()] = candidate;
  by_key_[candidate.canonical_key()] = candidate.id();
  next_sequence_ = std::max(next_sequence_, candidate.sequence() + 1);
  // Initial architectures are created first, so restored candidates cover them.
  next_initial_ = std::min(next_sequence_, job_.spec().initial_architectures_size());
  if (IsFinished(candidate)) {
    ObserveFinished(candidate, Architecture{Genes(candidate)});
  } else {
    pending_tasks_[candidate.id()] =
        std::set<std::string>(pending_tasks.begin(), pending_tasks.end());
  }
  RefreshCounters();
}

absl::Status JobRuntime::ValidateMetric(const v1::Metric& m, int index) {
  const std::string field = absl::StrCat("metrics[", index, "]");
  if (!IsKnownMetric(m.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".name: unknown metric \"", m.name(), "\""));
  }
  if (!std::isfinite(m.value())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: ", m.name(), " must be finite, got ", m.value()));
  }
  if (m.name() == kMetricAccuracy && (m.value() < 0.0 || m.value() > 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: accuracy is a fraction in [0, 1], got ", m.value()));
  }
  if (m.name() != kMetricAccuracy && m.value() < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".value: ", m.name(), " must be >= 0, got ", m.value()));
  }
  return absl::OkStatus();
}

absl::Status JobRuntime::ValidateTaskMetrics(TaskKind kind,
                                             const std::vector<v1::Metric>& metrics) {
  bool has_main = false;
  for (size_t i = 0; i < metrics.size(); ++i) {
    RETURN_IF_ERROR(ValidateMetric(metrics[i], static_cast<int>(i)));
    if (metrics[i].name() == MainMetric(kind)) has_main = true;
  }
  if (!has_main) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: a ", TaskKindName(kind),
                                                   " task must report ", MainMetric(kind)));
  }
  return absl::OkStatus();
}

absl::StatusOr<JobRuntime::Update> JobRuntime::RecordTaskResult(
    const TaskRecord& task, const std::vector<v1::Metric>& metrics,
    const std::vector<std::string>& notes, int64_t now_ms) {
  auto it = candidates_.find(task.candidate_id);
  if (it == candidates_.end()) {
    return absl::NotFoundError(absl::StrCat("candidate ", task.candidate_id, " not found"));
  }
  RETURN_IF_ERROR(ValidateTaskMetrics(task.kind, metrics));
  const std::vector<std::string> before = FrontIds();
  v1::Candidate& c = it->second;
  for (v1::Metric m : metrics) {
    // Device metrics belong to the task's device class; others to none.
    m.set_device_class(task.kind == TaskKind::kLatency && IsDeviceMetric(m.name())
                           ? task.device_class
                           : std::string());
    bool replaced = false;
    for (auto& existing : *c.mutable_metrics()) {
      if (existing.name() == m.name() && existing.device_class() == m.device_class()) {
        existing = m;
        replaced = true;
      }
    }
    if (!replaced) *c.add_metrics() = m;
  }
  const std::string prefix = task.kind == TaskKind::kAccuracy
                                 ? std::string("accuracy")
                                 : absl::StrCat("latency.", task.device_class);
  for (const std::string& note : notes) {
    if (c.notes_size() >= kMaxNotesPerCandidate) break;
    c.add_notes(absl::StrCat(prefix, ": ", note.substr(0, kMaxNoteLength)));
  }
  Update update;
  auto& pending = pending_tasks_[c.id()];
  pending.erase(task.task_id);
  if (!IsFinished(c) && pending.empty()) {
    Finish(&c, notes, now_ms);
    update.finished = true;
  }
  update.candidate = c;
  update.front_changed = FrontIds() != before;
  RefreshCounters();
  return update;
}

void JobRuntime::Finish(v1::Candidate* c, const std::vector<std::string>& notes, int64_t now_ms) {
  c->set_finished_unix_ms(now_ms);
  for (const auto& o : job_.spec().objectives()) {
    if (!FindMetric(*c, o.metric(), MetricDeviceClass(o.metric(), o.device_class()))) {
      c->set_state(v1::CANDIDATE_FAILED);
      std::string reason = absl::StrCat("objective ", o.metric(),
                                        o.device_class().empty() ? "" : " on ", o.device_class(),
                                        " was not measured");
      if (!notes.empty()) absl::StrAppend(&reason, " (", absl::StrJoin(notes, "; "), ")");
      c->set_failure_reason(reason);
      ObserveFinished(*c, Architecture{Genes(*c)});
      return;
    }
  }
  for (const auto& k : job_.spec().constraints()) {
    auto v = FindMetric(*c, k.metric(), MetricDeviceClass(k.metric(), k.device_class()));
    std::string broken;
    if (!v) {
      broken = absl::StrCat(k.metric(), " was not measured");
    } else if (k.has_max_value() && *v > k.max_value()) {
      broken = absl::StrCat(k.metric(), " = ", *v, " exceeds max_value ", k.max_value());
    } else if (k.has_min_value() && *v < k.min_value()) {
      broken = absl::StrCat(k.metric(), " = ", *v, " is below min_value ", k.min_value());
    }
    if (!broken.empty()) {
      c->set_state(v1::CANDIDATE_INFEASIBLE);
      c->set_failure_reason(absl::StrCat("constraint: ", broken));
      ObserveFinished(*c, Architecture{Genes(*c)});
      return;
    }
  }
  c->set_state(v1::CANDIDATE_DONE);
  ObserveFinished(*c, Architecture{Genes(*c)});
}

absl::StatusOr<JobRuntime::Update> JobRuntime::FailCandidate(const std::string& candidate_id,
                                                             const std::string& reason,
                                                             int64_t now_ms) {
  auto it = candidates_.find(candidate_id);
  if (it == candidates_.end()) {
    return absl::NotFoundError(absl::StrCat("candidate ", candidate_id, " not found"));
  }
  Update update;
  v1::Candidate& c = it->second;
  if (!IsFinished(c)) {
    c.set_state(v1::CANDIDATE_FAILED);
    c.set_failure_reason(reason);
    c.set_finished_unix_ms(now_ms);
    pending_tasks_.erase(c.id());
    ObserveFinished(c, Architecture{Genes(c)});
    update.finished = true;
  }
  update.candidate = c;
  RefreshCounters();
  return update;
}

std::vector<v1::Candidate> JobRuntime::FailPending(const std::string& reason, int64_t now_ms) {
  std::vector<v1::Candidate> failed;
  for (auto& [id, c] : candidates_) {
    if (IsFinished(c)) continue;
    c.set_state(v1::CANDIDATE_FAILED);
    c.set_failure_reason(reason);
    c.set_finished_unix_ms(now_ms);
    pending_tasks_.erase(id);
    failed.push_back(c);
  }
  RefreshCounters();
  return failed;
}

void JobRuntime::ObserveFinished(const v1::Candidate& c, const Architecture& arch) {
  Observation obs;
  obs.arch = arch;
  auto values = ObjectiveValues(c);
  obs.failed = !values.has_value();
  if (values) {
    for (size_t i = 0; i < values->size(); ++i) {
      obs.scores.push_back(senses_[i] == Sense::kMaximize ? -(*values)[i] : (*values)[i]);
    }
  }
  strategy_->Observe(obs);
}

std::optional<Point> JobRuntime::ObjectiveValues(const v1::Candidate& c) const {
  if (c.state() != v1::CANDIDATE_DONE) return std::nullopt;
  Point p;
  for (const auto& o : job_.spec().objectives()) {
    auto v = FindMetric(c, o.metric(), MetricDeviceClass(o.metric(), o.device_class()));
    if (!v) return std::nullopt;
    p.push_back(*v);
  }
  return p;
}

const v1::Candidate* JobRuntime::FindCandidate(const std::string& id) const {
  auto it = candidates_.find(id);
  return it == candidates_.end() ? nullptr : &it->second;
}

std::vector<v1::Candidate> JobRuntime::Candidates() const {
  std::vector<v1::Candidate> out;
  for (const auto& [id, c] : candidates_) out.push_back(c);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.sequence() < b.sequence(); });
  return out;
}

Point JobRuntime::ReferencePoint() const {
  Point ref;
  const auto& objectives = job_.spec().objectives();
  for (int i = 0; i < objectives.size(); ++i) {
    const auto& o = objectives[i];
    if (o.has_reference()) {
      ref.push_back(o.reference());
    } else if (senses_[i] == Sense::kMaximize) {
      ref.push_back(0.0);
    } else {
      double worst = 0.0;
      for (const auto& [id, c] : candidates_) {
        if (auto v = ObjectiveValues(c)) worst = std::max(worst, (*v)[i]);
      }
      ref.push_back(worst > 0.0 ? worst * 1.1 : 1.0);
    }
  }
  return ref;
}

std::vector<std::string> JobRuntime::FrontIds() const {
  std::vector<std::string> ids;
  std::vector<Point> points;
  for (const auto& c : Candidates()) {
    if (auto v = ObjectiveValues(c)) {
      ids.push_back(c.id());
      points.push_back(*v);
    }
  }
  std::vector<std::string> front;
  for (int i : NonDominatedIndices(points, senses_)) front.push_back(ids[i]);
  return front;
}

v1::ParetoFront JobRuntime::Front() const {
  v1::ParetoFront front;
  front.set_job_id(job_.id());
  *front.mutable_objectives() = job_.spec().objectives();
  std::vector<Point> points;
  for (const auto& id : FrontIds()) {
    const v1::Candidate& c = candidates_.at(id);
    *front.add_candidates() = c;
    points.push_back(*ObjectiveValues(c));
  }
  const Point ref = ReferencePoint();
  for (double r : ref) front.add_reference_point(r);
  auto hv = Hypervolume(points, ref, senses_);
  front.set_hypervolume(hv.ok() ? *hv : 0.0);
  return front;
}

void JobRuntime::RefreshCounters() {
  int done = 0, failed = 0, pending = 0;
  for (const auto& [id, c] : candidates_) {
    if (c.state() == v1::CANDIDATE_DONE) {
      ++done;
    } else if (c.state() == v1::CANDIDATE_PENDING) {
      ++pending;
    } else {
      ++failed;  // failed or infeasible
    }
  }
  job_.set_candidates_done(done);
  job_.set_candidates_failed(failed);
  job_.set_candidates_pending(pending);
  const v1::ParetoFront front = Front();
  job_.set_front_size(front.candidates_size());
  job_.set_hypervolume(front.hypervolume());
}

}  // namespace edgenas
