// Runs an external measurement tool (trtexec, benchmark_app, a board's own
// script) to completion for the external-command runner: no shell, its
// stdout and stderr captured together (the tail is kept), a timeout, and
// cancellation. The child gets an empty signal mask (the agent blocks
// SIGTERM/SIGINT in all its threads) and its own process group, so a kill
// also reaches whatever it started.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_COMMAND_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_COMMAND_H_

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace edgenas {

struct CommandRun {
  int exit_code = -1;     // exit status, or -1 when a signal ended it
  int signal = 0;         // terminating signal, 0 when it exited
  std::string output;     // stdout and stderr as interleaved by the child
  bool truncated = false;  // output's head was dropped (over max_output bytes)
};

// Runs argv (argv[0] searched on PATH when it holds no '/') in `working_dir`
// ("" = the agent's) with stdin from /dev/null, and returns how it ended with
// its output (the last `max_output` bytes) whatever its exit status.
// NOT_FOUND when it cannot be started; DEADLINE_EXCEEDED when it runs past
// `timeout` and CANCELLED when *cancel (may be null) becomes true, in both
// cases after SIGKILL to its process group (messages quote the last output
// lines); INVALID_ARGUMENT for an empty argv.
absl::StatusOr<CommandRun> RunExternalCommand(const std::vector<std::string>& argv,
                                              const std::string& working_dir,
                                              absl::Duration timeout,
                                              const std::atomic<bool>* cancel,
                                              size_t max_output = size_t{4} << 20);

// The last `lines` non-empty lines of `output`, joined by " | " and clipped
// to about 600 characters, for error messages ("(no output)" when empty).
std::string LastOutputLines(const std::string& output, int lines);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_COMMAND_H_
