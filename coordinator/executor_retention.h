// Executor retention: how long the coordinator remembers a worker or device
// agent it no longer hears from. Registered executors are kept in memory
// and in the store (table executors) and counted by the metrics
// (edgenas_coordinator_executors_registered / _live); one that has been
// silent for longer than the retention period (default 24 h, flag
// --executor_retention of edgenas-coordinator) is forgotten: removed from
// memory and the store, so the metrics stop counting it and an alert such
// as EdgenasDeviceClassWithoutAgent clears for a class whose agents were
// retired. An executor that comes back after being forgotten is told
// NOT_FOUND ("register again") on its next call and simply registers anew;
// its old leases expire and their tasks are retried as for any lost
// executor.
//
// Silence is counted from the executor's last call (Register, Lease,
// Heartbeat, Complete, Fail), or from the coordinator's start for executors
// not heard from since a restart (last calls are kept in memory only).
#ifndef EDGENAS_COORDINATOR_EXECUTOR_RETENTION_H_
#define EDGENAS_COORDINATOR_EXECUTOR_RETENTION_H_

#include <cstdint>

#include "absl/status/status.h"

namespace edgenas {

// 24 hours: long past any lease or restart, short enough that a retired
// board stops raising alerts by the next day.
inline constexpr int64_t kDefaultExecutorRetentionMs = int64_t{24} * 3600 * 1000;
// Shorter periods could forget an executor between two of its calls (a
// long poll lasts up to 30 s, heartbeats come every few seconds).
inline constexpr int64_t kMinExecutorRetentionMs = int64_t{10} * 60 * 1000;

// OK for 0 (never forget) or at least kMinExecutorRetentionMs;
// INVALID_ARGUMENT naming `field` (e.g. "--executor_retention") otherwise.
absl::Status ValidateExecutorRetention(int64_t retention_ms, const char* field);

// True when an executor last heard from at `last_heard_ms` is to be
// forgotten at `now_ms` (never when retention_ms is 0).
bool ExecutorExpired(int64_t last_heard_ms, int64_t now_ms, int64_t retention_ms);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EXECUTOR_RETENTION_H_
