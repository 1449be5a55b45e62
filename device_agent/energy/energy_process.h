// Child processes for command-based energy meters: run a command to
// completion and capture its output (vcgencmd, an external meter), or keep
// one running and hand each line it prints to a callback (tegrastats).
// Children get a default signal mask and their own process group, so
// stopping one also stops what it started.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PROCESS_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/child_process.h"

namespace edgenas {

struct CommandOutput {
  std::string out;  // stdout (at most 1 MiB kept)
  std::string err;  // stderr (at most 1 MiB kept)
};

// Runs argv (argv[0] is searched on PATH when it has no '/') with stdin from
// /dev/null. Returns its output when it exits 0. NOT_FOUND when it cannot be
// started, DEADLINE_EXCEEDED when it runs past `timeout` (it is killed),
// UNAVAILABLE when it exits non-zero or by a signal; messages name argv[0]
// and end with the first line of its stderr.
absl::StatusOr<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout);

// A long-running child whose stdout and stderr lines are passed, one at a
// time and without the newline, to `on_line` on a reader thread; at EOF
// `on_exit` runs there once. The destructor sends SIGTERM to the child's
// process group, then SIGKILL after 2 s, reaps it and joins the thread.
class LineStreamChild {
 public:
  static absl::StatusOr<std::unique_ptr<LineStreamChild>> Start(
      const std::vector<std::string>& argv, std::function<void(absl::string_view)> on_line,
      std::function<void()> on_exit);
  ~LineStreamChild();
  LineStreamChild(const LineStreamChild&) = delete;
  LineStreamChild& operator=(const LineStreamChild&) = delete;

  pid_t pid() const { return child_->pid(); }

 private:
  explicit LineStreamChild(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
  void ReadLoop(const std::function<void(absl::string_view)>& on_line,
                const std::function<void()>& on_exit);

  const std::unique_ptr<ChildProcess> child_;  // its output pipe is read by reader_
  std::thread reader_;
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PROCESS_H_
