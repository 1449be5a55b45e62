// The `edgenas` command line: usage and exit codes, error format, and the
// `local` start-up failure path with stand-in binaries.
#include "cli/commands.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunEdgenas(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(args, CliIo{out, err, /*out_is_tty=*/false});
  return {code, out.str(), err.str()};
}

// `help` lists the commands; `help CMD` shows that command's flags.
TEST(RunCli, HelpListsCommandsAndFlags) {
  const Result all = RunEdgenas({"help"});
  EXPECT_EQ(all.code, kExitOk);
  for (const char* name : {"submit", "watch", "pareto", "candidates", "jobs", "cancel", "local"}) {
    EXPECT_THAT(all.out, HasSubstr(name));
  }
  const Result pareto = RunEdgenas({"pareto", "--help"});
  EXPECT_EQ(pareto.code, kExitOk);
  EXPECT_THAT(pareto.out, HasSubstr("--csv"));
  EXPECT_THAT(pareto.out, HasSubstr("--coordinator=VALUE"));
}

// Unknown commands and flags, and wrong argument counts, exit 2 with usage.
TEST(RunCli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunEdgenas({}).code, kExitUsage);
  const Result unknown = RunEdgenas({"frobnicate"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command 'frobnicate'"));
  const Result bad_flag = RunEdgenas({"jobs", "--verbose"});
  EXPECT_EQ(bad_flag.code, kExitUsage);
  EXPECT_THAT(bad_flag.err, HasSubstr("unknown flag --verbose"));
  EXPECT_THAT(bad_flag.err, HasSubstr("usage: edgenas jobs"));
  EXPECT_EQ(RunEdgenas({"watch"}).code, kExitUsage);
  EXPECT_EQ(RunEdgenas({"cancel", "a", "b"}).code, kExitUsage);
  EXPECT_EQ(RunEdgenas({"pareto", "j", "--csv=yes"}).code, kExitUsage);
  EXPECT_EQ(RunEdgenas({"pareto", "j", "--csv", "--json"}).code, kExitUsage);
  EXPECT_EQ(RunEdgenas({"local", "job.yaml", "--threads=0"}).code, kExitUsage);
  // candidates: refused before any connection.
  EXPECT_EQ(RunEdgenas({"candidates", "j", "--csv", "--json"}).code, kExitUsage);
  const Result state = RunEdgenas({"candidates", "j", "--state", "done,finished"});
  EXPECT_EQ(state.code, kExitUsage);
  EXPECT_THAT(state.err, HasSubstr("--state: unknown candidate state \"finished\""));
  EXPECT_EQ(RunEdgenas({"candidates", "j", "--page_size=5000"}).code, kExitUsage);
  EXPECT_EQ(RunEdgenas({"candidates"}).code, kExitUsage);
}

// `export --dynamic_batch` is offered for ONNX and refused, before any
// connection, with another format.
TEST(RunCli, ExportDynamicBatchIsForOnnxOnly) {
  const Result help = RunEdgenas({"export", "--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_THAT(help.out, HasSubstr("--dynamic_batch"));
  const Result torchscript = RunEdgenas({"export", "j", "1", "--format", "torchscript",
                                         "--dynamic_batch", "--coordinator", "127.0.0.1:1"});
  EXPECT_EQ(torchscript.code, kExitUsage);
  EXPECT_THAT(torchscript.err, HasSubstr("--dynamic_batch: only with --format onnx"));
  // With onnx the flag is accepted: the command goes on to the (refused) connection.
  const Result onnx = RunEdgenas(
      {"export", "j", "1", "--format", "onnx", "--dynamic_batch", "--coordinator", "127.0.0.1:1"});
  EXPECT_EQ(onnx.code, kExitFailure);
  EXPECT_THAT(onnx.err, HasSubstr("UNAVAILABLE"));
}

// Errors print as "error: CODE: message" and exit 1.
TEST(RunCli, ErrorsPrintCodeAndMessage) {
  const Result missing = RunEdgenas({"submit", "/nonexistent/job.yaml"});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_THAT(missing.err, HasSubstr("error: NOT_FOUND: /nonexistent/job.yaml"));
  // Port 1 on loopback refuses connections: the RPC fails fast.
  const Result refused = RunEdgenas({"jobs", "--coordinator", "127.0.0.1:1"});
  EXPECT_EQ(refused.code, kExitFailure);
  EXPECT_THAT(refused.err, HasSubstr("error: UNAVAILABLE: "));
}

// `local` with a coordinator that dies at start exits 1 and shows its log.
TEST(LocalCommand, CoordinatorFailureShowsLogTail) {
  // The edgenas binary sits beside this test in <build>/bin.
  absl::StatusOr<std::string> edgenas = FindSiblingBinary("edgenas");
  ASSERT_TRUE(edgenas.ok()) << edgenas.status();
  char pattern[] = "/tmp/edgenas_local_test_XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  std::filesystem::copy_file(*edgenas, dir / "edgenas");
  for (const char* name : {"edgenas-coordinator", "edgenas-worker", "edgenas-agent"}) {
    std::ofstream(dir / name) << "#!/bin/sh\necho \"$0 $*\"\necho 'fatal: cannot open db'\nexit 4\n";
    std::filesystem::permissions(dir / name, std::filesystem::perms::owner_all);
  }
  std::ofstream(dir / "job.yaml") << "name: t\nbudget: {max_evaluations: 1}\n";

  auto child = ChildProcess::Spawn(
      {(dir / "edgenas").string(), "local", (dir / "job.yaml").string(),
       "--workdir=" + (dir / "work").string(), "--db=" + (dir / "local.db").string()},
      (dir / "out.log").string());
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ExitStatus> status = (*child)->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  std::ifstream log(dir / "out.log");
  std::ostringstream text;
  text << log.rdbuf();
  EXPECT_EQ(status->code, kExitFailure) << text.str();
  EXPECT_THAT(text.str(), HasSubstr("edgenas-coordinator exited (exit code 4)"));
  EXPECT_THAT(text.str(), HasSubstr("fatal: cannot open db"));
  EXPECT_THAT(text.str(), HasSubstr("--listen=127.0.0.1:0"));
  EXPECT_THAT(text.str(), HasSubstr("--port_file=" + (dir / "work" / "coordinator.port").string()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgenas
