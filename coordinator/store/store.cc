#include "coordinator/store/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "coordinator/store/sqlite_util.h"

namespace edgenas {
namespace {

using sqlite::Statement;

constexpr int kBusyTimeoutMs = 5000;

// Migration i (0-based) takes the schema from version i to i+1. Append only:
// a released migration is never edited.
constexpr const char* kMigrations[] = {
    // v1: everything.
    R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, state INTEGER NOT NULL,
  spec BLOB NOT NULL,    -- edgenas.v1.JobSpec
  record BLOB NOT NULL,  -- edgenas.v1.Job without its spec
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE candidates (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  sequence INTEGER NOT NULL, arch TEXT NOT NULL,
  canonical_key TEXT,    -- NULL when unknown, so it never collides
  state INTEGER NOT NULL, failure_reason TEXT NOT NULL,
  record BLOB NOT NULL,  -- edgenas.v1.Candidate without its metrics
  created_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,
  UNIQUE (job_id, canonical_key));
CREATE INDEX candidates_by_job ON candidates (job_id, sequence);
CREATE TABLE metrics (
  candidate_id TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
  name TEXT NOT NULL, value REAL NOT NULL, source TEXT NOT NULL,
  device_class TEXT NOT NULL, task_id TEXT NOT NULL,
  PRIMARY KEY (candidate_id, name, device_class)) WITHOUT ROWID;
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  candidate_id TEXT NOT NULL, kind INTEGER NOT NULL, device_class TEXT NOT NULL,
  state INTEGER NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
  lease_token TEXT NOT NULL, lease_owner TEXT NOT NULL, lease_expiry_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, last_error TEXT NOT NULL);
CREATE INDEX tasks_by_job ON tasks (job_id);
CREATE INDEX tasks_by_state ON tasks (state);
CREATE TABLE executors (
  id TEXT PRIMARY KEY NOT NULL, kind INTEGER NOT NULL, name TEXT NOT NULL,
  device_class TEXT NOT NULL, registered_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
CREATE TABLE events (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  sequence INTEGER NOT NULL, type INTEGER NOT NULL, unix_ms INTEGER NOT NULL,
  payload BLOB NOT NULL,  -- edgenas.v1.JobEvent
  PRIMARY KEY (job_id, sequence)) WITHOUT ROWID;
)sql",
    // v2: executor capabilities, task dependencies and routing (tasks
    // rebuilt WITHOUT ROWID: one b-tree per write instead of two), the
    // strategy replay log.
    R"sql(
ALTER TABLE executors ADD COLUMN capabilities TEXT NOT NULL DEFAULT '';
ALTER TABLE executors ADD COLUMN accelerators TEXT NOT NULL DEFAULT '';
CREATE TABLE tasks_v2 (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  candidate_id TEXT NOT NULL, kind INTEGER NOT NULL, device_class TEXT NOT NULL,
  state INTEGER NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
  lease_token TEXT NOT NULL, lease_owner TEXT NOT NULL, lease_expiry_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, last_error TEXT NOT NULL,
  depends_on TEXT NOT NULL DEFAULT '', requires_capabilities TEXT NOT NULL DEFAULT '',
  operation TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
INSERT INTO tasks_v2 (id, job_id, candidate_id, kind, device_class, state, attempts,
  max_attempts, lease_token, lease_owner, lease_expiry_ms, created_ms, updated_ms, last_error)
  SELECT id, job_id, candidate_id, kind, device_class, state, attempts, max_attempts,
         lease_token, lease_owner, lease_expiry_ms, created_ms, updated_ms, last_error FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_v2 RENAME TO tasks;
-- Tasks are read per job at restart; a state index only slowed every write.
CREATE INDEX tasks_by_job ON tasks (job_id);
CREATE TABLE strategy_log (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, type INTEGER NOT NULL, number INTEGER NOT NULL,
  candidate_id TEXT NOT NULL, known_finished INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
)sql",
    // v3: a metric is kept per source (a proxy accuracy and the full-training
    // accuracy of a finalist side by side), with what it cost and its
    // standard error.
    R"sql(
CREATE TABLE metrics_v3 (
  candidate_id TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
  name TEXT NOT NULL, value REAL NOT NULL, source TEXT NOT NULL,
  device_class TEXT NOT NULL, task_id TEXT NOT NULL,
  steps INTEGER NOT NULL DEFAULT 0, cost_seconds REAL NOT NULL DEFAULT 0,
  std_error REAL NOT NULL DEFAULT 0,
  -- A rowid table: reads return a candidate's metrics of one name in the
  -- order they were first stored (the search's value before a finalist's).
  PRIMARY KEY (candidate_id, name, device_class, source));
INSERT INTO metrics_v3 (candidate_id, name, value, source, device_class, task_id)
  SELECT candidate_id, name, value, source, device_class, task_id FROM metrics;
DROP TABLE metrics;
ALTER TABLE metrics_v3 RENAME TO metrics;
)sql",
    // v4: a metric's fidelity (the multi-fidelity rung that produced it; -1
    // for a finalist's full training, which the search never ranks by).
    R"sql(
ALTER TABLE metrics ADD COLUMN fidelity INTEGER NOT NULL DEFAULT 0;
UPDATE metrics SET fidelity = -1 WHERE task_id = candidate_id || '.full_train';
)sql",
    // v5: trustworthy device measurements: a metric's confidence interval,
    // unstable flag, method and device descriptor; an executor's device
    // descriptor; per-operator latency tables per space and device class.
    R"sql(
ALTER TABLE metrics ADD COLUMN ci_low REAL NOT NULL DEFAULT 0;
ALTER TABLE metrics ADD COLUMN ci_high REAL NOT NULL DEFAULT 0;
ALTER TABLE metrics ADD COLUMN unstable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metrics ADD COLUMN method TEXT NOT NULL DEFAULT '';
ALTER TABLE metrics ADD COLUMN device BLOB;  -- edgenas.v1.DeviceDescriptor; NULL = none
ALTER TABLE executors ADD COLUMN device BLOB;  -- edgenas.v1.DeviceDescriptor; NULL = none
CREATE TABLE latency_tables (
  space TEXT NOT NULL, device_class TEXT NOT NULL,
  record BLOB NOT NULL,  -- edgenas.v1.LatencyTable
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (space, device_class)) WITHOUT ROWID;
)sql",
    // v6: exact restart: the latency tables a job screens with, copied at
    // its submission (a later re-profile does not change a running job);
    // the identity (certificate fingerprint) an executor id is bound to.
    R"sql(
CREATE TABLE job_latency_tables (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  device_class TEXT NOT NULL,
  record BLOB NOT NULL,  -- edgenas.v1.LatencyTable
  PRIMARY KEY (job_id, device_class)) WITHOUT ROWID;
ALTER TABLE executors ADD COLUMN owner_identity TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == Store::kSchemaVersion,
              "one migration per schema version");

// Reads rows whose column 0 is a serialized Message.
template <typename Message>
absl::StatusOr<std::vector<Message>> ReadMessages(Statement& stmt) {
  std::vector<Message> out;
  RETURN_IF_ERROR(stmt.ForEachRow([&] {
    out.emplace_back();
    return stmt.ColumnMessage(0, &out.back());
  }));
  return out;
}

// Reads rows of (spec, record) into jobs.
absl::StatusOr<std::vector<v1::Job>> ReadJobs(Statement& stmt) {
  std::vector<v1::Job> jobs;
  RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    jobs.emplace_back();
    RETURN_IF_ERROR(stmt.ColumnMessage(1, &jobs.back()));
    return stmt.ColumnMessage(0, jobs.back().mutable_spec());
  }));
  return jobs;
}

// Reads rows of (candidate_id, name, value, source, device_class, steps,
// cost_seconds, std_error, fidelity, ci_low, ci_high, unstable, method,
// device) into the matching candidates, in row order.
absl::Status ReadMetrics(Statement& stmt, std::vector<v1::Candidate>& candidates) {
  std::unordered_map<std::string, v1::Candidate*> by_id;
  for (v1::Candidate& c : candidates) by_id[c.id()] = &c;
  return stmt.ForEachRow([&] {
    auto it = by_id.find(stmt.ColumnText(0));
    if (it == by_id.end()) return absl::OkStatus();
    v1::Metric* metric = it->second->add_metrics();
    metric->set_name(stmt.ColumnText(1));
    metric->set_value(stmt.ColumnDouble(2));
    metric->set_source(stmt.ColumnText(3));
    metric->set_device_class(stmt.ColumnText(4));
    metric->set_steps(stmt.ColumnInt64(5));
    metric->set_cost_seconds(stmt.ColumnDouble(6));
    metric->set_std_error(stmt.ColumnDouble(7));
    metric->set_fidelity(static_cast<int32_t>(stmt.ColumnInt64(8)));
    metric->set_ci_low(stmt.ColumnDouble(9));
    metric->set_ci_high(stmt.ColumnDouble(10));
    metric->set_unstable(stmt.ColumnInt64(11) != 0);
    metric->set_method(stmt.ColumnText(12));
    if (!stmt.ColumnBlob(13).empty()) {
      RETURN_IF_ERROR(stmt.ColumnMessage(13, metric->mutable_device()));
    }
    return absl::OkStatus();
  });
}

// Lists are stored joined by the ASCII unit separator, which no id,
// capability or accelerator name may contain.
constexpr char kListSeparator[] = "\x1f";

std::string JoinList(const std::vector<std::string>& items) {
  return absl::StrJoin(items, kListSeparator);
}

std::vector<std::string> SplitList(const std::string& text) {
  if (text.empty()) return {};
  return absl::StrSplit(text, kListSeparator);
}

const std::vector<std::string>& TaskColumns() {
  static const auto* columns = new std::vector<std::string>{
      "id", "job_id", "candidate_id", "kind", "device_class", "state", "attempts",
      "max_attempts", "lease_token", "lease_owner", "lease_expiry_ms", "created_ms",
      "updated_ms", "last_error", "depends_on", "requires_capabilities", "operation"};
  return *columns;
}

// Selects every task column, in TaskColumns() order, then `where`.
std::string SelectTasksSql(absl::string_view where) {
  return absl::StrCat("SELECT ", absl::StrJoin(TaskColumns(), ", "), " FROM tasks ", where,
                      " ORDER BY created_ms, id");
}

absl::StatusOr<std::vector<TaskRecord>> ReadTasks(Statement& stmt) {
  std::vector<TaskRecord> tasks;
  RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    TaskRecord t;
    t.task_id = stmt.ColumnText(0);
    const int64_t kind = stmt.ColumnInt64(3);
    const int64_t state = stmt.ColumnInt64(5);
    if (kind != static_cast<int>(TaskKind::kAccuracy) &&
        kind != static_cast<int>(TaskKind::kLatency)) {
      return absl::DataLossError(absl::StrCat("tasks row ", t.task_id, ": unknown kind ", kind));
    }
    if (state < static_cast<int>(TaskState::kQueued) ||
        state > static_cast<int>(TaskState::kCancelled)) {
      return absl::DataLossError(absl::StrCat("tasks row ", t.task_id, ": unknown state ", state));
    }
    t.job_id = stmt.ColumnText(1);
    t.candidate_id = stmt.ColumnText(2);
    t.kind = static_cast<TaskKind>(kind);
    t.device_class = stmt.ColumnText(4);
    t.state = static_cast<TaskState>(state);
    t.attempts = static_cast<int>(stmt.ColumnInt64(6));
    t.max_attempts = static_cast<int>(stmt.ColumnInt64(7));
    t.lease_token = stmt.ColumnText(8);
    t.lease_owner = stmt.ColumnText(9);
    t.lease_expiry_ms = stmt.ColumnInt64(10);
    t.created_ms = stmt.ColumnInt64(11);
    t.updated_ms = stmt.ColumnInt64(12);
    t.last_error = stmt.ColumnText(13);
    t.depends_on = SplitList(stmt.ColumnText(14));
    t.requires_capabilities = SplitList(stmt.ColumnText(15));
    t.operation = stmt.ColumnText(16);
    tasks.push_back(std::move(t));
    return absl::OkStatus();
  }));
  return tasks;
}

}  // namespace

// Holds mu_ for the scope, or nothing when this thread already holds it (a
// Store call made from inside RunInTransaction's body). Only the holding
// thread can ever read its own id from holder_, so relaxed order suffices.
class ABSL_SCOPED_LOCKABLE Store::Access {
 public:
  explicit Access(Store* store) ABSL_EXCLUSIVE_LOCK_FUNCTION(store->mu_) : store_(store) {
    if (store_->holder_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      reentered_ = true;
      return;
    }
    store_->mu_.Lock();
    store_->holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  ~Access() ABSL_UNLOCK_FUNCTION() {
    if (reentered_) return;
    store_->holder_.store(std::thread::id(), std::memory_order_relaxed);
    store_->mu_.Unlock();
  }

 private:
  Store* const store_;
  bool reentered_ = false;
};

Store::Store(sqlite3* db) : db_(db) {}

Store::~Store() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<Statement> Store::Cached(const std::string& sql, absl::string_view purpose) {
  if (transaction_depth_ > 0 && sqlite3_get_autocommit(db_) != 0) {
    // SQLite rolled the whole transaction back on an earlier error (e.g.
    // disk full): a write now would commit on its own, outside the batch.
    return absl::AbortedError(absl::StrCat(
        purpose, ": not run, SQLite rolled back the transaction after an earlier error"));
  }
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return sqlite::ToStatus(db_, rc, absl::StrCat(purpose, " (prepare)"));
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return Statement::Borrow(db_, it->second, purpose);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("store path is empty (use \":memory:\" for no file)");
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = sqlite::ToStatus(db, rc, absl::StrCat("open database ", path));
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<Store> store(new Store(db));
  Access access(store.get());
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  absl::Status ready = store->Configure(path);
  if (!ready.ok()) {
    // The first statement is where SQLite finds a file that is no database.
    if (absl::StrContains(ready.message(), "not a database")) {
      return absl::DataLossError(absl::StrCat(
          "database ", path, " is not an SQLite database (", ready.message(),
          "); nothing was changed: restore it from a backup, or move it aside"));
    }
    return ready;
  }
  return store;
}

absl::Status Store::Configure(const std::string& path) {
  sqlite3* db = db_;
  if (path != ":memory:") {
    ASSIGN_OR_RETURN(Statement wal, Statement::Prepare(db, "PRAGMA journal_mode=WAL",
                                                       "enable WAL journal"));
    ASSIGN_OR_RETURN(bool row, wal.Step());
    const std::string mode = row ? wal.ColumnText(0) : "";
    if (mode != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path, ": cannot enable WAL journal (mode is \"", mode,
          "\"); network file systems do not support it"));
    }
  }
  // FULL: a commit is on disk before it returns (NORMAL in WAL mode can lose
  // the last transactions on power loss, i.e. acknowledged results).
  RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous=FULL", "set synchronous=FULL"));
  RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys=ON", "enable foreign keys"));
  // 64 MiB of page cache: a long job's tables stay in memory for writes.
  RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA cache_size=-65536", "set cache_size"));
  RETURN_IF_ERROR(CheckIntegrity(path));
  return Migrate();
}

absl::Status Store::CheckIntegrity(const std::string& path) {
  // quick_check reads every page and checks each b-tree (not the indexes
  // against their tables): linear in the file, a second or so per GB.
  absl::StatusOr<Statement> check =
      Statement::Prepare(db_, "PRAGMA quick_check(5)", "check database integrity");
  std::vector<std::string> problems;
  absl::Status status = check.status();
  if (status.ok()) {
    status = check->ForEachRow([&] {
      const std::string row = check->ColumnText(0);
      if (row != "ok") problems.push_back(row);
      return absl::OkStatus();
    });
  }
  if (status.ok() && problems.empty()) return absl::OkStatus();
  if (!status.ok()) problems.push_back(std::string(status.message()));
  return absl::DataLossError(absl::StrCat(
      "database ", path, " failed its integrity check (", absl::StrJoin(problems, "; "),
      "); nothing was changed: restore it from a backup, or move it aside to start afresh"));
}

absl::Status Store::Migrate() {
  // Read and migrate under one write lock, so two processes opening the
  // same new file cannot both run a migration.
  RETURN_IF_ERROR(sqlite::Exec(db_, "BEGIN IMMEDIATE", "begin schema migration"));
  auto migrate = [this]() -> absl::Status {
    RETURN_IF_ERROR(sqlite::Exec(
        db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        "create schema_version"));
    ASSIGN_OR_RETURN(Statement read,
                     Statement::Prepare(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                                        "read schema version"));
    ASSIGN_OR_RETURN(bool row, read.Step());
    const int64_t version = row ? read.ColumnInt64(0) : 0;
    read.Reset();  // an active statement would block DROP TABLE below
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", version, " is newer than this build supports (",
          kSchemaVersion, "); use a newer edgenas"));
    }
    for (int64_t v = version + 1; v <= kSchemaVersion; ++v) {
      RETURN_IF_ERROR(sqlite::Exec(db_, kMigrations[v - 1],
                                   absl::StrCat("migrate schema to version ", v)));
    }
    if (version == kSchemaVersion) return absl::OkStatus();
    RETURN_IF_ERROR(sqlite::Exec(db_, "DELETE FROM schema_version", "clear schema version"));
    ASSIGN_OR_RETURN(Statement write,
                     Statement::Prepare(db_, "INSERT INTO schema_version (version) VALUES (?1)",
                                        "record schema version"));
    return write.BindInt64(1, kSchemaVersion).Run();
  };
  absl::Status status = migrate();
  if (!status.ok()) {
    sqlite::Exec(db_, "ROLLBACK", "roll back schema migration").IgnoreError();
    return status;
  }
  return sqlite::Exec(db_, "COMMIT", "commit schema migration");
}

absl::Status Store::RunAtomically(const std::function<absl::Status()>& body) {
  Access access(this);
  // Inside an open transaction the caller's transaction makes the body
  // atomic (its failure fails the whole transaction): no savepoint needed.
  if (transaction_depth_ > 0) return body();
  return RunInTransaction(body);
}

absl::Status Store::RunInTransaction(const std::function<absl::Status()>& body) {
  Access access(this);
  const bool nested = transaction_depth_ > 0;
  const std::string savepoint = absl::StrCat("edgenas_sp", transaction_depth_);
  RETURN_IF_ERROR(nested ? sqlite::Exec(db_, ("SAVEPOINT " + savepoint).c_str(), "savepoint")
                         : sqlite::Exec(db_, "BEGIN IMMEDIATE", "begin transaction"));
  ++transaction_depth_;
  absl::Status status = body();
  --transaction_depth_;
  if (status.ok() && sqlite3_get_autocommit(db_) != 0) {
    // SQLite rolls back by itself on some errors (e.g. disk full) that the
    // body may have ignored; committing now would silently commit nothing.
    return absl::AbortedError("transaction was rolled back by SQLite during its body");
  }
  if (nested) {
    if (!status.ok()) {
      sqlite::Exec(db_, ("ROLLBACK TO " + savepoint).c_str(), "roll back savepoint")
          .IgnoreError();
    }
    absl::Status release =
        sqlite::Exec(db_, ("RELEASE " + savepoint).c_str(), "release savepoint");
    return status.ok() ? release : status;
  }
  if (status.ok() && failing_commits_ > 0) {
    --failing_commits_;
    status = commit_error_;
  }
  if (status.ok()) status = sqlite::Exec(db_, "COMMIT", "commit transaction");
  if (!status.ok() && sqlite3_get_autocommit(db_) == 0) {
    absl::Status rollback = sqlite::Exec(db_, "ROLLBACK", "roll back transaction");
    if (!rollback.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), "; then ", rollback.message()));
    }
  }
  return status;
}

absl::Status Store::PutJob(const v1::Job& job) {
  if (job.id().empty()) return absl::InvalidArgumentError("job.id is empty");
  v1::Job record = job;
  record.clear_spec();
  static const std::string* sql = new std::string(sqlite::UpsertSql(
      "jobs", {"id", "name", "state", "spec", "record", "created_ms", "updated_ms"}, "id"));
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Cached(*sql, absl::StrCat("put job ", job.id())));
  return stmt.BindText(1, job.id())
      .BindText(2, job.spec().name())
      .BindInt64(3, job.state())
      .BindMessage(4, job.spec())
      .BindMessage(5, record)
      .BindInt64(6, job.created_unix_ms())
      .BindInt64(7, job.updated_unix_ms())
      .Run();
}

absl::Status Store::RowChanged(absl::string_view what) {
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return absl::OkStatus();
}

absl::Status Store::UpdateJobRecord(const v1::Job& job) {
  v1::Job record = job;
  record.clear_spec();
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Cached("UPDATE jobs SET state = ?2, record = ?3, updated_ms = ?4 WHERE id = ?1",
                          "update job record"));
  RETURN_IF_ERROR(stmt.BindText(1, job.id())
                      .BindInt64(2, job.state())
                      .BindMessage(3, record)
                      .BindInt64(4, job.updated_unix_ms())
                      .Run());
  return RowChanged(absl::StrCat("job ", job.id()));
}

absl::StatusOr<v1::Job> Store::GetJob(const std::string& job_id) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_, "SELECT spec, record FROM jobs WHERE id = ?1",
                                      absl::StrCat("get job ", job_id)));
  stmt.BindText(1, job_id);
  ASSIGN_OR_RETURN(std::vector<v1::Job> jobs, ReadJobs(stmt));
  if (jobs.empty()) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  return std::move(jobs.front());
}

absl::StatusOr<std::vector<v1::Job>> Store::ListJobs() {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_, "SELECT spec, record FROM jobs ORDER BY created_ms, id",
                                      "list jobs"));
  return ReadJobs(stmt);
}

absl::Status Store::ForEachJobAfter(bool from_start, int64_t after_created_ms,
                                    const std::string& after_id,
                                    const std::function<bool(v1::Job)>& visit) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT spec, record FROM jobs WHERE ?3 = 1 OR "
                                      "created_ms > ?1 OR (created_ms = ?1 AND id > ?2) "
                                      "ORDER BY created_ms, id",
                                      "list jobs after a position"));
  stmt.BindInt64(1, after_created_ms).BindText(2, after_id).BindInt64(3, from_start ? 1 : 0);
  while (true) {
    ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return absl::OkStatus();
    v1::Job job;
    RETURN_IF_ERROR(stmt.ColumnMessage(1, &job));
    RETURN_IF_ERROR(stmt.ColumnMessage(0, job.mutable_spec()));
    if (!visit(std::move(job))) return absl::OkStatus();
  }
}

absl::Status Store::PutCandidate(const v1::Candidate& candidate) {
  if (candidate.id().empty() || candidate.job_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("candidate \"", candidate.id(),
                                                   "\": id and job_id are required"));
  }
  v1::Candidate record = candidate;
  record.clear_metrics();
  static const std::string* sql = new std::string(sqlite::UpsertSql(
      "candidates",
      {"id", "job_id", "sequence", "arch", "canonical_key", "state", "failure_reason", "record",
       "created_ms", "finished_ms"},
      "id"));
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Cached(*sql, absl::StrCat("put candidate ", candidate.id(), " of job ", candidate.job_id())));
  return stmt.BindText(1, candidate.id())
      .BindText(2, candidate.job_id())
      .BindInt64(3, candidate.sequence())
      .BindText(4, candidate.arch())
      .BindTextOrNull(5, candidate.canonical_key())
      .BindInt64(6, candidate.state())
      .BindText(7, candidate.failure_reason())
      .BindMessage(8, record)
      .BindInt64(9, candidate.created_unix_ms())
      .BindInt64(10, candidate.finished_unix_ms())
      .Run();
}

absl::Status Store::UpdateCandidate(const v1::Candidate& candidate) {
  v1::Candidate record = candidate;
  record.clear_metrics();
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Cached("UPDATE candidates SET state = ?2, failure_reason = ?3, record = ?4, "
                          "finished_ms = ?5 WHERE id = ?1",
                          absl::StrCat("update candidate ", candidate.id())));
  RETURN_IF_ERROR(stmt.BindText(1, candidate.id())
                      .BindInt64(2, candidate.state())
                      .BindText(3, candidate.failure_reason())
                      .BindMessage(4, record)
                      .BindInt64(5, candidate.finished_unix_ms())
                      .Run());
  return RowChanged(absl::StrCat("candidate ", candidate.id()));
}

absl::Status Store::PutMetrics(const std::string& candidate_id, const std::string& task_id,
                               const std::vector<v1::Metric>& metrics) {
  for (size_t i = 0; i < metrics.size(); ++i) {
    const v1::Metric& m = metrics[i];
    if (m.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("candidate ", candidate_id, ": metrics[", i, "].name is empty"));
    }
    if (!std::isfinite(m.value())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "candidate ", candidate_id, ": metric ", m.name(), " is not finite (", m.value(), ")"));
    }
  }
  static const std::string* sql = new std::string(sqlite::UpsertSql(
      "metrics",
      {"candidate_id", "name", "device_class", "value", "source", "task_id", "steps",
       "cost_seconds", "std_error", "fidelity", "ci_low", "ci_high", "unstable", "method",
       "device"},
      "candidate_id, name, device_class, source",
      {"candidate_id", "name", "device_class", "source"}));
  return RunAtomically([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, Cached(*sql, absl::StrCat("put metrics of candidate ", candidate_id)));
    for (const v1::Metric& m : metrics) {
      stmt.Reset();
      stmt.BindText(1, candidate_id)
                          .BindText(2, m.name())
                          .BindText(3, m.device_class())
                          .BindDouble(4, m.value())
                          .BindText(5, m.source())
                          .BindText(6, task_id)
                          .BindInt64(7, m.steps())
                          .BindDouble(8, m.cost_seconds())
                          .BindDouble(9, m.std_error())
                          .BindInt64(10, m.fidelity())
                          .BindDouble(11, m.ci_low())
                          .BindDouble(12, m.ci_high())
                          .BindInt64(13, m.unstable() ? 1 : 0)
                          .BindText(14, m.method());
      // NULL = no descriptor (e.g. a worker's metric).
      if (m.has_device()) {
        stmt.BindMessage(15, m.device());
      } else {
        stmt.BindTextOrNull(15, "");
      }
      RETURN_IF_ERROR(stmt.Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Candidate> Store::GetCandidate(const std::string& candidate_id) {
  Access access(this);
  const std::string purpose = absl::StrCat("get candidate ", candidate_id);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_, "SELECT record FROM candidates WHERE id = ?1", purpose));
  stmt.BindText(1, candidate_id);
  ASSIGN_OR_RETURN(std::vector<v1::Candidate> found, ReadMessages<v1::Candidate>(stmt));
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("candidate ", candidate_id, " not found"));
  }
  ASSIGN_OR_RETURN(Statement metrics,
                   Statement::Prepare(db_,
                                      "SELECT candidate_id, name, value, source, device_class, "
                                      "steps, cost_seconds, std_error, fidelity, ci_low, ci_high, "
                                      "unstable, method, device "
                                      "FROM metrics WHERE candidate_id = ?1 "
                                      "ORDER BY name, device_class, rowid",
                                      purpose + " metrics"));
  metrics.BindText(1, candidate_id);
  RETURN_IF_ERROR(ReadMetrics(metrics, found));
  return std::move(found.front());
}

absl::StatusOr<std::vector<v1::Candidate>> Store::ListCandidates(const std::string& job_id) {
  Access access(this);
  const std::string purpose = absl::StrCat("list candidates of job ", job_id);
  ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(db_,
                                                      "SELECT record FROM candidates WHERE "
                                                      "job_id = ?1 ORDER BY sequence, id",
                                                      purpose));
  stmt.BindText(1, job_id);
  ASSIGN_OR_RETURN(std::vector<v1::Candidate> candidates, ReadMessages<v1::Candidate>(stmt));
  ASSIGN_OR_RETURN(Statement metrics,
                   Statement::Prepare(db_,
                                      "SELECT m.candidate_id, m.name, m.value, m.source, "
                                      "m.device_class, m.steps, m.cost_seconds, m.std_error, "
                                      "m.fidelity, m.ci_low, m.ci_high, m.unstable, m.method, "
                                      "m.device "
                                      "FROM metrics m JOIN candidates c "
                                      "ON c.id = m.candidate_id WHERE c.job_id = ?1 "
                                      "ORDER BY m.candidate_id, m.name, m.device_class, "
                                      "m.rowid",
                                      purpose + " metrics"));
  metrics.BindText(1, job_id);
  RETURN_IF_ERROR(ReadMetrics(metrics, candidates));
  return candidates;
}

absl::Status Store::PutTask(const TaskRecord& t) {
  if (t.task_id.empty()) return absl::InvalidArgumentError("task_id is empty");
  static const std::string* sql = new std::string(sqlite::UpsertSql("tasks", TaskColumns(), "id"));
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Cached(*sql, absl::StrCat("put task ", t.task_id, " of job ", t.job_id)));
  return stmt.BindText(1, t.task_id)
      .BindText(2, t.job_id)
      .BindText(3, t.candidate_id)
      .BindInt64(4, static_cast<int>(t.kind))
      .BindText(5, t.device_class)
      .BindInt64(6, static_cast<int>(t.state))
      .BindInt64(7, t.attempts)
      .BindInt64(8, t.max_attempts)
      .BindText(9, t.lease_token)
      .BindText(10, t.lease_owner)
      .BindInt64(11, t.lease_expiry_ms)
      .BindInt64(12, t.created_ms)
      .BindInt64(13, t.updated_ms)
      .BindText(14, t.last_error)
      .BindText(15, JoinList(t.depends_on))
      .BindText(16, JoinList(t.requires_capabilities))
      .BindText(17, t.operation)
      .Run();
}

absl::Status Store::UpdateTask(const TaskRecord& t) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Cached("UPDATE tasks SET state = ?2, attempts = ?3, lease_token = ?4, "
                          "lease_owner = ?5, lease_expiry_ms = ?6, updated_ms = ?7, "
                          "last_error = ?8 WHERE id = ?1",
                          absl::StrCat("update task ", t.task_id)));
  RETURN_IF_ERROR(stmt.BindText(1, t.task_id)
                      .BindInt64(2, static_cast<int>(t.state))
                      .BindInt64(3, t.attempts)
                      .BindText(4, t.lease_token)
                      .BindText(5, t.lease_owner)
                      .BindInt64(6, t.lease_expiry_ms)
                      .BindInt64(7, t.updated_ms)
                      .BindText(8, t.last_error)
                      .Run());
  return RowChanged(absl::StrCat("task ", t.task_id));
}

absl::StatusOr<TaskRecord> Store::GetTask(const std::string& task_id) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Cached(SelectTasksSql("WHERE id = ?1"),
                                          absl::StrCat("get task ", task_id)));
  stmt.BindText(1, task_id);
  ASSIGN_OR_RETURN(std::vector<TaskRecord> found, ReadTasks(stmt));
  if (found.empty()) return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  return std::move(found.front());
}

absl::StatusOr<std::vector<TaskRecord>> Store::ListTasks(const std::string& job_id) {
  Access access(this);
  const std::string sql = SelectTasksSql("WHERE job_id = ?1");
  ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(db_, sql.c_str(),
                                                      absl::StrCat("list tasks of job ", job_id)));
  stmt.BindText(1, job_id);
  return ReadTasks(stmt);
}

absl::StatusOr<std::vector<TaskRecord>> Store::ListUnfinishedTasks() {
  Access access(this);
  const std::string sql = SelectTasksSql("WHERE state IN (?1, ?2)");
  ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(db_, sql.c_str(), "list unfinished tasks"));
  stmt.BindInt64(1, static_cast<int>(TaskState::kQueued))
      .BindInt64(2, static_cast<int>(TaskState::kLeased));
  return ReadTasks(stmt);
}

absl::Status Store::PutExecutor(const ExecutorRecord& e) {
  if (e.id.empty()) return absl::InvalidArgumentError("executor id is empty");
  static const std::string* sql = new std::string(sqlite::UpsertSql(
      "executors",
      {"id", "kind", "name", "device_class", "registered_ms", "last_seen_ms", "capabilities",
       "accelerators", "device", "owner_identity"},
      "id",
      /*keep=*/{"registered_ms"}));
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(db_, sql->c_str(),
                                                      absl::StrCat("put executor ", e.id)));
  stmt.BindText(1, e.id)
      .BindInt64(2, e.kind)
      .BindText(3, e.name)
      .BindText(4, e.device_class)
      .BindInt64(5, e.registered_ms)
      .BindInt64(6, e.last_seen_ms)
      .BindText(7, JoinList(e.capabilities))
      .BindText(8, JoinList(e.accelerators));
  // NULL = no descriptor (workers, older agents).
  if (e.device.ByteSizeLong() > 0) {
    stmt.BindMessage(9, e.device);
  } else {
    stmt.BindTextOrNull(9, "");
  }
  stmt.BindText(10, e.owner_identity);
  return stmt.Run();
}

absl::StatusOr<std::vector<ExecutorRecord>> Store::ListExecutors() {
  Access access(this);
  if (auto fault = read_faults_.find(""); fault != read_faults_.end()) return fault->second;
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT id, kind, name, device_class, registered_ms, "
                                      "last_seen_ms, capabilities, accelerators, device, "
                                      "owner_identity FROM executors "
                                      "ORDER BY registered_ms, id",
                                      "list executors"));
  std::vector<ExecutorRecord> executors;
  RETURN_IF_ERROR(stmt.ForEachRow([&] {
    ExecutorRecord e;
    e.id = stmt.ColumnText(0);
    const int kind = static_cast<int>(stmt.ColumnInt64(1));
    e.kind = v1::ExecutorKind_IsValid(kind) ? static_cast<v1::ExecutorKind>(kind)
                                            : v1::EXECUTOR_KIND_UNSPECIFIED;
    e.name = stmt.ColumnText(2);
    e.device_class = stmt.ColumnText(3);
    e.registered_ms = stmt.ColumnInt64(4);
    e.last_seen_ms = stmt.ColumnInt64(5);
    e.capabilities = SplitList(stmt.ColumnText(6));
    e.accelerators = SplitList(stmt.ColumnText(7));
    if (!stmt.ColumnBlob(8).empty()) RETURN_IF_ERROR(stmt.ColumnMessage(8, &e.device));
    e.owner_identity = stmt.ColumnText(9);
    executors.push_back(std::move(e));
    return absl::OkStatus();
  }));
  return executors;
}

absl::Status Store::DeleteExecutor(const std::string& executor_id) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_, "DELETE FROM executors WHERE id = ?1",
                                      absl::StrCat("delete executor ", executor_id)));
  RETURN_IF_ERROR(stmt.BindText(1, executor_id).Run());
  return RowChanged(absl::StrCat("executor ", executor_id));
}

absl::Status Store::AppendEvent(const v1::JobEvent& event) {
  if (event.job_id().empty()) return absl::InvalidArgumentError("event.job_id is empty");
  if (event.sequence() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event of job ", event.job_id(), ": sequence must be > 0, got ", event.sequence()));
  }
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt, Cached("INSERT INTO events (job_id, sequence, type, unix_ms, "
                                          "payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                                          absl::StrCat("append event ", event.sequence(),
                                                       " of job ", event.job_id())));
  return stmt.BindText(1, event.job_id())
      .BindInt64(2, event.sequence())
      .BindInt64(3, event.type())
      .BindInt64(4, event.unix_ms())
      .BindMessage(5, event)
      .Run();
}

absl::StatusOr<std::vector<v1::JobEvent>> Store::ListEvents(const std::string& job_id,
                                                            int64_t after_sequence, int limit) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT payload FROM events WHERE job_id = ?1 AND "
                                      "sequence > ?2 ORDER BY sequence LIMIT ?3",
                                      absl::StrCat("list events of job ", job_id)));
  stmt.BindText(1, job_id).BindInt64(2, after_sequence).BindInt64(3, limit > 0 ? limit : -1);
  return ReadMessages<v1::JobEvent>(stmt);
}

absl::StatusOr<int64_t> Store::LastEventSequence(const std::string& job_id) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT COALESCE(MAX(sequence), 0) FROM events "
                                      "WHERE job_id = ?1",
                                      absl::StrCat("last event sequence of job ", job_id)));
  stmt.BindText(1, job_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt64(0) : 0;
}

void Store::FailNextCommitsForTest(int count, absl::Status error) {
  Access access(this);
  failing_commits_ = count;
  commit_error_ = std::move(error);
}

void Store::FailReadsForTest(const std::string& job_id, absl::Status error) {
  Access access(this);
  if (error.ok()) {
    read_faults_.erase(job_id);
  } else {
    read_faults_[job_id] = std::move(error);
  }
}

absl::StatusOr<int64_t> Store::SetMaxBytes(int64_t max_bytes) {
  if (max_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("database size cap: must be >= 0 bytes (0: none), got ", max_bytes));
  }
  Access access(this);
  auto read_pragma = [this](const char* sql) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(db_, sql, sql));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError(absl::StrCat(sql, ": no row"));
    return stmt.ColumnInt64(0);
  };
  ASSIGN_OR_RETURN(const int64_t page_size, read_pragma("PRAGMA page_size"));
  if (default_max_pages_ == 0) {
    ASSIGN_OR_RETURN(default_max_pages_, read_pragma("PRAGMA max_page_count"));
  }
  // SQLite treats 0 as "no change", so a cap under one page is one page.
  const int64_t pages =
      max_bytes == 0 ? default_max_pages_ : std::max<int64_t>(1, max_bytes / page_size);
  ASSIGN_OR_RETURN(const int64_t in_effect,
                   read_pragma(absl::StrCat("PRAGMA max_page_count=", pages).c_str()));
  return max_bytes == 0 ? 0 : in_effect * page_size;
}

absl::Status Store::CheckWritable(int64_t bytes) {
  Access access(this);
  RETURN_IF_ERROR(sqlite::Exec(db_, "SAVEPOINT edgenas_probe", "probe for free space"));
  absl::Status probe = [&]() -> absl::Status {
    // An id no executor can have (NewId never makes a unit separator).
    ASSIGN_OR_RETURN(Statement stmt,
                     Statement::Prepare(db_,
                                        "INSERT INTO executors (id, kind, name, device_class, "
                                        "registered_ms, last_seen_ms, device) VALUES "
                                        "('\x1f" "probe', 0, '', '', 0, 0, zeroblob(?1))",
                                        absl::StrCat("probe for ", bytes, " bytes of free space")));
    return stmt.BindInt64(1, bytes).Run();
  }();
  // Undone whatever happened; the savepoint began the transaction, so
  // releasing it ends that too.
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite::Exec(db_, "ROLLBACK TO edgenas_probe", "roll back free-space probe").IgnoreError();
    sqlite::Exec(db_, "RELEASE edgenas_probe", "release free-space probe").IgnoreError();
  }
  return probe;
}

absl::Status Store::SetReadOnlyForTest(bool read_only) {
  Access access(this);
  return sqlite::Exec(db_, read_only ? "PRAGMA query_only=ON" : "PRAGMA query_only=OFF",
                      "set query_only");
}

absl::Status Store::AppendStrategyCalls(const std::string& job_id,
                                        const std::vector<StrategyCall>& calls) {
  if (calls.empty()) return absl::OkStatus();
  return RunAtomically([&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     Cached("INSERT INTO strategy_log (job_id, seq, type, number, candidate_id, "
                            "known_finished) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            absl::StrCat("append strategy log of job ", job_id)));
    for (const StrategyCall& c : calls) {
      stmt.Reset();
      RETURN_IF_ERROR(stmt.BindText(1, job_id)
                          .BindInt64(2, c.seq)
                          .BindInt64(3, static_cast<int>(c.type))
                          .BindInt64(4, c.number)
                          .BindText(5, c.candidate_id)
                          .BindInt64(6, c.known_finished ? 1 : 0)
                          .Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StrategyCall>> Store::ListStrategyCalls(const std::string& job_id) {
  Access access(this);
  if (auto fault = read_faults_.find(job_id); fault != read_faults_.end()) return fault->second;
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT seq, type, number, candidate_id, known_finished "
                                      "FROM strategy_log WHERE job_id = ?1 ORDER BY seq",
                                      absl::StrCat("list strategy log of job ", job_id)));
  stmt.BindText(1, job_id);
  std::vector<StrategyCall> calls;
  RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    StrategyCall c;
    c.seq = stmt.ColumnInt64(0);
    const int64_t type = stmt.ColumnInt64(1);
    if (type < static_cast<int>(StrategyCallType::kSuggest) ||
        type > static_cast<int>(StrategyCallType::kCancelled)) {
      return absl::DataLossError(
          absl::StrCat("strategy_log of job ", job_id, " row ", c.seq, ": unknown type ", type));
    }
    c.type = static_cast<StrategyCallType>(type);
    c.number = stmt.ColumnInt64(2);
    c.candidate_id = stmt.ColumnText(3);
    c.known_finished = stmt.ColumnInt64(4) != 0;
    calls.push_back(std::move(c));
    return absl::OkStatus();
  }));
  return calls;
}

// --- latency tables ---

absl::Status Store::PutLatencyTable(const v1::LatencyTable& table, int64_t created_ms) {
  if (table.space().empty() || table.device_class().empty()) {
    return absl::InvalidArgumentError("latency table: space and device_class are required");
  }
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "INSERT OR REPLACE INTO latency_tables (space, "
                                      "device_class, record, created_ms) VALUES (?1, ?2, ?3, ?4)",
                                      absl::StrCat("put latency table of ", table.space(), " on ",
                                                   table.device_class())));
  return stmt.BindText(1, table.space())
      .BindText(2, table.device_class())
      .BindMessage(3, table)
      .BindInt64(4, created_ms)
      .Run();
}

absl::StatusOr<v1::LatencyTable> Store::GetLatencyTable(const std::string& space,
                                                        const std::string& device_class) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT record FROM latency_tables WHERE space = ?1 AND "
                                      "device_class = ?2",
                                      absl::StrCat("get latency table of ", space, " on ",
                                                   device_class)));
  stmt.BindText(1, space).BindText(2, device_class);
  v1::LatencyTable table;
  bool found = false;
  RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    found = true;
    return stmt.ColumnMessage(0, &table);
  }));
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no latency table for space \"", space.substr(0, 64),
                                            "\" on device class \"", device_class.substr(0, 64),
                                            "\""));
  }
  return table;
}

// --- latency tables a job screens with ---

absl::Status Store::PutJobLatencyTables(const std::string& job_id,
                                        const std::vector<v1::LatencyTable>& tables) {
  if (job_id.empty()) return absl::InvalidArgumentError("job latency tables: job id is empty");
  return RunAtomically([&]() -> absl::Status {
    Access access(this);
    for (const v1::LatencyTable& table : tables) {
      if (table.device_class().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("latency table of job ", job_id, ": device_class is required"));
      }
      ASSIGN_OR_RETURN(Statement stmt,
                       Statement::Prepare(db_,
                                          "INSERT OR REPLACE INTO job_latency_tables (job_id, "
                                          "device_class, record) VALUES (?1, ?2, ?3)",
                                          absl::StrCat("put latency table of job ", job_id,
                                                       " on ", table.device_class())));
      RETURN_IF_ERROR(stmt.BindText(1, job_id)
                          .BindText(2, table.device_class())
                          .BindMessage(3, table)
                          .Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<v1::LatencyTable>> Store::ListJobLatencyTables(
    const std::string& job_id) {
  Access access(this);
  ASSIGN_OR_RETURN(Statement stmt,
                   Statement::Prepare(db_,
                                      "SELECT record FROM job_latency_tables WHERE job_id = ?1 "
                                      "ORDER BY device_class",
                                      absl::StrCat("list latency tables of job ", job_id)));
  stmt.BindText(1, job_id);
  std::vector<v1::LatencyTable> tables;
  RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    v1::LatencyTable table;
    RETURN_IF_ERROR(stmt.ColumnMessage(0, &table));
    tables.push_back(std::move(table));
    return absl::OkStatus();
  }));
  return tables;
}

}  // namespace edgenas
