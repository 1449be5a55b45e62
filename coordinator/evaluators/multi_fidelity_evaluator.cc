#include "coordinator/evaluators/multi_fidelity_evaluator.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "coordinator/evaluators/candidate_tasks.h"

namespace edgenas {
namespace {

// The job-level task a method needs before its rung can run ("" for none).
std::string PrepareOperationOf(const std::string& method) {
  if (method == "supernet") return kOperationTrainSupernet;
  if (method == "flash_distill") return kOperationTrainTeacher;
  return "";
}

std::string PrepareTaskId(const v1::Job& job, const std::string& operation) {
  return absl::StrCat(job.id(), ".", operation);
}

// The accuracy task of `candidate` at rung `k`.
TaskRecord RungTask(const v1::Job& job, const v1::Candidate& candidate, int k, int64_t now_ms) {
  const std::string& method = job.spec().evaluation().multi_fidelity().rungs(k);
  TaskRecord t = MakeTask(job, candidate.id(),
                          k == 0 ? absl::StrCat(candidate.id(), ".accuracy")
                                 : absl::StrCat(candidate.id(), ".accuracy.r", k),
                          TaskKind::kAccuracy, now_ms);
  t.operation = method;
  t.requires_capabilities.push_back(AccuracyCapability(method));
  const std::string prepare = PrepareOperationOf(method);
  if (!prepare.empty()) t.depends_on.push_back(PrepareTaskId(job, prepare));
  return t;
}

}  // namespace

bool PromotedAtRung(double value, const std::vector<double>& rung_values, double eta) {
  const size_t n = std::max<size_t>(rung_values.size(), 1);
  const size_t better = std::count_if(rung_values.begin(), rung_values.end(),
                                      [value](double v) { return v > value; });
  const auto quota = static_cast<size_t>(std::ceil(static_cast<double>(n) / eta));
  return better + 1 <= quota;
}

MultiFidelityEvaluator::MultiFidelityEvaluator() : ProxyEvaluator("multi_fidelity") {}

std::vector<TaskRecord> MultiFidelityEvaluator::PrepareTasks(const v1::Job& job,
                                                             int64_t now_ms) const {
  std::vector<TaskRecord> tasks;
  for (const std::string& method : job.spec().evaluation().multi_fidelity().rungs()) {
    const std::string operation = PrepareOperationOf(method);
    if (operation.empty()) continue;
    TaskRecord t = MakeTask(job, "", PrepareTaskId(job, operation), TaskKind::kAccuracy, now_ms);
    t.operation = operation;
    t.requires_capabilities.push_back(AccuracyCapability(method));
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<TaskRecord> MultiFidelityEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& candidate,
    const std::vector<std::string>& /*prepare_task_ids*/, int64_t now_ms) const {
  const CandidateNeeds needs = NeedsOf(job.spec());
  std::vector<TaskRecord> tasks;
  if (needs.worker_metric && job.spec().evaluation().multi_fidelity().rungs_size() > 0) {
    tasks.push_back(RungTask(job, candidate, 0, now_ms));
  }
  for (TaskRecord& t : CandidateLatencyTasks(job, candidate, needs, now_ms)) {
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<TaskRecord> MultiFidelityEvaluator::FollowUpTasks(
    const v1::Job& job, const v1::Candidate& candidate, const TaskRecord& task, double value,
    const std::vector<double>& rung_values, int64_t now_ms,
    std::vector<std::string>* notes) const {
  if (task.kind != TaskKind::kAccuracy) return {};
  const auto& mf = job.spec().evaluation().multi_fidelity();
  const int k = Fidelity(job, task);
  if (k + 1 >= mf.rungs_size()) return {};
  const double eta = mf.reduction_factor();
  const size_t better = std::count_if(rung_values.begin(), rung_values.end(),
                                      [value](double v) { return v > value; });
  const std::string rank = absl::StrFormat(
      "%s %.4g ranks %d of %d at rung %d (%s), promotion quota ceil(n/%g) = %d", task.operation,
      value, static_cast<int>(better + 1), static_cast<int>(rung_values.size()), k,
      mf.rungs(k), eta,
      static_cast<int>(std::ceil(static_cast<double>(rung_values.size()) / eta)));
  if (!PromotedAtRung(value, rung_values, eta)) {
    notes->push_back(absl::StrCat("stopped at rung ", k, ": ", rank));
    return {};
  }
  notes->push_back(absl::StrCat("promoted to rung ", k + 1, " (", mf.rungs(k + 1), "): ", rank));
  return {RungTask(job, candidate, k + 1, now_ms)};
}

std::vector<TaskRecord> MultiFidelityEvaluator::FinalizeTasks(
    const v1::Job& job, const std::vector<v1::Candidate>& front, int64_t now_ms) const {
  std::vector<TaskRecord> tasks = ProxyEvaluator::FinalizeTasks(job, front, now_ms);
  const auto& rungs = job.spec().evaluation().multi_fidelity().rungs();
  const auto full = std::find(rungs.begin(), rungs.end(), kOperationFullTrain);
  if (full == rungs.end()) return tasks;
  const int full_rung = static_cast<int>(full - rungs.begin());
  std::set<std::string> trained;
  for (const v1::Candidate& c : front) {
    for (const v1::Metric& m : c.metrics()) {
      if (m.fidelity() == full_rung) trained.insert(c.id());
    }
  }
  std::vector<v1::Candidate> tested;
  for (const TaskRecord& t : tasks) {
    if (trained.count(t.candidate_id) == 0) continue;
    for (const v1::Candidate& c : front) {
      if (c.id() == t.candidate_id) tested.push_back(c);
    }
  }
  tasks.erase(std::remove_if(tasks.begin(), tasks.end(),
                             [&](const TaskRecord& t) { return trained.count(t.candidate_id); }),
              tasks.end());
  for (TaskRecord& t : TestEvalTasks(job, tested, AccuracyCapability(kOperationFullTrain), now_ms)) {
    tasks.push_back(std::move(t));
  }
  return tasks;
}

int MultiFidelityEvaluator::Fidelity(const v1::Job& job, const TaskRecord& task) const {
  if (task.kind != TaskKind::kAccuracy || task.candidate_id.empty()) return 0;
  const auto& rungs = job.spec().evaluation().multi_fidelity().rungs();
  auto it = std::find(rungs.begin(), rungs.end(), task.operation);
  return it == rungs.end() ? 0 : static_cast<int>(it - rungs.begin());
}

}  // namespace edgenas
