// ChildProcess and RunChild against real children (/bin/sh): output capture,
// exit codes, timeouts and cancellation, process-group kills, signal masks.
#include "common/child_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

ChildOptions Shell(const std::string& script, ChildOutput output) {
  ChildOptions options;
  options.argv = {"/bin/sh", "-c", script};
  options.output = output;
  return options;
}

// Reads one line from `fd` (blocking), without the newline.
std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

// True once process `pid` (not our child) has ended, waiting up to 20 s on a
// pidfd (a generous bound: SIGKILL takes effect at once in practice).
bool EndsWithin20s(pid_t pid) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return errno == ESRCH;  // already gone and reaped
  struct pollfd p = {pidfd, POLLIN, 0};
  const bool ended = poll(&p, 1, 20000) == 1;
  close(pidfd);
  return ended;
}

// stdout and stderr are kept apart and the exit code is reported.
TEST(RunChild, CapturesSeparateStreamsAndExitCode) {
  auto run = RunChild(Shell("echo out; echo err >&2; exit 3", ChildOutput::kSeparatePipes), {});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->end, ChildRun::End::kExited);
  EXPECT_EQ(run->exit.code, 3);
  EXPECT_EQ(run->exit.signal, 0);
  EXPECT_EQ(run->output, "out\n");
  EXPECT_EQ(run->error_output, "err\n");
  EXPECT_TRUE(run->output_closed);
}

// With a merged pipe both streams land in `output`; a clean exit is Success.
TEST(RunChild, MergesStreamsOnOnePipe) {
  auto run = RunChild(Shell("echo out; echo err >&2", ChildOutput::kMergedPipe), {});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->exit.Success());
  EXPECT_EQ(run->output, "out\nerr\n");
  EXPECT_EQ(run->error_output, "");
}

// A child killed by a signal reports the signal, not an exit code.
TEST(RunChild, ReportsDeathBySignal) {
  auto run = RunChild(Shell("kill -9 $$", ChildOutput::kMergedPipe), {});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit.signal, SIGKILL);
  EXPECT_EQ(run->exit.code, -1);
  EXPECT_FALSE(run->exit.Exited());
  EXPECT_THAT(run->exit.ToString(), StartsWith("killed by signal 9"));
}

// Output beyond max_output keeps the head or the tail, and says so.
TEST(RunChild, KeepsHeadOrTailOfLongOutput) {
  RunLimits limits;
  limits.max_output = 100;
  auto head = RunChild(Shell("seq 1 100000", ChildOutput::kMergedPipe), limits);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->output.size(), 100u);
  EXPECT_THAT(head->output, StartsWith("1\n2\n3\n"));
  EXPECT_TRUE(head->output_truncated);

  limits.keep_tail = true;
  auto tail = RunChild(Shell("seq 1 100000", ChildOutput::kMergedPipe), limits);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->output.size(), 100u);
  EXPECT_TRUE(absl::EndsWith(tail->output, "99999\n100000\n"));
  EXPECT_TRUE(tail->output_truncated);
}

// A child that runs past the timeout is killed with SIGKILL and the run says
// whether it had closed its output first.
TEST(RunChild, KillsAtTheTimeout) {
  RunLimits limits;
  limits.timeout = absl::Milliseconds(100);
  auto busy = RunChild(Shell("echo started; sleep 30", ChildOutput::kMergedPipe), limits);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(busy->end, ChildRun::End::kTimedOut);
  EXPECT_FALSE(busy->output_closed);
  EXPECT_EQ(busy->exit.signal, SIGKILL);

  auto silent = RunChild(Shell("exec >&- 2>&-; sleep 30", ChildOutput::kMergedPipe), limits);
  ASSERT_TRUE(silent.ok()) << silent.status();
  EXPECT_EQ(silent->end, ChildRun::End::kTimedOut);
  EXPECT_TRUE(silent->output_closed);
  EXPECT_EQ(silent->exit.signal, SIGKILL);
}

// A cancel flag that is set stops the child.
TEST(RunChild, StopsWhenCancelled) {
  std::atomic<bool> cancel{true};
  RunLimits limits;
  limits.cancel = &cancel;
  auto run = RunChild(Shell("sleep 30", ChildOutput::kMergedPipe), limits);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->end, ChildRun::End::kCancelled);
  EXPECT_EQ(run->exit.signal, SIGKILL);
}

// A missing program fails the start with NOT_FOUND and its errno; PATH is
// searched only when asked.
TEST(RunChild, ReportsMissingProgramsAndSearchesPath) {
  int start_errno = -1;
  ChildOptions missing;
  missing.argv = {"/nonexistent/tool"};
  missing.output = ChildOutput::kMergedPipe;
  auto run = RunChild(missing, {}, &start_errno);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(run.status().message(), HasSubstr("cannot run /nonexistent/tool"));
  EXPECT_EQ(start_errno, ENOENT);

  ChildOptions by_name = Shell("exit 0", ChildOutput::kMergedPipe);
  by_name.argv[0] = "sh";
  EXPECT_FALSE(RunChild(by_name, {}).ok());
  by_name.search_path = true;
  auto found = RunChild(by_name, {}, &start_errno);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->exit.Success());
  EXPECT_EQ(start_errno, 0);

  EXPECT_EQ(RunChild(ChildOptions{}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

// The child starts in working_dir when one is given.
TEST(RunChild, RunsInTheWorkingDirectory) {
  ChildOptions options = Shell("pwd", ChildOutput::kMergedPipe);
  options.working_dir = "/";
  auto run = RunChild(options, {});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->output, "/\n");
}

// Kill reaches the whole process group: a grandchild dies with the child.
TEST(ChildProcess, KillStopsTheProcessGroup) {
  auto child = ChildProcess::Start(Shell("sleep 30 & echo $!; wait", ChildOutput::kMergedPipe));
  ASSERT_TRUE(child.ok()) << child.status();
  int grandchild = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ReadLine((*child)->output_fd()), &grandchild));
  EXPECT_TRUE((*child)->IsRunning());
  auto killed = (*child)->Kill();
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->signal, SIGKILL);
  EXPECT_FALSE((*child)->IsRunning());
  EXPECT_TRUE(EndsWithin20s(grandchild));
}

// The child gets an empty signal mask even when the parent blocks SIGTERM,
// so Terminate stops it politely (SIGTERM, not the SIGKILL fallback).
TEST(ChildProcess, TerminateReachesAChildOfAThreadThatBlocksSigterm) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto child = ChildProcess::Start(Shell("echo ready; exec sleep 30", ChildOutput::kMergedPipe));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(ReadLine((*child)->output_fd()), "ready");
  auto ended = (*child)->Terminate(absl::Seconds(60));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->signal, SIGTERM);
}

// Wait reports exit codes, and DEADLINE_EXCEEDED while the child still runs.
TEST(ChildProcess, WaitReportsExitCodesAndDeadlines) {
  char dir[] = "/tmp/edgenas_child_process_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string log = std::string(dir) + "/child.log";
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "read line; echo done; exit 4"}, log);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->log_file_path(), log);
  EXPECT_EQ((*child)->name(), "sh");
  // stdin is /dev/null, so `read` sees EOF and the script goes on.
  auto exit = (*child)->Wait();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code, 4);
  EXPECT_EQ(exit->ToString(), "exit code 4");

  auto sleeper = ChildProcess::Spawn({"/bin/sleep", "30"}, log);
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  EXPECT_EQ((*sleeper)->Wait(absl::ZeroDuration()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ((*sleeper)->Kill()->signal, SIGKILL);
  sleeper->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgenas
