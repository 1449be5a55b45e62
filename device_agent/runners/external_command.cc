#include "device_agent/runners/external_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace edgenas {
namespace {

constexpr int kPollMs = 50;

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Keeps only the last `max` bytes.
void AppendTail(std::string& out, const char* data, size_t n, size_t max, bool* truncated) {
  out.append(data, n);
  if (out.size() > max) {
    out.erase(0, out.size() - max);
    *truncated = true;
  }
}

// Kills the child's process group and reaps the leader.
void KillAndReap(pid_t pid) {
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string LastOutputLines(const std::string& output, int lines) {
  std::vector<absl::string_view> kept;
  for (absl::string_view line : absl::StrSplit(output, absl::ByAnyChar("\r\n"))) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) kept.push_back(line);
  }
  if (kept.empty()) return "(no output)";
  if (static_cast<int>(kept.size()) > lines) kept.erase(kept.begin(), kept.end() - lines);
  std::string joined = absl::StrJoin(kept, " | ");
  constexpr size_t kMax = 600;
  if (joined.size() > kMax) joined = absl::StrCat("...", joined.substr(joined.size() - kMax));
  return joined;
}

absl::StatusOr<CommandRun> RunExternalCommand(const std::vector<std::string>& argv,
                                              const std::string& working_dir,
                                              absl::Duration timeout,
                                              const std::atomic<bool>* cancel,
                                              size_t max_output) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("external command: empty");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("external command: pipe: ", std::strerror(errno)));
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawn_error = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_error != 0) {
    return absl::NotFoundError(
        absl::StrCat("external command: cannot start \"", argv[0], "\": ",
                     std::strerror(spawn_error),
                     working_dir.empty() ? "" : absl::StrCat(" (in ", working_dir, ")")));
  }
  write_end.Reset();  // EOF on read_end once the child (and its children) close theirs

  CommandRun run;
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  char buf[16384];
  bool eof = false;
  while (!eof) {
    if (Cancelled(cancel)) {
      KillAndReap(pid);
      return absl::CancelledError(absl::StrCat("external command \"", argv[0],
                                               "\" cancelled; last output: ",
                                               LastOutputLines(run.output, 5)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      KillAndReap(pid);
      return absl::DeadlineExceededError(absl::StrCat(
          "external command \"", argv[0], "\" still running after ", absl::FormatDuration(timeout),
          " (--external_timeout_s), killed; last output: ", LastOutputLines(run.output, 5)));
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = poll(&p, 1, kPollMs);
    if (ready < 0 && errno != EINTR) {
      KillAndReap(pid);
      return absl::InternalError(absl::StrCat("external command: poll: ", std::strerror(errno)));
    }
    if (ready <= 0) continue;
    const ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n > 0) {
      AppendTail(run.output, buf, static_cast<size_t>(n), max_output, &run.truncated);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      eof = true;
    }
  }
  // Output closed; the leader normally exits at once, but keep to the deadline.
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("external command: waitpid: ", std::strerror(errno)));
    }
    if (Cancelled(cancel) || std::chrono::steady_clock::now() >= deadline) {
      KillAndReap(pid);
      return Cancelled(cancel)
                 ? absl::CancelledError(absl::StrCat("external command \"", argv[0], "\" cancelled"))
                 : absl::DeadlineExceededError(absl::StrCat(
                       "external command \"", argv[0], "\" closed its output but did not exit within ",
                       absl::FormatDuration(timeout), " (--external_timeout_s), killed"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
  }
  return run;
}

}  // namespace edgenas
