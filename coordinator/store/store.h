// Store: the coordinator's durable state in one SQLite database (WAL) —
// jobs, candidates and their metrics, tasks and leases, executors, and the
// per-job event log. The schema is versioned (table schema_version) and
// migrated forward on Open; a database from a newer build is refused.
//
// Records are stored as serialized protos plus the columns that queries
// filter or order by. Referential rules (foreign keys, enforced): a job must
// be written before its candidates, tasks and events; a candidate before its
// metrics. Every value is bound to a prepared statement.
//
// Thread-safe: one connection behind an internal mutex. RunInTransaction holds
// that mutex for the whole body, so other threads wait; Store calls that the
// body makes on the same thread re-enter (they must not hop to another thread).
#ifndef EDGENAS_COORDINATOR_STORE_STORE_H_
#define EDGENAS_COORDINATOR_STORE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/store/sqlite_util.h"
#include "coordinator/store/task_record.h"
#include "coordinator/strategy_log.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/job.pb.h"
#include "edgenas/v1/search_service.pb.h"
#include "edgenas/v1/task_service.pb.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgenas {

// A registered worker or device agent.
struct ExecutorRecord {
  std::string id;
  v1::ExecutorKind kind = v1::EXECUTOR_KIND_UNSPECIFIED;
  std::string name;
  std::string device_class;
  int64_t registered_ms = 0;
  int64_t last_seen_ms = 0;
  std::vector<std::string> capabilities;  // e.g. "energy_meter", "gpu"
  std::vector<std::string> accelerators;  // e.g. "cuda:0 NVIDIA H100"
  v1::DeviceDescriptor device;            // device agents' descriptor; empty = none
  // Who registered it: the SHA-256 of its client certificate under mutual
  // TLS ("" without one). Only that identity may act for the id, also after
  // a restart (coordinator/auth/auth_policy.h).
  std::string owner_identity;
};

class Store {
 public:
  // The schema version this build writes; Open migrates older ones to it.
  static constexpr int kSchemaVersion = 6;

  // Opens (creating if needed) and migrates the database at `path`
  // (":memory:" for a private in-memory one). FAILED_PRECONDITION when the
  // file's schema is newer than kSchemaVersion or WAL cannot be enabled.
  // Durability: WAL with synchronous=FULL, so a committed transaction
  // survives power loss; callers batch writes into few transactions (group
  // commit) to pay one fsync for many results.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Runs `body` in one transaction (BEGIN IMMEDIATE ... COMMIT); rolls back
  // and returns its error when it fails. A nested call becomes a savepoint,
  // so an inner failure undoes only the inner work if the outer body goes on.
  absl::Status RunInTransaction(const std::function<absl::Status()>& body);

  // Inserts or replaces the job (its spec included). INVALID_ARGUMENT for an
  // empty id.
  absl::Status PutJob(const v1::Job& job);
  // Updates the record of a stored job (state, counters, message) but not
  // its spec: the cheap write made after every result.
  absl::Status UpdateJobRecord(const v1::Job& job);
  // The job with `job_id`, or NOT_FOUND.
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  // Every job, oldest first.
  absl::StatusOr<std::vector<v1::Job>> ListJobs();
  // Calls `visit` with each job (spec included) that comes after
  // (after_created_ms, after_id) in (created_ms, id) order, oldest first,
  // until it returns false or the jobs run out; with `from_start` every job
  // is visited from the oldest (the position is ignored). A job is read
  // only when it is visited, so a listing that stops early reads no more.
  absl::Status ForEachJobAfter(bool from_start, int64_t after_created_ms,
                               const std::string& after_id,
                               const std::function<bool(v1::Job)>& visit);

  // Inserts or replaces the candidate. Its `metrics` are not written here
  // (use PutMetrics). ALREADY_EXISTS when another candidate of the job has the
  // same non-empty canonical_key; FAILED_PRECONDITION when the job is unknown.
  absl::Status PutCandidate(const v1::Candidate& candidate);
  // Writes the state, failure reason, record and finish time of a stored
  // candidate (its key, sequence and arch never change). NOT_FOUND otherwise.
  absl::Status UpdateCandidate(const v1::Candidate& candidate);
  // Inserts or replaces metrics of a candidate (keyed by name + device_class),
  // all or none. INVALID_ARGUMENT naming the metric for NaN/inf or no name.
  absl::Status PutMetrics(const std::string& candidate_id, const std::string& task_id,
                          const std::vector<v1::Metric>& metrics);
  // The candidate with its metrics, or NOT_FOUND.
  absl::StatusOr<v1::Candidate> GetCandidate(const std::string& candidate_id);
  // The job's candidates with their metrics, by sequence.
  absl::StatusOr<std::vector<v1::Candidate>> ListCandidates(const std::string& job_id);

  // Inserts or replaces the task, every field. FAILED_PRECONDITION when its
  // job is unknown.
  absl::Status PutTask(const TaskRecord& task);
  // Writes the fields that change over a task's life (state, attempts,
  // lease, timestamps, error) of a stored task: the cheap write made for
  // every lease, heartbeat and result. NOT_FOUND for an unknown task.
  absl::Status UpdateTask(const TaskRecord& task);
  // The task with `task_id`, or NOT_FOUND.
  absl::StatusOr<TaskRecord> GetTask(const std::string& task_id);
  // The job's tasks, oldest first.
  absl::StatusOr<std::vector<TaskRecord>> ListTasks(const std::string& job_id);
  // Every queued or leased task of any job, oldest first (for restart).
  absl::StatusOr<std::vector<TaskRecord>> ListUnfinishedTasks();

  // Fault injection for tests of crash safety: the next `count` top-level
  // commits fail (the transaction is rolled back) with `error`.
  void FailNextCommitsForTest(int count, absl::Status error);
  // Fault injection for tests of loading: while `error` is not OK, reads
  // fail with it: ListExecutors when `job_id` is empty (a whole reload
  // fails), else ListStrategyCalls of that job (the job cannot be loaded).
  // An OK `error` clears the fault.
  void FailReadsForTest(const std::string& job_id, absl::Status error);

  // Caps the database file at about `max_bytes` (PRAGMA max_page_count, in
  // whole pages; 0 lifts the cap). A write that would grow the file past it
  // fails with RESOURCE_EXHAUSTED ("database or disk is full") and rolls
  // back; reads and writes that reuse free pages go on. A cap below the
  // current size holds the file at its current size. Returns the cap now in
  // effect in bytes (0: none). INVALID_ARGUMENT for a negative value.
  absl::StatusOr<int64_t> SetMaxBytes(int64_t max_bytes);
  // OK when `bytes` more could be written now: a probe row of that size is
  // inserted in a savepoint and rolled back, so nothing is stored. Call it
  // outside RunInTransaction. RESOURCE_EXHAUSTED when the database is full,
  // PERMISSION_DENIED when it is read-only, as a real write would fail.
  absl::Status CheckWritable(int64_t bytes);
  // Fault injection for tests: makes this connection read-only (PRAGMA
  // query_only), so that every write and BEGIN IMMEDIATE fails with
  // PERMISSION_DENIED ("attempt to write a readonly database"), or
  // writable again.
  absl::Status SetReadOnlyForTest(bool read_only);

  // Appends calls to the job's strategy replay log (seq must be new).
  absl::Status AppendStrategyCalls(const std::string& job_id,
                                   const std::vector<StrategyCall>& calls);
  // The job's strategy log in order.
  absl::StatusOr<std::vector<StrategyCall>> ListStrategyCalls(const std::string& job_id);

  // Inserts or updates the executor; a known one keeps its registered_ms.
  absl::Status PutExecutor(const ExecutorRecord& executor);
  // Every executor, by registration time.
  absl::StatusOr<std::vector<ExecutorRecord>> ListExecutors();
  // Deletes the executor (a forgotten one: coordinator/executor_retention.h).
  // NOT_FOUND when there is none with `executor_id`.
  absl::Status DeleteExecutor(const std::string& executor_id);

  // Appends the event at its own sequence (> 0, chosen by the caller).
  // ALREADY_EXISTS when the job already has that sequence.
  absl::Status AppendEvent(const v1::JobEvent& event);
  // Up to `limit` (<= 0: all) events of the job with sequence > after_sequence,
  // in sequence order.
  absl::StatusOr<std::vector<v1::JobEvent>> ListEvents(const std::string& job_id,
                                                       int64_t after_sequence, int limit);
  // The job's highest event sequence, 0 when it has none.
  absl::StatusOr<int64_t> LastEventSequence(const std::string& job_id);

  // Inserts or replaces the latency table of (table.space, table.device_class)
  // (table latency_tables), stamped `created_ms`. INVALID_ARGUMENT when the
  // space or device class is empty. Validation is the caller's
  // (common/latency_predictor.h).
  absl::Status PutLatencyTable(const v1::LatencyTable& table, int64_t created_ms);
  // The stored table of (space, device_class), or NOT_FOUND naming both.
  absl::StatusOr<v1::LatencyTable> GetLatencyTable(const std::string& space,
                                                   const std::string& device_class);

  // Stores the tables job `job_id` screens with (its own copies, one per
  // device class, table job_latency_tables): later PutLatencyTable calls do
  // not change them. FAILED_PRECONDITION when the job is unknown,
  // INVALID_ARGUMENT for an empty job id or device class.
  absl::Status PutJobLatencyTables(const std::string& job_id,
                                   const std::vector<v1::LatencyTable>& tables);
  // The job's own tables, by device class (empty when it has none, e.g. a
  // job stored by a build before schema version 6).
  absl::StatusOr<std::vector<v1::LatencyTable>> ListJobLatencyTables(const std::string& job_id);

 private:
  class Access;  // the re-entrant hold on mu_, see the banner

  explicit Store(sqlite3* db);
  // Runs `body` atomically: inside the caller's open transaction as is
  // (any failure there fails that transaction), else in its own.
  absl::Status RunAtomically(const std::function<absl::Status()>& body);
  // Journal, durability and cache settings, the integrity check and the
  // schema migration of a freshly opened file.
  absl::Status Configure(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // DATA_LOSS naming `path` and what SQLite's quick_check found when the
  // file is damaged.
  absl::Status CheckIntegrity(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // NOT_FOUND naming `what` when the last UPDATE touched no row.
  absl::Status RowChanged(absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A prepared statement for constant `sql`, from the connection's cache.
  absl::StatusOr<sqlite::Statement> Cached(const std::string& sql, absl::string_view purpose)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  // The thread that holds mu_ (default id when none), for re-entry.
  std::atomic<std::thread::id> holder_{};
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  int transaction_depth_ ABSL_GUARDED_BY(mu_) = 0;
  int failing_commits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status commit_error_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> read_faults_ ABSL_GUARDED_BY(mu_);  // FailReadsForTest
  int64_t default_max_pages_ ABSL_GUARDED_BY(mu_) = 0;  // before SetMaxBytes; 0: not read
  std::map<std::string, sqlite3_stmt*> statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STORE_STORE_H_
