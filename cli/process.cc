// Child process management on Linux: fork/execv with an exec-error pipe,
// one process group per child, pidfd-based waiting with a waitid fallback.
#include "cli/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

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

// Closes every descriptor >= 3 except `keep` in the child. Only
// async-signal-safe calls: the parent may have other threads.
void CloseInheritedFds(int keep, int max_fd) {
#ifdef SYS_close_range
  bool ok = true;
  if (keep > 3) ok = syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0;
  if (ok && syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0) return;
#endif
  for (int fd = 3; fd < max_fd; ++fd) {
    if (fd != keep) close(fd);
  }
}

// Runs in the forked child; never returns. On failure the errno goes to
// `error_fd` (close-on-exec, so a successful exec closes it unwritten).
[[noreturn]] void RunChild(char* const* argv, int stdin_fd, int log_fd, int error_fd,
                           int max_fd) {
  setpgid(0, 0);
  // Signal dispositions and the mask survive exec; give the child defaults
  // (the CLI blocks SIGINT/SIGTERM in its own threads).
  struct sigaction default_action;
  std::memset(&default_action, 0, sizeof(default_action));
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  if (dup2(stdin_fd, STDIN_FILENO) >= 0 && dup2(log_fd, STDOUT_FILENO) >= 0 &&
      dup2(log_fd, STDERR_FILENO) >= 0) {
    CloseInheritedFds(error_fd, max_fd);
    execv(argv[0], argv);
  }
  const int error = errno;
  ssize_t ignored = write(error_fd, &error, sizeof(error));
  (void)ignored;
  _exit(127);
}

int MaxFdForFallback() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 65536;
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65536));
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

bool ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream buffer;
  buffer << file.rdbuf();
  *text = buffer.str();
  return true;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (signal != 0) return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  return absl::StrCat("exit code ", code);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::string& log_file_path) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("Spawn: empty argv");
  const std::string name = std::filesystem::path(argv[0]).filename().string();

  // Everything the child touches is prepared before fork.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int max_fd = MaxFdForFallback();

  ScopedFd log_fd(AboveStdio(
      open(log_file_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)));
  if (log_fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("cannot open log ", log_file_path));
  ScopedFd stdin_fd(AboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (stdin_fd.get() < 0) return ErrnoStatus(errno, "cannot open /dev/null");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  ScopedFd error_read(AboveStdio(pipe_fds[0]));
  ScopedFd error_write(AboveStdio(pipe_fds[1]));
  if (error_read.get() < 0 || error_write.get() < 0) return ErrnoStatus(errno, "fcntl");

  const pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) RunChild(args.data(), stdin_fd.get(), log_fd.get(), error_write.get(), max_fd);

  // Both sides call setpgid so the group exists whichever runs first; the
  // parent's call fails harmlessly once the child has exec'd.
  setpgid(pid, pid);
  error_write.Reset(-1);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(error_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return ErrnoStatus(child_errno, absl::StrCat("cannot run ", argv[0]));
  }
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, pidfd >= 0 ? pidfd : -1, name, log_file_path));
}

ChildProcess::~ChildProcess() {
  bool reaped;
  {
    absl::MutexLock lock(&mu_);
    reaped = exit_status_.has_value();
  }
  if (!reaped) Terminate(absl::Seconds(5)).IgnoreError();
  if (pidfd_ >= 0) close(pidfd_);
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
      int timeout_ms = -1;
      if (!forever) {
        const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
        timeout_ms = static_cast<int>(std::min<int64_t>(
            absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), INT_MAX));
      }
      struct pollfd poll_fd = {pidfd_, POLLIN, 0};
      const int ready = poll(&poll_fd, 1, timeout_ms);
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

absl::StatusOr<int> WaitForPortFile(const std::string& path, absl::Duration timeout,
                                    const std::function<absl::Status()>& check) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(5);
  std::string previous;
  std::string text;
  while (true) {
    if (check) RETURN_IF_ERROR(check());
    if (ReadWholeFile(path, &text) && !text.empty()) {
      // A writer may be mid-write: trust a finished line, or the same text twice.
      const bool complete = absl::EndsWith(text, "\n") || text == previous;
      absl::string_view value = absl::StripAsciiWhitespace(text);
      const size_t colon = value.rfind(':');  // tolerate "host:port"
      if (colon != absl::string_view::npos) value.remove_prefix(colon + 1);
      int port = 0;
      if (complete && absl::SimpleAtoi(value, &port) && port > 0 && port < 65536) return port;
      previous = text;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no port in ", path, " after ", absl::FormatDuration(timeout),
                       text.empty() ? "" : absl::StrCat(" (it holds \"", text, "\")")));
    }
    absl::SleepFor(std::min(step, deadline - now));
    step = std::min(step * 2, absl::Milliseconds(100));
  }
}

absl::StatusOr<std::string> FindSiblingBinary(const std::string& name) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return absl::InternalError(absl::StrCat("/proc/self/exe: ", error.message()));
  const std::filesystem::path candidate = self.parent_path() / name;
  if (access(candidate.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(name, " not found next to ", self.string(),
                                            " (looked for ", candidate.string(), ")"));
  }
  return candidate.string();
}

std::string TailOfFile(const std::string& path, int max_lines) {
  constexpr std::streamoff kMaxBytes = 64 * 1024;
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file || max_lines <= 0) return "";
  const std::streamoff size = file.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kMaxBytes);
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // likely a partial line
  const size_t keep = std::min(lines.size(), static_cast<size_t>(max_lines));
  std::string tail = absl::StrJoin(lines.end() - keep, lines.end(), "\n");
  if (!tail.empty()) tail += "\n";
  return tail;
}

}  // namespace edgenas
