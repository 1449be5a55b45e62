// restart_bench: how long the coordinator core takes to resume unfinished
// jobs holding N stored candidates in all (default 100,000), and its
// resident memory after the restart. NB201 has 6,466 distinct cells, so the
// candidates are spread over ceil(N / 6,000) unfinished jobs (budget 6,200
// each). They are built through the real JobManager (random search,
// accuracy + latency objectives, results derived from a hash of the
// architecture: bench input, not measurements) with SQLite on disk, then
// the manager is destroyed and created again over the same file. Also
// prints the core's throughput while building (no gRPC). Prints figures;
// never pass/fail. "live heap" is the heap (mallinfo2) the restarted core
// holds per candidate it resumed: the live memory per candidate.
//
//   restart_bench [--candidates=100000] [--db=/tmp/edgenas_restart_bench.db]
//                 [--seed=1] [--parallelism=500]
//   restart_bench --reuse=1 [--db=...]   (only the restart of an existing file,
//                                         in a fresh process)
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/metric_names.h"
#include "coordinator/job_manager.h"
#include "coordinator/store/store.h"

namespace {

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) return std::string(argv[i] + prefix.size());
  }
  return def;
}

double RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// Bytes of heap in use (malloc's own count, so freed memory the allocator
// keeps does not count, unlike the resident size).
double HeapBytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

// The live-memory figure: heap bytes the restarted core holds per candidate
// it resumed (its jobs, candidates, tasks and archives over the store).
void PrintPerCandidate(double heap_before, double heap_after, int64_t candidates) {
  std::printf("live heap: %.1f MiB held by the restarted core for %lld candidates = %.0f bytes "
              "per live candidate\n",
              (heap_after - heap_before) / (1024.0 * 1024.0), static_cast<long long>(candidates),
              candidates > 0 ? (heap_after - heap_before) / static_cast<double>(candidates) : 0.0);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Register(edgenas::JobManager& m, edgenas::v1::ExecutorKind kind) {
  edgenas::v1::RegisterRequest req;
  req.set_kind(kind);
  req.set_name("bench");
  req.set_device_class("cpu");
  return m.Register(req)->executor_id();
}

// Every job, page by page (summaries: the counters are what is read).
std::vector<edgenas::v1::Job> AllJobs(edgenas::JobManager& m) {
  std::vector<edgenas::v1::Job> jobs;
  edgenas::v1::ListJobsRequest request;
  request.set_view(edgenas::v1::JOB_VIEW_SUMMARY);
  do {
    auto page = m.ListJobs(request);
    if (!page.ok()) break;
    jobs.insert(jobs.end(), page->jobs().begin(), page->jobs().end());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return jobs;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgenas;
  const int n = std::atoi(Flag(argc, argv, "candidates", "100000").c_str());
  const int parallelism = std::atoi(Flag(argc, argv, "parallelism", "500").c_str());
  constexpr int kPerJob = 6000;
  const std::string db = Flag(argc, argv, "db", "/tmp/edgenas_restart_bench.db");
  const uint64_t seed = std::strtoull(Flag(argc, argv, "seed", "1").c_str(), nullptr, 10);
  if (Flag(argc, argv, "reuse", "0") == "1") {
    // Only the restart, in a fresh process: the resident memory is then the
    // coordinator core's own footprint for the stored jobs.
    auto store = Store::Open(db);
    if (!store.ok()) {
      std::fprintf(stderr, "restart_bench: %s\n", store.status().ToString().c_str());
      return 1;
    }
    const double rss_open = RssMiB();
    const double heap_open = HeapBytes();
    JobManagerOptions options;
    options.store = store->get();
    options.start_housekeeping_thread = false;
    const auto start = std::chrono::steady_clock::now();
    auto manager = JobManager::Create(options);
    const double seconds = Seconds(start);
    if (!manager.ok()) {
      std::fprintf(stderr, "restart failed: %s\n", manager.status().ToString().c_str());
      return 1;
    }
    int64_t done = 0, pending = 0, unfinished = 0;
    for (const v1::Job& j : AllJobs(**manager)) {
      done += j.candidates_done();
      pending += j.candidates_pending();
      unfinished += j.state() == v1::JOB_SEARCHING;
    }
    std::printf("restart (fresh process) of %s: %.2f s to resume %lld unfinished jobs "
                "(%lld done, %lld pending); resident memory %.0f MiB (%.0f MiB before)\n",
                db.c_str(), seconds, static_cast<long long>(unfinished),
                static_cast<long long>(done), static_cast<long long>(pending), RssMiB(),
                rss_open);
    PrintPerCandidate(heap_open, HeapBytes(), done + pending);
    return 0;
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);

  auto store = Store::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "restart_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  JobManagerOptions options;
  options.store = store->get();
  options.start_housekeeping_thread = false;
  auto manager = JobManager::Create(options);
  v1::JobSpec spec;
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_budget()->set_max_evaluations(kPerJob + 200);  // unfinished at restart
  spec.set_parallelism(parallelism);
  spec.set_lease_seconds(3600);
  const int jobs = (n + kPerJob - 1) / kPerJob;
  std::vector<std::string> job_ids;
  for (int j = 0; j < jobs; ++j) {
    spec.set_seed(seed + j);
    auto job = (*manager)->SubmitJob(spec);
    if (!job.ok()) {
      std::fprintf(stderr, "restart_bench: %s\n", job.status().ToString().c_str());
      return 1;
    }
    job_ids.push_back(job->id());
  }
  const std::string worker = Register(**manager, v1::WORKER);
  const std::string agent = Register(**manager, v1::DEVICE_AGENT);
  const auto build_start = std::chrono::steady_clock::now();
  int completed = 0;
  while (completed < 2 * n) {
    // Lease a wave of tasks, then complete them all asynchronously so they
    // share commits, as results from many executors do.
    std::vector<std::pair<std::string, v1::Task>> wave;
    for (const std::string& ex : {worker, agent}) {
      while (static_cast<int>(wave.size()) < 2 * parallelism && completed + wave.size() < 2u * n) {
        v1::LeaseRequest req;
        req.set_executor_id(ex);
        req.set_max_tasks(16);
        auto resp = (*manager)->Lease(req);
        if (!resp.ok() || resp->tasks_size() == 0) break;
        for (const auto& t : resp->tasks()) wave.emplace_back(ex, t);
      }
    }
    if (wave.empty()) break;
    absl::Mutex mu;
    size_t answered = 0;
    for (const auto& [ex, t] : wave) {
      v1::CompleteRequest req;
      req.set_executor_id(ex);
      req.set_task_id(t.task_id());
      req.set_lease_token(t.lease_token());
      const double h = static_cast<double>(std::hash<std::string>()(t.arch()) % 1000) / 1000.0;
      v1::Metric* m = req.add_metrics();
      m->set_source("bench:derived-from-arch-hash");
      if (t.kind() == v1::TASK_ACCURACY) {
        // A front member's test split at the end (FINALIZING), else training.
        m->set_name(t.operation() == "test_eval" ? kMetricTestAccuracy : kMetricAccuracy);
        m->set_value(0.5 + 0.4 * h);
      } else {
        m->set_name(kMetricLatencyMs);
        m->set_value(1.0 + 5.0 * (1.0 - h) * h);
      }
      (*manager)->CompleteAsync(req, [&](absl::StatusOr<v1::CompleteResponse>) {
        absl::MutexLock lock(&mu);
        ++answered;
      });
    }
    std::pair<size_t*, size_t> progress(&answered, wave.size());
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::pair<size_t*, size_t>* p) { return *p->first == p->second; }, &progress));
    completed += static_cast<int>(wave.size());
  }
  const double build_s = Seconds(build_start);
  auto totals = [&](JobManager& m) {
    int64_t done = 0, pending = 0, unfinished = 0;
    for (const v1::Job& j : AllJobs(m)) {
      done += j.candidates_done();
      pending += j.candidates_pending();
      unfinished += j.state() == v1::JOB_SEARCHING;
    }
    return std::make_tuple(done, pending, unfinished);
  };
  const auto [done_before, pending_before, unfinished_before] = totals(**manager);
  const int64_t batches = (*manager)->committed_batches();
  const int64_t ops = (*manager)->committed_operations();
  manager->reset();

  malloc_trim(0);
  const double rss_before = RssMiB();
  const double heap_before = HeapBytes();
  const auto restart_start = std::chrono::steady_clock::now();
  auto restarted = JobManager::Create(options);
  const double restart_s = Seconds(restart_start);
  if (!restarted.ok()) {
    std::fprintf(stderr, "restart failed: %s\n", restarted.status().ToString().c_str());
    return 1;
  }
  const auto [done_after, pending_after, unfinished_after] = totals(**restarted);
  std::printf("restart_bench: JobManager over SQLite (WAL, synchronous=FULL) at %s\n", db.c_str());
  std::printf("jobs: %d x random search on nb201 (budget %d), accuracy + latency_ms, "
              "parallelism %d, seeds %llu..\n",
              jobs, kPerJob + 200, parallelism, static_cast<unsigned long long>(seed));
  std::printf("results: derived from a hash of the architecture (bench input, not measured)\n");
  std::printf("built: %d results completed in %.1f s (%.0f results/s through the core, %lld ops "
              "in %lld commits)\n",
              completed, build_s, completed / build_s, static_cast<long long>(ops),
              static_cast<long long>(batches));
  std::printf("stored: %lld candidates done, %lld pending, in %lld unfinished jobs\n",
              static_cast<long long>(done_before), static_cast<long long>(pending_before),
              static_cast<long long>(unfinished_before));
  std::printf("restart: %.2f s to resume %lld unfinished jobs (%lld done, %lld pending: %s)\n",
              restart_s, static_cast<long long>(unfinished_after),
              static_cast<long long>(done_after), static_cast<long long>(pending_after),
              done_after == done_before && pending_after == pending_before ? "all restored"
                                                                           : "MISMATCH");
  std::printf("resident memory: %.0f MiB before restart (store open), %.0f MiB after\n",
              rss_before, RssMiB());
  PrintPerCandidate(heap_before, HeapBytes(), done_after + pending_after);
  return 0;
}
