#include "device_agent/energy/energy_process.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgenas {
namespace {

constexpr size_t kMaxCapture = 1 << 20;

// argv to run with its output on pipes, looked up on PATH.
ChildOptions CommandOptions(const std::vector<std::string>& argv, ChildOutput output) {
  ChildOptions options;
  options.argv = argv;
  options.search_path = true;
  options.output = output;
  return options;
}

// The status for a child that could not be started.
absl::Status StartError(const std::vector<std::string>& argv, int start_errno,
                        const absl::Status& status) {
  if (start_errno == 0) return status;
  const std::string message =
      absl::StrCat("cannot run ", argv[0], ": ", std::strerror(start_errno));
  if (start_errno == ENOENT || start_errno == EACCES || start_errno == ENOTDIR) {
    return absl::NotFoundError(message);
  }
  return absl::UnavailableError(message);
}

std::string FirstLine(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  return std::string(lines[0].substr(0, 200));
}

}  // namespace

absl::StatusOr<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("empty command");
  RunLimits limits;
  limits.timeout = timeout;
  limits.max_output = kMaxCapture;
  int start_errno = 0;
  absl::StatusOr<ChildRun> run =
      RunChild(CommandOptions(argv, ChildOutput::kSeparatePipes), limits, &start_errno);
  if (!run.ok()) return StartError(argv, start_errno, run.status());
  if (run->end != ChildRun::End::kExited) {
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  CommandOutput output{std::move(run->output), std::move(run->error_output)};
  if (run->exit.Success()) return output;
  const std::string how = run->exit.Exited() ? absl::StrCat("exit code ", run->exit.code)
                                             : absl::StrCat("signal ", run->exit.signal);
  const std::string why = FirstLine(output.err.empty() ? output.out : output.err);
  return absl::UnavailableError(
      absl::StrCat(argv[0], " failed (", how, ")", why.empty() ? "" : ": ", why));
}

absl::StatusOr<std::unique_ptr<LineStreamChild>> LineStreamChild::Start(
    const std::vector<std::string>& argv, std::function<void(absl::string_view)> on_line,
    std::function<void()> on_exit) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("empty command");
  int start_errno = 0;
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(CommandOptions(argv, ChildOutput::kMergedPipe), &start_errno);
  if (!child.ok()) return StartError(argv, start_errno, child.status());
  std::unique_ptr<LineStreamChild> stream(new LineStreamChild(std::move(*child)));
  stream->reader_ = std::thread(
      [s = stream.get(), on_line = std::move(on_line), on_exit = std::move(on_exit)] {
        s->ReadLoop(on_line, on_exit);
      });
  return stream;
}

void LineStreamChild::ReadLoop(const std::function<void(absl::string_view)>& on_line,
                               const std::function<void()>& on_exit) {
  const int fd = child_->output_fd();
  std::string pending;
  char buf[4096];
  while (true) {
    const ssize_t got = ::read(fd, buf, sizeof(buf));
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
  // SIGTERM to the group, SIGKILL after 2 s; the leader stays a zombie until
  // then, so the SIGKILL can only reach what this child started.
  child_->Terminate(absl::Seconds(2)).IgnoreError();
  if (reader_.joinable()) reader_.join();
}

}  // namespace edgenas
