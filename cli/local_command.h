// `edgenas local`: a whole edgenas deployment on this machine for one job —
// coordinator, one worker and one CPU device agent as child processes.
#ifndef EDGENAS_CLI_LOCAL_COMMAND_H_
#define EDGENAS_CLI_LOCAL_COMMAND_H_

#include <string>

#include "absl/time/time.h"
#include "cli/commands.h"

namespace edgenas {

struct LocalOptions {
  std::string spec_path;
  std::string db_path = "edgenas-local.db";
  std::string workdir = "edgenas-local";  // logs and the port file
  int threads = 1;                        // for the worker and the agent
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_grace = absl::Seconds(10);
};

// Starts the processes (binaries next to this one), submits the spec, shows
// progress, prints the front and stops everything, also on SIGINT/SIGTERM.
// Returns kExitOk when the job ends DONE.
int RunLocal(const LocalOptions& options, const CliIo& io);

}  // namespace edgenas

#endif  // EDGENAS_CLI_LOCAL_COMMAND_H_
