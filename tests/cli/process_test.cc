// Child processes: log capture, terminate/kill/wait semantics, descriptor
// hygiene, port files and sibling binaries.
#include "cli/process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/edgenas_process_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  static std::string ReadFile(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  }

  // Waits (bounded) for another process to write `text` into `path`.
  static bool WaitForText(const std::string& path, const std::string& text) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (absl::StrContains(ReadFile(path), text)) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  std::string dir_;
};

// Output lands in the log; Terminate stops the child (and its sleep) with SIGTERM.
TEST_F(ProcessTest, CapturesOutputAndTerminateStopsChild) {
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "echo hi; sleep 30"}, Path("sh.log"));
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(WaitForText(Path("sh.log"), "hi\n"));
  EXPECT_TRUE((*child)->IsRunning());
  EXPECT_EQ((*child)->name(), "sh");
  absl::StatusOr<ExitStatus> status = (*child)->Terminate(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->signal, SIGTERM);
  EXPECT_FALSE((*child)->IsRunning());
  // Later calls report the same ending.
  EXPECT_EQ((*child)->Wait()->signal, SIGTERM);
}

// A child that ignores SIGTERM is killed once the grace period is over.
TEST_F(ProcessTest, TerminateEscalatesToSigkill) {
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30"},
                                   Path("stubborn.log"));
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(WaitForText(Path("stubborn.log"), "ready"));
  absl::StatusOr<ExitStatus> status = (*child)->Terminate(absl::Milliseconds(200));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->signal, SIGKILL);
}

// Kill ends the child at once with SIGKILL (a simulated crash).
TEST_F(ProcessTest, KillEndsChildWithSigkill) {
  auto child = ChildProcess::Spawn({"/bin/sleep", "30"}, Path("sleep.log"));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ExitStatus> status = (*child)->Kill();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_FALSE(status->Success());
  EXPECT_THAT(status->ToString(), HasSubstr("signal 9"));
}

// Wait reports exit codes, and DEADLINE_EXCEEDED while the child still runs.
TEST_F(ProcessTest, WaitReportsExitCodes) {
  auto failing = ChildProcess::Spawn({"/bin/sh", "-c", "exit 3"}, Path("exit3.log"));
  ASSERT_TRUE(failing.ok());
  absl::StatusOr<ExitStatus> status = (*failing)->Wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 3);
  EXPECT_EQ(status->ToString(), "exit code 3");

  auto fine = ChildProcess::Spawn({"/bin/true"}, Path("true.log"));
  ASSERT_TRUE(fine.ok());
  EXPECT_TRUE((*fine)->Wait()->Success());

  auto sleeper = ChildProcess::Spawn({"/bin/sleep", "30"}, Path("sleeper.log"));
  ASSERT_TRUE(sleeper.ok());
  EXPECT_EQ((*sleeper)->Wait(absl::Milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

// A binary that does not exist fails Spawn with NOT_FOUND.
TEST_F(ProcessTest, MissingBinaryIsNotFound) {
  auto child = ChildProcess::Spawn({Path("no-such-binary")}, Path("missing.log"));
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
}

// Only stdin/stdout/stderr reach the child, even from inheritable descriptors.
TEST_F(ProcessTest, ChildInheritsOnlyStandardStreams) {
  const int leaked = open("/dev/null", O_RDONLY);  // deliberately not close-on-exec
  ASSERT_GE(leaked, 3);
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "ls /proc/$$/fd"}, Path("fds.log"));
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->Wait()->Success());
  close(leaked);
  EXPECT_THAT(ReadFile(Path("fds.log")), ::testing::Not(HasSubstr(absl::StrCat(leaked, "\n"))))
      << ReadFile(Path("fds.log"));
}

// The destructor stops a child that still runs.
TEST_F(ProcessTest, DestructorTerminatesChild) {
  pid_t pid;
  {
    auto child = ChildProcess::Spawn({"/bin/sleep", "30"}, Path("dtor.log"));
    ASSERT_TRUE(child.ok());
    pid = (*child)->pid();
  }
  EXPECT_EQ(kill(pid, 0), -1);  // gone and reaped
}

// A finished port line is read; "host:port" is tolerated.
TEST_F(ProcessTest, WaitForPortFileReadsPort) {
  std::ofstream(Path("port")) << "43211\n";
  EXPECT_EQ(*WaitForPortFile(Path("port"), absl::Seconds(5)), 43211);
  std::ofstream(Path("hostport")) << "127.0.0.1:5000\n";
  EXPECT_EQ(*WaitForPortFile(Path("hostport"), absl::Seconds(5)), 5000);
}

// No file: DEADLINE_EXCEEDED; a failing check ends the wait with its error.
TEST_F(ProcessTest, WaitForPortFileTimesOutOrStopsOnCheck) {
  EXPECT_EQ(WaitForPortFile(Path("none"), absl::Milliseconds(30)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<int> port = WaitForPortFile(Path("none"), absl::Seconds(30), [] {
    return absl::UnavailableError("server exited");
  });
  EXPECT_EQ(port.status().code(), absl::StatusCode::kUnavailable);
}

// Binaries are found next to the running one; missing ones are NOT_FOUND.
TEST(FindSiblingBinary, FindsNeighboursOnly) {
  absl::StatusOr<std::string> self = FindSiblingBinary("process_test");
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_TRUE(absl::EndsWith(*self, "/process_test"));
  EXPECT_EQ(FindSiblingBinary("edgenas-no-such-tool").status().code(),
            absl::StatusCode::kNotFound);
}

// The tail keeps the last lines only.
TEST_F(ProcessTest, TailOfFileKeepsLastLines) {
  std::ofstream(Path("log")) << "one\ntwo\nthree\n";
  EXPECT_EQ(TailOfFile(Path("log"), 2), "two\nthree\n");
  EXPECT_EQ(TailOfFile(Path("absent"), 2), "");
}

}  // namespace
}  // namespace edgenas
