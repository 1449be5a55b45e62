// throughput_bench: how many evaluations per second the real
// edgenas-coordinator sustains, with fake executors on loopback.
//
// For each executor count it starts a fresh coordinator process on a fresh
// SQLite file, submits a job (accuracy max, latency_ms min on "cpu", random
// strategy), and runs half the executors as WORKERs and half as
// DEVICE_AGENTs, each a thread that leases (long poll) and completes every
// task at once with a made-up result. After a warm-up it measures a window:
// evaluations/s, completes/s, Lease and Complete latency, coordinator CPU and
// memory. Then it stops the coordinator with SIGTERM and checks in the
// database that every acknowledged result is stored. It prints figures and
// never passes or fails on time; the exit status is non-zero only when a
// level could not run, the coordinator died, or an acknowledged result is
// missing from its database.
//
// Run (run.sh also runs the Optuna peer):
//   build/bin/throughput_bench --coordinator_bin=build/bin/edgenas-coordinator
//       --executors=1,16,256,1000 --seconds=10     (one command line)
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "edgenas/v1/task_service.grpc.pb.h"

extern char** environ;  // posix_spawn hands the coordinator our environment

ABSL_FLAG(std::string, coordinator_bin, "build/bin/edgenas-coordinator",
          "path of the edgenas-coordinator binary to measure");
ABSL_FLAG(std::string, executors, "1,16,256,1000",
          "comma-separated executor counts, one level each (1 = one worker + one agent)");
ABSL_FLAG(int, seconds, 10, "length of the measured window per level");
ABSL_FLAG(int, job_budget, 2000,
          "max_evaluations of each submitted job; more jobs are submitted as they fill "
          "(2,000 is a typical search and stays well below NB201's distinct cells, so the "
          "bench measures the coordinator, not random search hunting the last unseen cells)");
ABSL_FLAG(int, warmup_seconds, 2, "warm-up before each window, excluded from the figures");
ABSL_FLAG(int, max_tasks, 4, "max_tasks of every Lease call");
ABSL_FLAG(int, wait_ms, 1000, "wait_ms (long poll) of every Lease call");
ABSL_FLAG(uint64_t, seed, 1, "job seed and seed of the fake results and backoff jitter");
ABSL_FLAG(std::string, db_dir, "",
          "folder for the databases, port files and coordinator logs (default: a new temp dir)");
ABSL_FLAG(std::string, coordinator_args, "",
          "extra flags for the coordinator, space-separated (e.g. --max_threads=256)");

namespace {

using Clock = std::chrono::steady_clock;
using edgenas::v1::SearchService;
using edgenas::v1::TaskService;

// Mirrors the real executors (executor/executor_loop.cc): 200 ms doubling to 5 s.
constexpr int kInitialBackoffMs = 200;
constexpr int kMaxBackoffMs = 5000;
constexpr int kRpcTimeoutMs = 10000;
constexpr int kStartTimeoutMs = 30000;
constexpr int kRegisterAllTimeoutMs = 30000;  // then measure anyway; reported
constexpr int kStopTimeoutMs = 20000;
constexpr int kMaxParallelism = 10000;    // job spec limit
constexpr int kMaxEvaluations = 1000000;  // job spec limit
constexpr const char* kDeviceClass = "cpu";
constexpr const char* kSource = "bench:fake";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------- options --

struct Options {
  std::string coordinator_bin;
  std::vector<int> levels;
  int seconds = 10;
  int warmup_seconds = 2;
  int max_tasks = 4;
  int wait_ms = 1000;
  uint64_t seed = 1;
  std::string db_dir;
  std::vector<std::string> coordinator_args;
};

// Reads the flags; false (with a message) when one is unusable.
bool ReadOptions(Options* o) {
  o->coordinator_bin = absl::GetFlag(FLAGS_coordinator_bin);
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_executors), ',', absl::SkipWhitespace())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1) {
      std::fprintf(stderr, "--executors: \"%.*s\" is not a positive count\n",
                   static_cast<int>(part.size()), part.data());
      return false;
    }
    o->levels.push_back(n);
  }
  o->seconds = absl::GetFlag(FLAGS_seconds);
  o->warmup_seconds = absl::GetFlag(FLAGS_warmup_seconds);
  o->max_tasks = absl::GetFlag(FLAGS_max_tasks);
  o->wait_ms = absl::GetFlag(FLAGS_wait_ms);
  o->seed = absl::GetFlag(FLAGS_seed);
  o->db_dir = absl::GetFlag(FLAGS_db_dir);
  o->coordinator_args =
      absl::StrSplit(absl::GetFlag(FLAGS_coordinator_args), ' ', absl::SkipWhitespace());
  if (o->levels.empty() || o->seconds < 1 || o->warmup_seconds < 0 || o->max_tasks < 1 ||
      o->wait_ms < 0) {
    std::fprintf(stderr,
                 "need --executors, --seconds >= 1, --warmup_seconds >= 0, "
                 "--max_tasks >= 1, --wait_ms >= 0\n");
    return false;
  }
  if (access(o->coordinator_bin.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "--coordinator_bin: %s is not an executable file\n",
                 o->coordinator_bin.c_str());
    return false;
  }
  return true;
}

// Creates the default temp dir when --db_dir is empty.
bool PrepareDbDir(Options* o) {
  if (o->db_dir.empty()) {
    char tmpl[] = "/tmp/edgenas-throughput-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return false;
    o->db_dir = tmpl;
    return true;
  }
  return mkdir(o->db_dir.c_str(), 0755) == 0 || errno == EEXIST;
}

// ----------------------------------------------------------- machine facts --

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

// Raises the open-file limit: every executor holds its own connection.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// ---------------------------------------------------------- /proc readings --

// utime + stime of `pid` in seconds; nullopt when it cannot be read.
std::optional<double> ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields resume after its ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Key:   123 kB" line of /proc/PID/status, in kB; 0 when absent.
int64_t ProcessStatusKb(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::strtoll(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ------------------------------------------------------- coordinator process --

struct Coordinator {
  pid_t pid = -1;
  int port = 0;
  std::string db_path;
  std::string log_path;
};

void RemoveDbFiles(const std::string& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove((db + suffix).c_str());
  }
}

// Starts the coordinator with stdout/stderr to its log; false on spawn failure.
bool SpawnCoordinator(const Options& o, const std::string& port_file, Coordinator* c) {
  std::vector<std::string> args = {o.coordinator_bin, "--listen=127.0.0.1:0",
                                   "--metrics_listen=off", "--db=" + c->db_path,
                                   "--port_file=" + port_file};
  args.insert(args.end(), o.coordinator_args.begin(), o.coordinator_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, c->log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&c->pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) std::fprintf(stderr, "cannot start %s: %s\n", argv[0], std::strerror(rc));
  return rc == 0;
}

// "exit code N" or "signal N" for a waitpid status.
std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return absl::StrCat("wait status ", status);
}

// True while the child has not exited; reaps it (into *status) when it has.
bool ChildAlive(pid_t pid, int* status) { return waitpid(pid, status, WNOHANG) == 0; }

// Waits for the port file (written once the coordinator serves).
bool WaitForPort(const std::string& port_file, Coordinator* c) {
  const int64_t deadline = NowNs() + kStartTimeoutMs * 1000000LL;
  int status = 0;
  while (NowNs() < deadline) {
    std::ifstream in(port_file);
    if (in >> c->port && c->port > 0) return true;
    if (!ChildAlive(c->pid, &status)) {
      std::fprintf(stderr, "coordinator exited while starting (%s); see %s\n",
                   DescribeExit(status).c_str(), c->log_path.c_str());
      c->pid = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "coordinator did not write %s within %d ms\n", port_file.c_str(),
               kStartTimeoutMs);
  return false;
}

// Starts a fresh coordinator on a fresh database for `level`.
bool StartCoordinator(const Options& o, int level, Coordinator* c) {
  const std::string base = absl::StrCat(o.db_dir, "/level-", level);
  c->db_path = base + ".db";
  c->log_path = base + ".log";
  const std::string port_file = base + ".port";
  RemoveDbFiles(c->db_path);
  std::remove(port_file.c_str());
  sync();  // the previous level's dirty pages must not be written back on this one's time
  return SpawnCoordinator(o, port_file, c) && WaitForPort(port_file, c);
}

// SIGTERM, then SIGKILL after kStopTimeoutMs. Returns how it ended, in words.
std::string StopCoordinator(Coordinator* c) {
  if (c->pid <= 0) return "already gone";
  int status = 0;
  if (!ChildAlive(c->pid, &status)) {
    c->pid = -1;
    return absl::StrCat("HAD EXITED before SIGTERM (", DescribeExit(status), ")");
  }
  kill(c->pid, SIGTERM);
  const int64_t deadline = NowNs() + kStopTimeoutMs * 1000000LL;
  while (NowNs() < deadline) {
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
      c->pid = -1;
      return absl::StrCat("stopped on SIGTERM (", DescribeExit(status), ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(c->pid, SIGKILL);
  waitpid(c->pid, &status, 0);
  c->pid = -1;
  return absl::StrCat("did not stop within ", kStopTimeoutMs / 1000, " s of SIGTERM; SIGKILLed");
}

// -------------------------------------------------------------- gRPC bits --

// A channel with its own connection (executors are separate machines).
std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxBackoffMs);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

void SetDeadlineMs(grpc::ClientContext* ctx, int ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

// Codes after which the same call may succeed later (as executor_loop.cc).
bool IsTransient(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(sizeof(kNames) / sizeof(kNames[0])) ? kNames[i] : "?";
}

// Waits until ListJobs answers OK (the coordinator serves).
bool WaitUntilServing(SearchService::Stub* stub) {
  const int64_t deadline = NowNs() + kStartTimeoutMs * 1000000LL;
  grpc::Status s;
  while (NowNs() < deadline) {
    grpc::ClientContext ctx;
    SetDeadlineMs(&ctx, 1000);
    edgenas::v1::ListJobsResponse resp;
    s = stub->ListJobs(&ctx, edgenas::v1::ListJobsRequest(), &resp);
    if (s.ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "coordinator not serving: %s\n", s.error_message().c_str());
  return false;
}

// ------------------------------------------------------------------ jobs --

struct Shape {
  int workers = 0;
  int agents = 0;
  int parallelism = 0;   // per job
  int refill_below = 0;  // pending candidates under which another job is submitted
};

// Half workers, half agents; one executor means one of each.
Shape ShapeFor(int executors, int max_tasks) {
  Shape s;
  s.workers = executors == 1 ? 1 : (executors + 1) / 2;
  s.agents = executors == 1 ? 1 : executors / 2;
  const int64_t total = s.workers + s.agents;
  s.parallelism = static_cast<int>(std::min<int64_t>(kMaxParallelism, 2 * total * max_tasks));
  s.refill_below = static_cast<int>(
      std::min<int64_t>(s.parallelism, 2LL * std::max(s.workers, s.agents) * max_tasks));
  return s;
}

edgenas::v1::JobSpec BenchJobSpec(const Shape& shape, uint64_t seed, int index) {
  edgenas::v1::JobSpec spec;
  spec.set_name(absl::StrCat("throughput-bench-", index));
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(edgenas::v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(edgenas::v1::MINIMIZE);
  lat->set_device_class(kDeviceClass);
  const int budget = std::clamp(absl::GetFlag(FLAGS_job_budget), 1, kMaxEvaluations);
  spec.mutable_budget()->set_max_evaluations(budget);
  spec.set_parallelism(std::min(shape.parallelism, budget));
  spec.set_seed(seed + static_cast<uint64_t>(index));
  spec.set_lease_seconds(60);
  return spec;
}

// Submits job number `index`, retrying transient refusals for kRpcTimeoutMs.
std::optional<std::string> SubmitJob(SearchService::Stub* stub, const Shape& shape, uint64_t seed,
                                     int index) {
  const int64_t deadline = NowNs() + kRpcTimeoutMs * 1000000LL;
  grpc::Status s;
  do {
    grpc::ClientContext ctx;
    SetDeadlineMs(&ctx, kRpcTimeoutMs);
    edgenas::v1::SubmitJobRequest req;
    *req.mutable_spec() = BenchJobSpec(shape, seed, index);
    edgenas::v1::Job job;
    s = stub->SubmitJob(&ctx, req, &job);
    if (s.ok()) return job.id();
    if (!IsTransient(s.error_code())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (NowNs() < deadline);
  std::fprintf(stderr, "SubmitJob: %s: %s\n", CodeName(s.error_code()), s.error_message().c_str());
  return std::nullopt;
}

bool IsTerminal(edgenas::v1::JobState state) {
  return state == edgenas::v1::JOB_DONE || state == edgenas::v1::JOB_FAILED ||
         state == edgenas::v1::JOB_CANCELLED;
}

// NB201 holds ~6.5k distinct cells, so a fast run can use a job's space up.
// The feeder then submits the next job before executors starve: it keeps at
// least shape.refill_below candidates pending over the unfinished jobs.
class JobFeeder {
 public:
  JobFeeder(SearchService::Stub* stub, const Shape& shape, uint64_t seed, std::string first_job)
      : stub_(stub), shape_(shape), seed_(seed), active_{std::move(first_job)} {
    thread_ = std::thread([this] { Run(); });
  }
  ~JobFeeder() { Stop(); }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  int jobs_submitted() const { return submitted_; }  // valid after Stop()

 private:
  void Run() {
    while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
      std::optional<int64_t> pending = PendingOverActiveJobs();
      if (!pending || *pending >= shape_.refill_below) continue;
      auto id = SubmitJob(stub_, shape_, seed_, submitted_);
      if (id) {
        active_.push_back(*id);
        ++submitted_;
      }
    }
  }

  // Sum of candidates_pending of unfinished jobs; drops finished ones.
  // nullopt when a GetJob call failed (try again next tick).
  std::optional<int64_t> PendingOverActiveJobs() {
    int64_t pending = 0;
    std::vector<std::string> still;
    for (const std::string& id : active_) {
      grpc::ClientContext ctx;
      SetDeadlineMs(&ctx, kRpcTimeoutMs);
      edgenas::v1::GetJobRequest req;
      req.set_job_id(id);
      edgenas::v1::Job job;
      if (!stub_->GetJob(&ctx, req, &job).ok()) return std::nullopt;
      if (IsTerminal(job.state())) continue;
      pending += job.candidates_pending();
      still.push_back(id);
    }
    active_ = std::move(still);
    return pending;
  }

  SearchService::Stub* const stub_;
  const Shape shape_;
  const uint64_t seed_;
  std::vector<std::string> active_;  // only touched by the feeder thread
  int submitted_ = 1;
  absl::Notification stop_;
  std::thread thread_;
};

// ------------------------------------------------------------- executors --

// 0 before the window, 1 inside it, 2 after.
enum Phase : int { kWarmup = 0, kMeasuring = 1, kAfter = 2 };

struct Ack {
  std::string task_id;
  std::string candidate_id;
  std::string metric;
  double value = 0;
  int64_t at_ns = 0;
};

// What one executor saw; owned by its thread until joined.
struct ExecutorStats {
  std::vector<double> lease_ms;           // OK calls started in the window
  std::vector<double> complete_ms;        // OK calls started in the window
  std::map<std::string, int64_t> errors;  // "Lease RESOURCE_EXHAUSTED" -> count
  std::vector<Ack> acks;
  int64_t empty_leases = 0;  // in the window
  int64_t duplicates = 0;
  bool registered = false;
};

struct Shared {
  std::atomic<int> phase{kWarmup};
  std::atomic<int> registered{0};
  absl::Notification stop;
};

// Deterministic fraction in [0, 1) for a task id (FNV-1a, mixed with seed).
double UnitFor(const std::string& task_id, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char ch : task_id) h = (h ^ ch) * 1099511628211ULL;
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// The instant result: accuracy 0.5-0.9 for workers, latency 1-10 ms for agents.
edgenas::v1::Metric FakeResult(const edgenas::v1::Task& task, uint64_t seed) {
  edgenas::v1::Metric m;
  const double u = UnitFor(task.task_id(), seed);
  if (task.kind() == edgenas::v1::TASK_ACCURACY) {
    // A front member's test split at the end (FINALIZING), else training.
    m.set_name(task.operation() == "test_eval" ? "test_accuracy" : "accuracy");
    m.set_value(0.5 + 0.4 * u);
  } else {
    m.set_name("latency_ms");
    m.set_value(1.0 + 9.0 * u);
    m.set_device_class(task.device_class());
  }
  m.set_source(kSource);
  return m;
}

class FakeExecutor {
 public:
  FakeExecutor(const Options& o, int port, edgenas::v1::ExecutorKind kind, int index,
               Shared* shared, ExecutorStats* stats)
      : o_(o),
        stub_(TaskService::NewStub(NewChannel(port))),
        kind_(kind),
        index_(index),
        shared_(shared),
        stats_(stats),
        rng_(o.seed * 7919 + static_cast<uint64_t>(index)) {}

  void Run() {
    if (!Register()) return;
    while (!shared_->stop.HasBeenNotified()) {
      std::vector<edgenas::v1::Task> tasks;
      if (!Lease(&tasks)) continue;
      for (const auto& task : tasks) Complete(task);
    }
  }

 private:
  bool Measuring() const { return shared_->phase.load(std::memory_order_relaxed) == kMeasuring; }

  void CountError(const char* rpc, const grpc::Status& s) {
    ++stats_->errors[absl::StrCat(rpc, " ", CodeName(s.error_code()))];
  }

  // Sleeps the next backoff with +-25% jitter; true when stop came instead.
  bool Backoff(int* backoff_ms) {
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    const int ms = static_cast<int>(*backoff_ms * jitter(rng_));
    *backoff_ms = std::min(kMaxBackoffMs, *backoff_ms * 2);
    return shared_->stop.WaitForNotificationWithTimeout(absl::Milliseconds(ms));
  }

  bool Register() {
    int backoff_ms = kInitialBackoffMs;
    do {
      grpc::ClientContext ctx;
      SetDeadlineMs(&ctx, kRpcTimeoutMs);
      edgenas::v1::RegisterRequest req;
      req.set_kind(kind_);
      req.set_name(absl::StrCat("bench-", index_));
      if (kind_ == edgenas::v1::DEVICE_AGENT) req.set_device_class(kDeviceClass);
      edgenas::v1::RegisterResponse resp;
      grpc::Status s = stub_->Register(&ctx, req, &resp);
      if (s.ok()) {
        executor_id_ = resp.executor_id();
        stats_->registered = true;
        shared_->registered.fetch_add(1);
        return true;
      }
      CountError("Register", s);
      if (!IsTransient(s.error_code())) return false;
    } while (!Backoff(&backoff_ms));
    return false;
  }

  // One long poll; false after an error (already backed off).
  bool Lease(std::vector<edgenas::v1::Task>* tasks) {
    grpc::ClientContext ctx;
    SetDeadlineMs(&ctx, o_.wait_ms + kRpcTimeoutMs);
    edgenas::v1::LeaseRequest req;
    req.set_executor_id(executor_id_);
    req.set_max_tasks(o_.max_tasks);
    req.set_wait_ms(o_.wait_ms);
    edgenas::v1::LeaseResponse resp;
    const int64_t t0 = NowNs();
    const bool measuring = Measuring();
    grpc::Status s = stub_->Lease(&ctx, req, &resp);
    if (!s.ok()) {
      CountError("Lease", s);
      Backoff(&lease_backoff_ms_);
      return false;
    }
    lease_backoff_ms_ = kInitialBackoffMs;
    if (measuring) {
      stats_->lease_ms.push_back((NowNs() - t0) / 1e6);
      if (resp.tasks_size() == 0) ++stats_->empty_leases;
    }
    tasks->assign(resp.tasks().begin(), resp.tasks().end());
    return true;
  }

  // Reports the fake result, retrying transient errors until it is acknowledged
  // or the run stops (a result still unacknowledged then is simply not counted).
  void Complete(const edgenas::v1::Task& task) {
    edgenas::v1::CompleteRequest req;
    req.set_executor_id(executor_id_);
    req.set_task_id(task.task_id());
    req.set_lease_token(task.lease_token());
    *req.add_metrics() = FakeResult(task, o_.seed);
    int backoff_ms = kInitialBackoffMs;
    for (;;) {
      grpc::ClientContext ctx;
      SetDeadlineMs(&ctx, kRpcTimeoutMs);
      edgenas::v1::CompleteResponse resp;
      const int64_t t0 = NowNs();
      const bool measuring = Measuring();
      grpc::Status s = stub_->Complete(&ctx, req, &resp);
      const int64_t t1 = NowNs();
      if (s.ok()) {
        if (measuring) stats_->complete_ms.push_back((t1 - t0) / 1e6);
        if (resp.duplicate()) ++stats_->duplicates;
        stats_->acks.push_back({task.task_id(), task.candidate_id(), req.metrics(0).name(),
                                req.metrics(0).value(), t1});
        return;
      }
      CountError("Complete", s);
      if (!IsTransient(s.error_code()) || shared_->stop.HasBeenNotified()) return;
      Backoff(&backoff_ms);
    }
  }

  const Options& o_;
  std::unique_ptr<TaskService::Stub> stub_;
  const edgenas::v1::ExecutorKind kind_;
  const int index_;
  Shared* const shared_;
  ExecutorStats* const stats_;
  std::mt19937_64 rng_;
  std::string executor_id_;
  int lease_backoff_ms_ = kInitialBackoffMs;
};

// ---------------------------------------------------------- verification --

struct Verification {
  int64_t acked = 0;
  int64_t stored = 0;   // DONE task with the metric value that was sent
  int64_t missing = 0;  // no DONE task or no metric row
  int64_t wrong = 0;    // stored, but a different value or metric
  int64_t db_done = 0;  // DONE tasks in the database (acked or not)
  std::string error;
};

// Reads task id -> (metric name, value) of every DONE task with its metric.
bool ReadStoredResults(sqlite3* db,
                       std::unordered_map<std::string, std::pair<std::string, double>>* out,
                       std::string* error) {
  const char* sql =
      "SELECT t.id, m.name, m.value FROM tasks t JOIN metrics m ON m.task_id = t.id "
      "WHERE t.state = 2 AND m.name IN ('accuracy', 'latency_ms')";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    *error = sqlite3_errmsg(db);
    return false;
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    (*out)[id ? id : ""] = {name ? name : "", sqlite3_column_double(stmt, 2)};
  }
  if (rc != SQLITE_DONE) *error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE;
}

int64_t CountDoneTasks(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM tasks WHERE state = 2", -1, &stmt, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return n;
}

// Opens the (stopped) coordinator's database read-only and checks every ack.
Verification VerifyStored(const std::string& db_path, const std::vector<const Ack*>& acks) {
  Verification v;
  v.acked = static_cast<int64_t>(acks.size());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    v.error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    v.missing = v.acked;
    return v;
  }
  sqlite3_busy_timeout(db, 5000);
  std::unordered_map<std::string, std::pair<std::string, double>> stored;
  if (!ReadStoredResults(db, &stored, &v.error)) v.error = "reading results: " + v.error;
  v.db_done = CountDoneTasks(db);
  sqlite3_close(db);
  for (const Ack* a : acks) {
    auto it = stored.find(a->task_id);
    if (it == stored.end()) {
      ++v.missing;
    } else if (it->second.first != a->metric || std::fabs(it->second.second - a->value) > 1e-9) {
      ++v.wrong;
    } else {
      ++v.stored;
    }
  }
  return v;
}

// ---------------------------------------------------------------- levels --

struct LevelResult {
  int executors = 0;
  Shape shape;
  bool ran = false;
  std::string failure;
  double window_s = 0;
  int registered_at_start = 0;  // when the warm-up began
  int registered = 0;           // by the end
  int jobs = 0;
  double evaluations_per_s = 0;
  double completes_per_s = 0;
  double lease_p50 = NAN, lease_p99 = NAN, complete_p50 = NAN, complete_p99 = NAN;
  int64_t lease_calls = 0, empty_leases = 0, duplicates = 0;
  double coordinator_cpu_pct = NAN, bench_cpu_pct = NAN;
  int64_t rss_final_kb = 0, rss_peak_kb = 0, hwm_kb = 0;
  std::map<std::string, int64_t> errors;
  std::string stop_outcome;
  bool died = false;  // the coordinator exited before the bench stopped it
  int exit_status = 0;
  Verification verification;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  const size_t k = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + (k == 0 ? 0 : k - 1), v.end());
  return v[k == 0 ? 0 : k - 1];
}

// The window: resource readings at its ends, RSS sampled every 100 ms.
struct WindowReadings {
  int64_t t0_ns = 0, t1_ns = 0;
  double coord_cpu = NAN, bench_cpu = NAN;
  int64_t rss_final_kb = 0, rss_peak_kb = 0, hwm_kb = 0;
};

WindowReadings MeasureWindow(const Options& o, pid_t pid, Shared* shared) {
  WindowReadings w;
  const auto cpu0 = ProcessCpuSeconds(pid);
  const double self0 = SelfCpuSeconds();
  w.t0_ns = NowNs();
  shared->phase.store(kMeasuring);
  const int64_t end_ns = w.t0_ns + o.seconds * 1000000000LL;
  while (NowNs() < end_ns) {
    w.rss_peak_kb = std::max(w.rss_peak_kb, ProcessStatusKb(pid, "VmRSS"));
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::min<int64_t>(100, std::max<int64_t>(1, (end_ns - NowNs()) / 1000000))));
  }
  shared->phase.store(kAfter);
  w.t1_ns = NowNs();
  const auto cpu1 = ProcessCpuSeconds(pid);
  w.bench_cpu = SelfCpuSeconds() - self0;
  if (cpu0 && cpu1) w.coord_cpu = *cpu1 - *cpu0;
  w.rss_final_kb = ProcessStatusKb(pid, "VmRSS");
  w.rss_peak_kb = std::max(w.rss_peak_kb, w.rss_final_kb);
  w.hwm_kb = ProcessStatusKb(pid, "VmHWM");
  return w;
}

// Waits until every executor registered (or kRegisterAllTimeoutMs passed).
void WaitForRegistrations(const Shared& shared, int total) {
  const int64_t deadline = NowNs() + kRegisterAllTimeoutMs * 1000000LL;
  while (shared.registered.load() < total && NowNs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Folds every executor's stats into the level's figures.
void Summarize(const std::vector<ExecutorStats>& stats, const WindowReadings& w, LevelResult* r) {
  std::vector<double> lease, complete;
  int64_t completes_in_window = 0;
  struct Halves {
    int64_t last_ns = 0;
    int parts = 0;
  };
  std::unordered_map<std::string, Halves> by_candidate;
  for (const ExecutorStats& s : stats) {
    lease.insert(lease.end(), s.lease_ms.begin(), s.lease_ms.end());
    complete.insert(complete.end(), s.complete_ms.begin(), s.complete_ms.end());
    for (const auto& [key, n] : s.errors) r->errors[key] += n;
    r->empty_leases += s.empty_leases;
    r->duplicates += s.duplicates;
    for (const Ack& a : s.acks) {
      if (a.at_ns >= w.t0_ns && a.at_ns < w.t1_ns) ++completes_in_window;
      Halves& h = by_candidate[a.candidate_id];
      h.last_ns = std::max(h.last_ns, a.at_ns);
      ++h.parts;
    }
  }
  int64_t evaluations = 0;
  for (const auto& [id, h] : by_candidate) {
    if (h.parts >= 2 && h.last_ns >= w.t0_ns && h.last_ns < w.t1_ns) ++evaluations;
  }
  r->window_s = (w.t1_ns - w.t0_ns) / 1e9;
  r->lease_calls = static_cast<int64_t>(lease.size());
  r->lease_p50 = Percentile(lease, 50);
  r->lease_p99 = Percentile(lease, 99);
  r->complete_p50 = Percentile(complete, 50);
  r->complete_p99 = Percentile(complete, 99);
  r->completes_per_s = completes_in_window / r->window_s;
  r->evaluations_per_s = evaluations / r->window_s;
  r->coordinator_cpu_pct = 100.0 * w.coord_cpu / r->window_s;
  r->bench_cpu_pct = 100.0 * w.bench_cpu / r->window_s;
  r->rss_final_kb = w.rss_final_kb;
  r->rss_peak_kb = w.rss_peak_kb;
  r->hwm_kb = w.hwm_kb;
}

std::vector<const Ack*> AllAcks(const std::vector<ExecutorStats>& stats) {
  std::vector<const Ack*> acks;
  for (const ExecutorStats& s : stats) {
    for (const Ack& a : s.acks) acks.push_back(&a);
  }
  return acks;
}

// Runs the executor threads against a serving coordinator; fills `r`.
void DriveLevel(const Options& o, Coordinator* c, const Shape& shape, const std::string& first_job,
                SearchService::Stub* search, LevelResult* r) {
  const int total = shape.workers + shape.agents;
  Shared shared;
  std::vector<ExecutorStats> stats(total);
  std::vector<std::thread> threads;
  threads.reserve(total);
  JobFeeder feeder(search, shape, o.seed, first_job);
  for (int i = 0; i < total; ++i) {
    const auto kind = i < shape.workers ? edgenas::v1::WORKER : edgenas::v1::DEVICE_AGENT;
    threads.emplace_back([&o, port = c->port, &shared, &stats, kind, i] {
      FakeExecutor(o, port, kind, i, &shared, &stats[i]).Run();
    });
  }
  WaitForRegistrations(shared, total);
  r->registered_at_start = shared.registered.load();
  std::this_thread::sleep_for(std::chrono::seconds(o.warmup_seconds));
  const WindowReadings w = MeasureWindow(o, c->pid, &shared);
  shared.stop.Notify();
  for (std::thread& t : threads) t.join();
  feeder.Stop();
  r->registered = shared.registered.load();
  r->jobs = feeder.jobs_submitted();
  Summarize(stats, w, r);
  // The coordinator must be stopped before its database is read.
  r->died = !ChildAlive(c->pid, &r->exit_status);
  r->stop_outcome =
      r->died ? absl::StrCat("HAD EXITED before SIGTERM (", DescribeExit(r->exit_status), ")")
              : StopCoordinator(c);
  if (r->died) c->pid = -1;
  r->verification = VerifyStored(c->db_path, AllAcks(stats));
}

LevelResult RunLevel(const Options& o, int executors) {
  LevelResult r;
  r.executors = executors;
  r.shape = ShapeFor(executors, o.max_tasks);
  Coordinator c;
  if (!StartCoordinator(o, executors, &c)) {
    r.failure = "coordinator did not start; see " + c.log_path;
    if (c.pid > 0) StopCoordinator(&c);
    return r;
  }
  auto search = SearchService::NewStub(NewChannel(c.port));
  std::optional<std::string> job;
  if (WaitUntilServing(search.get())) job = SubmitJob(search.get(), r.shape, o.seed, 0);
  if (!job) {
    r.failure = "could not submit the job; see " + c.log_path;
    StopCoordinator(&c);
    return r;
  }
  DriveLevel(o, &c, r.shape, *job, search.get(), &r);
  r.ran = true;
  return r;
}

// --------------------------------------------------------------- output --

std::string Ms(double v) { return std::isnan(v) ? "-" : absl::StrFormat("%.2f", v); }

void PrintLevelDetails(const Options& o, const LevelResult& r) {
  std::printf("## %d executors (%d workers + %d device agents%s): ", r.executors, r.shape.workers,
              r.shape.agents,
              r.executors == 1 ? "; 1 executor runs as one worker plus one agent" : "");
  if (!r.ran) {
    std::printf("NOT RUN: %s\n", r.failure.c_str());
    return;
  }
  std::printf("window %.2f s, parallelism %d per job, jobs submitted %d\n", r.window_s,
              r.shape.parallelism, r.jobs);
  std::printf(
      "   registered %d/%d before the warm-up, %d by the end; ok leases in window %lld "
      "(empty %lld); duplicate acks %lld\n",
      r.registered_at_start, r.shape.workers + r.shape.agents, r.registered,
      static_cast<long long>(r.lease_calls), static_cast<long long>(r.empty_leases),
      static_cast<long long>(r.duplicates));
  std::printf(
      "   coordinator CPU %.0f%%, bench CPU %.0f%% (same machine); RSS final %.1f MB, "
      "window peak %.1f MB, VmHWM %.1f MB\n",
      r.coordinator_cpu_pct, r.bench_cpu_pct, r.rss_final_kb / 1024.0, r.rss_peak_kb / 1024.0,
      r.hwm_kb / 1024.0);
  std::string errors = "none";
  if (!r.errors.empty()) {
    errors = absl::StrJoin(r.errors, ", ", [](std::string* out, const auto& kv) {
      absl::StrAppend(out, kv.first, "=", kv.second);
    });
  }
  std::printf("   RPC errors (whole run, incl. warm-up): %s\n", errors.c_str());
  const Verification& v = r.verification;
  std::printf("   coordinator %s; acknowledged %lld, stored %lld, missing %lld",
              r.stop_outcome.c_str(), static_cast<long long>(v.acked),
              static_cast<long long>(v.stored), static_cast<long long>(v.missing));
  if (v.wrong > 0) std::printf(", stored with another value %lld", static_cast<long long>(v.wrong));
  std::printf(" (DONE tasks in db %lld)%s%s\n", static_cast<long long>(v.db_done),
              v.error.empty() ? "" : "; db error: ", v.error.c_str());
  std::printf("   db %s, log %s\n", absl::StrCat(o.db_dir, "/level-", r.executors, ".db").c_str(),
              absl::StrCat(o.db_dir, "/level-", r.executors, ".log").c_str());
  std::fflush(stdout);
}

void PrintTable(const std::vector<LevelResult>& results) {
  std::printf("\n%-15s | %13s | %11s | %17s | %20s | %10s | %14s | %s\n", "executors (W+A)",
              "evaluations/s", "completes/s", "lease p50/p99 ms", "complete p50/p99 ms",
              "coord CPU%", "RSS MB fin/pk", "acked/stored/missing");
  std::printf("%s\n", std::string(140, '-').c_str());
  for (const LevelResult& r : results) {
    const std::string who =
        absl::StrFormat("%d (%d+%d)", r.executors, r.shape.workers, r.shape.agents);
    if (!r.ran) {
      std::printf("%-15s | not run: %s\n", who.c_str(), r.failure.c_str());
      continue;
    }
    const Verification& v = r.verification;
    std::printf(
        "%-15s | %13.1f | %11.1f | %17s | %20s | %10.0f | %14s | %lld/%lld/%lld%s\n", who.c_str(),
        r.evaluations_per_s, r.completes_per_s, (Ms(r.lease_p50) + " / " + Ms(r.lease_p99)).c_str(),
        (Ms(r.complete_p50) + " / " + Ms(r.complete_p99)).c_str(), r.coordinator_cpu_pct,
        absl::StrFormat("%.0f / %.0f", r.rss_final_kb / 1024.0, r.rss_peak_kb / 1024.0).c_str(),
        static_cast<long long>(v.acked), static_cast<long long>(v.stored),
        static_cast<long long>(v.missing + v.wrong), r.died ? "  (coordinator died)" : "");
  }
  std::fflush(stdout);
}

void PrintHeader(const Options& o) {
  std::printf("# edgenas coordinator throughput (%s)\n", o.coordinator_bin.c_str());
  std::printf("# machine: %s, %u logical cores; coordinator and fake executors share it\n",
              CpuModel().c_str(), std::thread::hardware_concurrency());
  std::printf(
      "# window %d s after %d s warm-up; Lease max_tasks=%d wait_ms=%d; seed %llu; "
      "SQLite on disk in %s\n",
      o.seconds, o.warmup_seconds, o.max_tasks, o.wait_ms, static_cast<unsigned long long>(o.seed),
      o.db_dir.c_str());
  std::printf(
      "# coordinator flags: --listen=127.0.0.1:0 --db=<db_dir>/level-N.db %s; its log "
      "(EDGENAS_LOG_LEVEL, default info) goes to <db_dir>/level-N.log\n",
      absl::StrJoin(o.coordinator_args, " ").c_str());
  std::printf(
      "# a job is nb201/random, accuracy max + latency_ms min on cpu, max_evaluations "
      "%d, parallelism 2 x executors x max_tasks (<= %d); when NB201 runs dry "
      "(~2k candidates at high parallelism) another job is submitted\n",
      absl::GetFlag(FLAGS_job_budget), kMaxParallelism);
  std::printf(
      "# evaluation = a candidate with both accuracy and latency_ms acknowledged; "
      "latencies are of OK calls started in the window\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Options o;
  if (!ReadOptions(&o)) return 2;
  if (!PrepareDbDir(&o)) {
    std::fprintf(stderr, "--db_dir: cannot create %s\n", o.db_dir.c_str());
    return 2;
  }
  RaiseFileLimit();
  signal(SIGPIPE, SIG_IGN);
  PrintHeader(o);
  std::vector<LevelResult> results;
  for (int executors : o.levels) {
    results.push_back(RunLevel(o, executors));
    PrintLevelDetails(o, results.back());
  }
  PrintTable(results);
  bool complete = true;
  for (const LevelResult& r : results) {
    complete =
        complete && r.ran && !r.died && r.verification.missing == 0 && r.verification.wrong == 0;
  }
  return complete ? 0 : 1;
}
