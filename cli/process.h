// Child processes for `edgenas local` and for integration tests: start a
// binary with its output in a log file (ChildProcess::Spawn, from
// common/child_process.h), wait for the port it serves on, find sibling
// binaries and read the tail of a log.
#ifndef EDGENAS_CLI_PROCESS_H_
#define EDGENAS_CLI_PROCESS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/child_process.h"

namespace edgenas {

// Polls `path` until it holds a TCP port (written by a server started with
// --port_file) and returns it. `check`, when given, runs on every poll and
// ends the wait with its error (e.g. "the server exited"). DEADLINE_EXCEEDED
// after `timeout`.
absl::StatusOr<int> WaitForPortFile(const std::string& path, absl::Duration timeout,
                                    const std::function<absl::Status()>& check = nullptr);

// The path of the executable `name` in the directory of the running binary
// (/proc/self/exe); NOT_FOUND when it is missing or not executable.
absl::StatusOr<std::string> FindSiblingBinary(const std::string& name);

// The last `max_lines` lines of a text file ("" when it cannot be read).
std::string TailOfFile(const std::string& path, int max_lines);

}  // namespace edgenas

#endif  // EDGENAS_CLI_PROCESS_H_
