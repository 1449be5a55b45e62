// What a caller is told when the coordinator's database refused a write
// (disk full, read-only file, I/O error): a status that says why, with a
// code an executor knows to retry, so that a result is never dropped as if
// it had been refused for good.
#ifndef EDGENAS_COORDINATOR_STORE_STORE_FAULT_H_
#define EDGENAS_COORDINATOR_STORE_STORE_FAULT_H_

#include "absl/status/status.h"

namespace edgenas {

// Turns the error of a failed store write or commit into the answer for
// every caller whose change it took with it:
//   RESOURCE_EXHAUSTED "database full: ..."      (SQLITE_FULL, a size cap)
//   UNAVAILABLE "database is read-only: ..."     (SQLITE_READONLY / PERM)
//   UNAVAILABLE "database write failed: ..."     (anything else)
// Both codes mean "nothing was stored, try again later"; FAILED_PRECONDITION
// is avoided on purpose, as executors drop a result refused with it.
// `error` must not be OK.
absl::Status StoreFaultStatus(const absl::Status& error);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STORE_STORE_FAULT_H_
