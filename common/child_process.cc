// Child processes on Linux: posix_spawn (exec errors come back as its return
// value), one process group per child, pidfd-based waiting with a waitid
// fallback, and a poll loop that collects a child's output under a deadline.
#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

extern char** environ;

namespace edgenas {
namespace {

constexpr absl::Duration kCancelPoll = absl::Milliseconds(50);

absl::Status ErrnoStatus(int error, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Closes a descriptor on scope exit unless released.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(-1); }
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Moves `fd` to a number >= 3 (keeping close-on-exec) so that the child's
// dup2 onto 0..2 cannot overwrite it when the parent runs with a closed stdio.
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

// A close-on-exec pipe whose ends are both above the standard streams.
absl::Status MakePipe(ScopedFd* read_end, ScopedFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  read_end->Reset(AboveStdio(fds[0]));
  write_end->Reset(AboveStdio(fds[1]));
  if (read_end->get() < 0 || write_end->get() < 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

// Owns a posix_spawn file-actions list and attribute set.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Appends `n` bytes to `out`, keeping at most `max` (the first or the last).
void AppendLimited(std::string& out, const char* data, size_t n, const RunLimits& limits,
                   bool* truncated) {
  if (limits.keep_tail) {
    out.append(data, n);
    if (out.size() > limits.max_output) {
      out.erase(0, out.size() - limits.max_output);
      *truncated = true;
    }
    return;
  }
  const size_t room = limits.max_output - std::min(limits.max_output, out.size());
  if (n > room) *truncated = true;
  out.append(data, std::min(n, room));
}

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// Milliseconds for poll(): until `deadline`, at most `cap` (-1 = no limit).
int PollMillis(absl::Time deadline, absl::Duration cap) {
  absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
  left = std::min(left, cap);
  if (left == absl::InfiniteDuration()) return -1;
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), INT_MAX));
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (signal != 0) return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  return absl::StrCat("exit code ", code);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const ChildOptions& options,
                                                                  int* start_errno) {
  if (start_errno != nullptr) *start_errno = 0;
  const std::vector<std::string>& argv = options.argv;
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("Spawn: empty argv");

  ScopedFd log_fd, output_read, output_write, error_read, error_write;
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  switch (options.output) {
    case ChildOutput::kFile:
      log_fd.Reset(AboveStdio(
          open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)));
      if (log_fd.get() < 0) {
        return ErrnoStatus(errno, absl::StrCat("cannot open log ", options.output_file));
      }
      posix_spawn_file_actions_adddup2(&setup.actions, log_fd.get(), STDOUT_FILENO);
      posix_spawn_file_actions_adddup2(&setup.actions, log_fd.get(), STDERR_FILENO);
      break;
    case ChildOutput::kMergedPipe:
      if (absl::Status s = MakePipe(&output_read, &output_write); !s.ok()) return s;
      posix_spawn_file_actions_adddup2(&setup.actions, output_write.get(), STDOUT_FILENO);
      posix_spawn_file_actions_adddup2(&setup.actions, output_write.get(), STDERR_FILENO);
      break;
    case ChildOutput::kSeparatePipes:
      if (absl::Status s = MakePipe(&output_read, &output_write); !s.ok()) return s;
      if (absl::Status s = MakePipe(&error_read, &error_write); !s.ok()) return s;
      posix_spawn_file_actions_adddup2(&setup.actions, output_write.get(), STDOUT_FILENO);
      posix_spawn_file_actions_adddup2(&setup.actions, error_write.get(), STDERR_FILENO);
      break;
  }
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_dir.c_str());
  }
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // Only the standard streams, even from descriptors without close-on-exec.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
  // Signal dispositions and the mask survive exec: give the child defaults.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error =
      options.search_path
          ? posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ)
          : posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
  if (error != 0) {
    if (start_errno != nullptr) *start_errno = error;
    return ErrnoStatus(error, absl::StrCat("cannot run ", argv[0]));
  }
  // The child holds its own copies now; EOF on the read ends once it (and
  // whatever it started) closes them.
  output_write.Reset(-1);
  error_write.Reset(-1);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<ChildProcess>(new ChildProcess(
      pid, pidfd >= 0 ? pidfd : -1, std::filesystem::path(argv[0]).filename().string(),
      options.output == ChildOutput::kFile ? options.output_file : "", output_read.Release(),
      error_read.Release()));
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::string& log_file_path) {
  ChildOptions options;
  options.argv = argv;
  options.output = ChildOutput::kFile;
  options.output_file = log_file_path;
  return Start(options);
}

ChildProcess::~ChildProcess() {
  bool reaped;
  {
    absl::MutexLock lock(&mu_);
    reaped = exit_status_.has_value();
  }
  if (!reaped) Terminate(absl::Seconds(5)).IgnoreError();
  for (int fd : {pidfd_, output_fd_, error_fd_}) {
    if (fd >= 0) close(fd);
  }
}

bool ChildProcess::IsRunning() {
  absl::MutexLock lock(&mu_);
  if (exit_status_) return false;
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  if (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno != ECHILD;
  return info.si_pid != pid_;
}

bool ChildProcess::WaitForExit(absl::Duration timeout) {
  const bool forever = timeout == absl::InfiniteDuration();
  const absl::Time deadline = forever ? absl::InfiniteFuture() : absl::Now() + timeout;
  if (pidfd_ >= 0) {
    while (true) {
      struct pollfd poll_fd = {pidfd_, POLLIN, 0};
      const int ready = poll(&poll_fd, 1, forever ? -1 : PollMillis(deadline, timeout));
      if (ready > 0) return true;
      if (ready == 0) return !IsRunning();
      if (errno != EINTR) break;  // fall back to polling below
    }
  }
  absl::Duration step = absl::Milliseconds(1);
  while (IsRunning()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(step, deadline - now));
    step = std::min(step * 2, absl::Milliseconds(50));
  }
  return true;
}

ExitStatus ChildProcess::Reap() {
  if (exit_status_) return *exit_status_;
  int status = 0;
  pid_t done;
  do {
    done = waitpid(pid_, &status, 0);
  } while (done < 0 && errno == EINTR);
  exit_status_ = done == pid_ ? FromWaitStatus(status) : ExitStatus{};
  return *exit_status_;
}

void ChildProcess::SignalGroup(int signal) {
  if (kill(-pid_, signal) != 0) kill(pid_, signal);
}

absl::StatusOr<ExitStatus> ChildProcess::Wait(absl::Duration timeout) {
  if (!WaitForExit(timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(name_, " (pid ", pid_, ") still running after ",
                                                    absl::FormatDuration(timeout)));
  }
  absl::MutexLock lock(&mu_);
  return Reap();
}

absl::StatusOr<ExitStatus> ChildProcess::Terminate(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (exit_status_) return *exit_status_;
    SignalGroup(SIGTERM);
  }
  WaitForExit(grace);
  absl::MutexLock lock(&mu_);
  if (exit_status_) return *exit_status_;
  // The leader is alive or a zombie; either way it still holds the group id,
  // so this reaches only its own stragglers.
  SignalGroup(SIGKILL);
  return Reap();
}

absl::StatusOr<ExitStatus> ChildProcess::Kill() {
  absl::MutexLock lock(&mu_);
  if (exit_status_) return *exit_status_;
  SignalGroup(SIGKILL);
  return Reap();
}

absl::StatusOr<ChildRun> RunChild(const ChildOptions& options, const RunLimits& limits,
                                  int* start_errno) {
  if (start_errno != nullptr) *start_errno = 0;
  if (options.output == ChildOutput::kFile) {
    return absl::InvalidArgumentError("RunChild: output must go to pipes");
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(options, start_errno);
  if (!started.ok()) return started.status();
  ChildProcess& child = **started;
  const absl::Time deadline = limits.timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + limits.timeout;
  const absl::Duration poll_cap = limits.cancel != nullptr ? kCancelPoll : absl::InfiniteDuration();

  ChildRun run;
  // Ends the run early: SIGKILL to the group, reaped.
  auto stop = [&](ChildRun::End end) -> absl::StatusOr<ChildRun> {
    run.end = end;
    absl::StatusOr<ExitStatus> killed = child.Kill();
    if (killed.ok()) run.exit = *killed;
    return run;
  };

  struct pollfd fds[2] = {{child.output_fd(), POLLIN, 0}, {child.error_fd(), POLLIN, 0}};
  std::string* sinks[2] = {&run.output, &run.error_output};
  bool* truncated[2] = {&run.output_truncated, &run.error_output_truncated};
  char buf[16384];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (Cancelled(limits.cancel)) return stop(ChildRun::End::kCancelled);
    if (absl::Now() >= deadline) return stop(ChildRun::End::kTimedOut);
    const int ready = poll(fds, 2, PollMillis(deadline, poll_cap));
    if (ready < 0 && errno != EINTR) {
      const std::string why = std::strerror(errno);
      child.Kill().IgnoreError();
      return absl::InternalError(absl::StrCat("poll: ", why));
    }
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        AppendLimited(*sinks[i], buf, static_cast<size_t>(got), limits, truncated[i]);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;  // the descriptor stays open until `child` goes
      }
    }
  }
  // Output closed: the leader normally exits at once, but keep to the deadline.
  run.output_closed = true;
  while (true) {
    if (Cancelled(limits.cancel)) return stop(ChildRun::End::kCancelled);
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return stop(ChildRun::End::kTimedOut);
    absl::StatusOr<ExitStatus> exit = child.Wait(std::min(left, poll_cap));
    if (exit.ok()) {
      run.exit = *exit;
      return run;
    }
  }
}

}  // namespace edgenas
