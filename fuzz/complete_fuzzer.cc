// Fuzzes result ingestion: each input is a CompleteRequest (protobuf wire
// format) sent to a live JobManager over an in-memory SQLite store, for a
// task really leased to a registered worker or agent (the first byte picks
// which ids are kept from the lease and which come from the input). Any
// request must be accepted or refused with a message, never crash, and
// never lose or change a stored result: every metric stored before the call
// is still there, with the same value, after it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "common/metric_names.h"
#include "coordinator/job_manager.h"
#include "coordinator/store/store.h"

namespace edgenas {
namespace {

struct World {
  std::unique_ptr<Store> store;
  std::unique_ptr<JobManager> manager;
  std::string worker, agent, job;
};

std::string RegisterExecutor(JobManager& manager, v1::ExecutorKind kind) {
  v1::RegisterRequest req;
  req.set_kind(kind);
  req.set_name("fuzz");
  req.set_device_class("cpu");
  auto resp = manager.Register(req);
  if (!resp.ok()) std::abort();
  return resp->executor_id();
}

void SubmitJob(World& w) {
  v1::JobSpec spec;
  spec.set_name("fuzz");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  auto* acc = spec.add_objectives();
  acc->set_metric(kMetricAccuracy);
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric(kMetricLatencyMs);
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class("cpu");
  spec.mutable_budget()->set_max_evaluations(1000000);
  spec.set_parallelism(4);
  spec.set_max_attempts(2);
  auto job = w.manager->SubmitJob(spec);
  if (!job.ok()) std::abort();
  w.job = job->id();
}

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    auto store = Store::Open(":memory:");
    if (!store.ok()) std::abort();
    world->store = *std::move(store);
    JobManagerOptions options;
    options.store = world->store.get();
    options.start_housekeeping_thread = false;
    auto manager = JobManager::Create(options);
    if (!manager.ok()) std::abort();
    world->manager = *std::move(manager);
    world->worker = RegisterExecutor(*world->manager, v1::WORKER);
    world->agent = RegisterExecutor(*world->manager, v1::DEVICE_AGENT);
    SubmitJob(*world);
    return world;
  }();
  return *w;
}

using MetricKey = std::tuple<std::string, std::string, std::string, std::string>;

// Every stored metric of the job: (candidate, name, device class, source) -> value.
std::map<MetricKey, double> StoredMetrics(World& w) {
  std::map<MetricKey, double> out;
  auto candidates = w.store->ListCandidates(w.job);
  if (!candidates.ok()) std::abort();
  for (const v1::Candidate& c : *candidates) {
    for (const v1::Metric& m : c.metrics()) {
      out[{c.id(), m.name(), m.device_class(), m.source()}] = m.value();
    }
  }
  return out;
}

}  // namespace
}  // namespace edgenas

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgenas;
  if (size < 1 || size > 256 * 1024) return 0;
  World& w = TheWorld();
  const uint8_t mode = data[0];
  v1::CompleteRequest req;
  if (!req.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;

  auto job = w.manager->GetJob(w.job);
  if (!job.ok()) std::abort();
  if (job->state() != v1::JOB_SEARCHING && job->state() != v1::JOB_PREPARING) SubmitJob(w);

  const std::string& executor = (mode & 1) ? w.agent : w.worker;
  v1::LeaseRequest lease;
  lease.set_executor_id(executor);
  lease.set_max_tasks(1);
  auto leased = w.manager->Lease(lease);
  if (!leased.ok()) std::abort();
  const bool have_task = leased->tasks_size() > 0;
  if (have_task) {
    const v1::Task& t = leased->tasks(0);
    if (mode & 2) req.set_task_id(t.task_id());
    if (mode & 4) req.set_lease_token(t.lease_token());
  }
  if (mode & 8) req.set_executor_id(executor);

  const std::map<MetricKey, double> before = StoredMetrics(w);
  absl::StatusOr<v1::CompleteResponse> done = w.manager->Complete(req);
  if (!done.ok() && done.status().message().empty()) std::abort();
  const std::map<MetricKey, double> after = StoredMetrics(w);
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    // A repeated source may replace its own value only through an accepted
    // completion of another task of the same candidate; a refused request
    // changes nothing.
    if (it == after.end()) std::abort();
    if (!done.ok() && it->second != value) std::abort();
  }
  // Give an unfinished lease back so the job keeps producing tasks.
  if (have_task && !done.ok()) {
    v1::FailRequest fail;
    fail.set_executor_id(executor);
    fail.set_task_id(leased->tasks(0).task_id());
    fail.set_lease_token(leased->tasks(0).lease_token());
    fail.set_reason("fuzz: result refused");
    fail.set_retryable(true);
    (void)w.manager->Fail(fail);
  }
  return 0;
}
