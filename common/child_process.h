// Child processes, one way for the whole project (the CLI's local cluster,
// the agent's external-command runner and its command-based energy meters):
// posix_spawn with no descriptors inherited but the standard streams, default
// signal dispositions and an empty signal mask (the binaries block SIGINT and
// SIGTERM in their threads), and a process group of its own, so a terminal's
// Ctrl-C does not reach the child and stopping it also stops what it started.
// Linux only (pidfd, close_range).
#ifndef EDGENAS_COMMON_CHILD_PROCESS_H_
#define EDGENAS_COMMON_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <cstddef>
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

// Where the child's stdout and stderr go (stdin is always /dev/null).
enum class ChildOutput {
  kFile,           // both to ChildOptions::output_file, created or truncated
  kMergedPipe,     // both to one pipe: ChildProcess::output_fd()
  kSeparatePipes,  // stdout to output_fd(), stderr to error_fd()
};

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0]: the program; must not be empty
  // Look argv[0] up on PATH when it holds no '/'; otherwise it is a path.
  bool search_path = false;
  std::string working_dir;  // "" = the parent's
  ChildOutput output = ChildOutput::kFile;
  std::string output_file;  // with kFile
};

// One child process, leader of its own process group. The object owns the
// child and its pipes: the destructor terminates the child with a 5 s grace
// if it was not reaped. Methods are thread-safe; IsRunning() may be polled
// from a monitor thread while another thread waits.
class ChildProcess {
 public:
  // Starts the child. When the program cannot be run (missing, not
  // executable, bad working_dir) *start_errno (may be null) receives the
  // errno and the status is NOT_FOUND (ENOENT, ENOTDIR), PERMISSION_DENIED
  // (EACCES, EPERM) or INTERNAL, "cannot run <argv[0]>: <strerror>"; other
  // failures (log file, pipes) leave it 0. INVALID_ARGUMENT for an empty argv.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const ChildOptions& options,
                                                             int* start_errno = nullptr);

  // Start() for argv[0] a path (no PATH search), stdout and stderr to
  // `log_file_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& log_file_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Basename of argv[0], for messages.
  const std::string& name() const { return name_; }
  // ChildOptions::output_file ("" with pipes).
  const std::string& log_file_path() const { return log_file_path_; }
  // Read ends of the output pipes (owned by this object), -1 when not piped.
  int output_fd() const { return output_fd_; }
  int error_fd() const { return error_fd_; }

  // True until the child has exited (does not reap it).
  bool IsRunning();

  // Waits up to `timeout` for the child to exit and reaps it. DEADLINE_EXCEEDED
  // when it is still running; later calls return the same status again.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout = absl::InfiniteDuration());

  // SIGTERM to the process group, wait up to `grace`, then SIGKILL to the
  // group (which still reaches stragglers when the leader has exited). Returns
  // how the child ended; a child that was already reaped just reports it.
  absl::StatusOr<ExitStatus> Terminate(absl::Duration grace);

  // SIGKILL to the process group at once, then reaps the child.
  absl::StatusOr<ExitStatus> Kill();

 private:
  ChildProcess(pid_t pid, int pidfd, std::string name, std::string log_file_path, int output_fd,
               int error_fd)
      : pid_(pid),
        pidfd_(pidfd),
        name_(std::move(name)),
        log_file_path_(std::move(log_file_path)),
        output_fd_(output_fd),
        error_fd_(error_fd) {}

  // True once the leader has exited (it stays a zombie until Reap, so its
  // pid and process group id cannot be reused meanwhile).
  bool WaitForExit(absl::Duration timeout);
  ExitStatus Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SignalGroup(int signal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t pid_;
  const int pidfd_;  // -1 when pidfd_open is unavailable; then exit is polled
  const std::string name_;
  const std::string log_file_path_;
  const int output_fd_;
  const int error_fd_;
  absl::Mutex mu_;
  std::optional<ExitStatus> exit_status_ ABSL_GUARDED_BY(mu_);
};

// Limits of RunChild.
struct RunLimits {
  absl::Duration timeout = absl::InfiniteDuration();
  const std::atomic<bool>* cancel = nullptr;  // may be null; checked every 50 ms
  size_t max_output = size_t{1} << 20;        // bytes kept per stream
  bool keep_tail = false;                     // keep the last max_output bytes, not the first
};

// What RunChild saw.
struct ChildRun {
  enum class End { kExited, kTimedOut, kCancelled };
  End end = End::kExited;
  // Every output pipe had reached EOF when the run ended (a timeout or cancel
  // then caught a child that had closed its output but not exited).
  bool output_closed = false;
  ExitStatus exit;                // SIGKILL when it timed out or was cancelled
  std::string output;             // stdout, with kMergedPipe stderr too
  std::string error_output;       // stderr with kSeparatePipes
  bool output_truncated = false;  // bytes beyond max_output were dropped
  bool error_output_truncated = false;
};

// Starts `options` (output to pipes; kFile is INVALID_ARGUMENT), collects its
// output until EOF and reaps it. Past `timeout` or once *cancel is true the
// process group gets SIGKILL and the run is returned with `end` saying so: an
// error status only means the child could not be started (as Start, same
// *start_errno) or watched.
absl::StatusOr<ChildRun> RunChild(const ChildOptions& options, const RunLimits& limits,
                                  int* start_errno = nullptr);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_CHILD_PROCESS_H_
