// Child processes for `edgenas local` and for integration tests: start a
// binary with its output in a log file, stop it politely or kill it, and
// collect its exit status. Linux only (fork/execv, process groups, pidfd).
#ifndef EDGENAS_CLI_PROCESS_H_
#define EDGENAS_CLI_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edgenas {

// How a child ended: exit code when it exited, signal when a signal killed it.
struct ExitStatus {
  int code = -1;   // exit code, or -1 when killed by a signal
  int signal = 0;  // terminating signal, or 0 when it exited

  bool Exited() const { return signal == 0; }
  bool Success() const { return signal == 0 && code == 0; }
  // "exit code 3" or "killed by signal 9 (Killed)".
  std::string ToString() const;
};

// One child process, leader of its own process group (so a terminal Ctrl-C
// does not reach it and stopping it also stops what it started). The object
// owns the child: the destructor terminates it with a 5 s grace if it still
// runs. Methods are thread-safe; IsRunning() may be polled from a monitor
// thread while another thread waits.
class ChildProcess {
 public:
  // Starts argv[0] (a path; no PATH search) with argv, stdin from /dev/null
  // and stdout+stderr to `log_file_path` (created or truncated). Only the
  // standard streams are inherited. Fails when the log cannot be opened or
  // exec fails (e.g. NOT_FOUND for a missing binary).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& log_file_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Basename of argv[0], for messages.
  const std::string& name() const { return name_; }
  const std::string& log_file_path() const { return log_file_path_; }

  // True until the child has exited (does not reap it).
  bool IsRunning();

  // Waits up to `timeout` for the child to exit and reaps it. DEADLINE_EXCEEDED
  // when it is still running; later calls return the same status again.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout = absl::InfiniteDuration());

  // SIGTERM to the process group, wait up to `grace`, then SIGKILL. Returns
  // how the child ended; a child that already ended just reports its status.
  absl::StatusOr<ExitStatus> Terminate(absl::Duration grace);

  // SIGKILL to the process group at once (tests use it to simulate a crash).
  absl::StatusOr<ExitStatus> Kill();

 private:
  ChildProcess(pid_t pid, int pidfd, std::string name, std::string log_file_path)
      : pid_(pid), pidfd_(pidfd), name_(std::move(name)), log_file_path_(std::move(log_file_path)) {}

  // True once the leader has exited (it stays a zombie until Reap, so its
  // pid and process group id cannot be reused meanwhile).
  bool WaitForExit(absl::Duration timeout);
  ExitStatus Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SignalGroup(int signal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t pid_;
  const int pidfd_;  // -1 when pidfd_open is unavailable; then exit is polled
  const std::string name_;
  const std::string log_file_path_;
  absl::Mutex mu_;
  std::optional<ExitStatus> exit_status_ ABSL_GUARDED_BY(mu_);
};

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
