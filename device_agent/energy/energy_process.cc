#include "device_agent/energy/energy_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace edgenas {
namespace {

constexpr size_t kMaxCapture = 1 << 20;

struct Spawned {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;  // -1 when stderr goes to out_fd
};

void CloseIfOpen(int fd) {
  if (fd >= 0) ::close(fd);
}

// Starts argv with stdout (and stderr, unless `merge_stderr`) on pipes.
absl::StatusOr<Spawned> Spawn(const std::vector<std::string>& argv, bool merge_stderr) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("empty command");
  int out[2];
  int err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  if (!merge_stderr && ::pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    CloseIfOpen(out[0]);
    CloseIfOpen(out[1]);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(e)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, merge_stderr ? out[1] : err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The agent blocks SIGTERM/SIGINT in every thread; the child must not
  // inherit that, or it could not be stopped politely.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseIfOpen(out[1]);
  CloseIfOpen(err[1]);
  if (rc != 0) {
    CloseIfOpen(out[0]);
    CloseIfOpen(err[0]);
    const std::string message = absl::StrCat("cannot run ", argv[0], ": ", std::strerror(rc));
    if (rc == ENOENT || rc == EACCES || rc == ENOTDIR) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  return Spawned{pid, out[0], err[0]};
}

void Append(std::string& to, const char* data, size_t n) {
  if (to.size() < kMaxCapture) to.append(data, std::min(n, kMaxCapture - to.size()));
}

std::string FirstLine(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  return std::string(lines[0].substr(0, 200));
}

}  // namespace

absl::StatusOr<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  absl::StatusOr<Spawned> child = Spawn(argv, /*merge_stderr=*/false);
  if (!child.ok()) return child.status();
  const absl::Time deadline = absl::Now() + timeout;
  CommandOutput output;
  struct pollfd fds[2] = {{child->out_fd, POLLIN, 0}, {child->err_fd, POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  char buf[4096];
  while (open_fds > 0) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        Append(i == 0 ? output.out : output.err, buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  // Both streams closed: the child is exiting; give it until the deadline.
  int status = 0;
  pid_t reaped = 0;
  while (!timed_out && (reaped = ::waitpid(child->pid, &status, WNOHANG)) == 0) {
    if (absl::Now() >= deadline) {
      timed_out = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (const pollfd& p : fds) CloseIfOpen(p.fd);
  if (timed_out) {
    ::kill(-child->pid, SIGKILL);
    ::waitpid(child->pid, &status, 0);
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  if (reaped < 0) {
    return absl::InternalError(absl::StrCat("waitpid ", argv[0], ": ", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;
  const std::string how = WIFEXITED(status)
                              ? absl::StrCat("exit code ", WEXITSTATUS(status))
                              : absl::StrCat("signal ", WTERMSIG(status));
  const std::string why = FirstLine(output.err.empty() ? output.out : output.err);
  return absl::UnavailableError(
      absl::StrCat(argv[0], " failed (", how, ")", why.empty() ? "" : ": ", why));
}

absl::StatusOr<std::unique_ptr<LineStreamChild>> LineStreamChild::Start(
    const std::vector<std::string>& argv, std::function<void(absl::string_view)> on_line,
    std::function<void()> on_exit) {
  absl::StatusOr<Spawned> child = Spawn(argv, /*merge_stderr=*/true);
  if (!child.ok()) return child.status();
  std::unique_ptr<LineStreamChild> stream(new LineStreamChild(child->pid, child->out_fd));
  stream->reader_ = std::thread(
      [s = stream.get(), on_line = std::move(on_line), on_exit = std::move(on_exit)] {
        s->ReadLoop(on_line, on_exit);
      });
  return stream;
}

void LineStreamChild::ReadLoop(const std::function<void(absl::string_view)>& on_line,
                               const std::function<void()>& on_exit) {
  std::string pending;
  char buf[4096];
  while (true) {
    const ssize_t got = ::read(fd_, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    pending.append(buf, static_cast<size_t>(got));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      on_line(absl::string_view(pending).substr(start, nl - start));
    }
    pending.erase(0, start);
    if (pending.size() > kMaxCapture) pending.clear();  // a line this long is not meter output
  }
  if (!pending.empty()) on_line(pending);
  if (on_exit) on_exit();
}

LineStreamChild::~LineStreamChild() {
  ::kill(-pid_, SIGTERM);
  // Wait for the leader without reaping it (WNOWAIT): while it is a zombie
  // its process group id cannot be reused, so the SIGKILL below can only
  // reach what this child started.
  for (int i = 0; i < 200; ++i) {
    siginfo_t info{};
    if (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

}  // namespace edgenas
