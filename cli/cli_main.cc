// The `edgenas` command-line tool; see `edgenas help`.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const edgenas::CliIo io{std::cout, std::cerr, isatty(STDOUT_FILENO) == 1};
  return edgenas::RunCli(args, io);
}
