// Building blocks shared by evaluators that measure each candidate with one
// worker task and one agent task per device class: what a job's objectives
// and constraints need measured, and the task records for it.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_CANDIDATE_TASKS_H_
#define EDGENAS_COORDINATOR_EVALUATORS_CANDIDATE_TASKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "coordinator/store/task_record.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// Capability an agent registers when it has an energy meter (or a table
// that answers energy_mj).
inline constexpr char kCapabilityEnergyMeter[] = "energy_meter";

// What a job measures on every candidate.
struct CandidateNeeds {
  // A worker metric (accuracy, params, train_seconds) is an objective or
  // constrained.
  bool worker_metric = false;
  // Device class -> whether energy_mj is needed there (latency_ms always is).
  std::map<std::string, bool> device_classes;
};

// Reads the needs from spec.objectives and spec.constraints.
CandidateNeeds NeedsOf(const v1::JobSpec& spec);

// The candidate's TASK_ACCURACY task ("<candidate>.accuracy"), depending on
// the job's prepare tasks.
TaskRecord CandidateAccuracyTask(const v1::Job& job, const v1::Candidate& candidate,
                                 const std::vector<std::string>& prepare_task_ids, int64_t now_ms);

// One TASK_LATENCY task per device class in `needs`
// ("<candidate>.latency.<class>"); those that need energy require
// kCapabilityEnergyMeter so they never reach an agent that cannot answer.
std::vector<TaskRecord> CandidateLatencyTasks(const v1::Job& job, const v1::Candidate& candidate,
                                              const CandidateNeeds& needs, int64_t now_ms);

// Everything `candidate` needs measured: its accuracy task (when a worker
// metric is needed; requiring `accuracy_capability` unless it is empty) and
// its latency tasks.
std::vector<TaskRecord> MeasureCandidate(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms, const std::string& accuracy_capability);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_CANDIDATE_TASKS_H_
