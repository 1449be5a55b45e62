// `edgenas local`: a whole edgenas deployment on this machine for one job —
// coordinator, one worker and one device agent as child processes. The agent
// measures on this CPU (device class "cpu") by default, or serves another
// device class, e.g. replaying a board's measurements from a table.
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
  // The agent's --device_class and --runner (libtorch or replay), and for
  // replay its --replay_* flags ("" = not passed; the agent checks them).
  std::string agent_device_class = "cpu";
  std::string agent_runner = "libtorch";
  std::string replay_table;
  std::string replay_latency_column;
  std::string replay_energy_column;
  std::string replay_arch_column;
  // Cores for the agent's --cpus and the worker's --cpus ("" = automatic:
  // with >= 2 usable cores the agent gets the last one and the worker the
  // rest, so latency is never measured on a core that trains; with one core
  // both share it and the run says so).
  std::string agent_cpus;
  std::string worker_cpus;
  // Passes --speed_reference to a libtorch agent (latency normalised to a
  // reference kernel's speed; device_agent/speed_reference.h). On by
  // default: in `edgenas local` the agent always shares the machine with
  // the worker, whose load (and the host's slow spells) would otherwise move
  // the medians between runs; `--no_agent_speed_reference` turns it off.
  // Ignored (off) for the onnx and replay runners.
  bool agent_speed_reference = true;
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_grace = absl::Seconds(10);
};

// Starts the processes (binaries next to this one), submits the spec, shows
// progress, prints the front and stops everything, also on SIGINT/SIGTERM.
// Refuses to start (naming the flag or field) when the job measures a device
// class the agent does not serve, or a table file is missing; relative table
// paths are made absolute against the current directory first.
// Returns kExitOk when the job ends DONE.
int RunLocal(const LocalOptions& options, const CliIo& io);

}  // namespace edgenas

#endif  // EDGENAS_CLI_LOCAL_COMMAND_H_
