// The `edgenas` command line: argument parsing, usage text and the
// subcommands submit, watch, pareto, candidates, jobs, export, cancel and
// local.
#ifndef EDGENAS_CLI_COMMANDS_H_
#define EDGENAS_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

namespace edgenas {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // an RPC failed, or the job did not end DONE
inline constexpr int kExitUsage = 2;        // unknown command or flag, wrong arguments
inline constexpr int kExitInterrupted = 130;

// Where a command writes; `out_is_tty` selects in-place progress redraws.
struct CliIo {
  std::ostream& out;
  std::ostream& err;
  bool out_is_tty = false;
};

// Runs `edgenas <args...>` (args without the program name) and returns the
// process exit status (kExit*). Errors go to io.err as "error: <CODE>: <message>".
int RunCli(const std::vector<std::string>& args, const CliIo& io);

}  // namespace edgenas

#endif  // EDGENAS_CLI_COMMANDS_H_
