// ResultSpool: reports written, listed, replaced and removed; unreadable
// files set aside; a bad folder refused naming the field.
#include "executor/result_spool.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("edgenas_spool_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

PendingReport Complete(const std::string& task, const std::string& token) {
  PendingReport r;
  r.is_complete = true;
  r.complete.set_executor_id("exec-1");
  r.complete.set_task_id(task);
  r.complete.set_lease_token(token);
  v1::Metric* m = r.complete.add_metrics();
  m->set_name("accuracy");
  m->set_value(0.75);
  return r;
}

// Put then List gives the report back as it will be sent; Remove forgets it.
TEST(ResultSpool, RoundTripsAndRemoves) {
  const std::string dir = TempDir("roundtrip");
  auto spool = ResultSpool::Open(dir + "/nested", "--spool_dir");
  ASSERT_TRUE(spool.ok()) << spool.status();
  const PendingReport a = Complete("task/with odd:chars", "tok-a");
  ASSERT_TRUE((*spool)->Put(a).ok());
  ASSERT_TRUE((*spool)->Put(a).ok());  // idempotent: one file per lease
  auto listed = (*spool)->List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].is_complete);
  EXPECT_EQ(listed[0].complete.SerializeAsString(), a.complete.SerializeAsString());
  EXPECT_EQ(listed[0].executor_id(), "exec-1");
  ASSERT_TRUE((*spool)->Remove(a).ok());
  EXPECT_TRUE((*spool)->List().empty());
  EXPECT_TRUE((*spool)->Remove(a).ok());  // nothing left: still OK
  fs::remove_all(dir);
}

// A Fail for the same lease replaces its Complete (a refused result).
TEST(ResultSpool, FailReplacesCompleteOfTheSameLease) {
  const std::string dir = TempDir("replace");
  auto spool = ResultSpool::Open(dir, "--spool_dir");
  ASSERT_TRUE(spool.ok()) << spool.status();
  ASSERT_TRUE((*spool)->Put(Complete("t1", "tok")).ok());
  PendingReport fail;
  fail.is_complete = false;
  fail.fail.set_executor_id("exec-1");
  fail.fail.set_task_id("t1");
  fail.fail.set_lease_token("tok");
  fail.fail.set_reason("refused");
  ASSERT_TRUE((*spool)->Put(fail).ok());
  auto listed = (*spool)->List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].is_complete);
  EXPECT_EQ(listed[0].fail.reason(), "refused");
  fs::remove_all(dir);
}

// A file that does not parse is renamed *.bad and skipped, not re-sent.
TEST(ResultSpool, UnreadableFileIsSetAside) {
  const std::string dir = TempDir("bad");
  auto spool = ResultSpool::Open(dir, "--spool_dir");
  ASSERT_TRUE(spool.ok()) << spool.status();
  ASSERT_TRUE((*spool)->Put(Complete("t1", "tok")).ok());
  { std::ofstream(dir + "/complete-garbage.pb") << "\xff\xff\xff not a proto"; }
  auto listed = (*spool)->List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].task_id(), "t1");
  EXPECT_TRUE(fs::exists(dir + "/complete-garbage.pb.bad"));
  fs::remove_all(dir);
}

// A path that is a file, not a folder, is refused naming the field.
TEST(ResultSpool, OpenRefusesAFileNamingTheField) {
  const std::string dir = TempDir("file");
  fs::create_directories(dir);
  { std::ofstream(dir + "/plain") << "x"; }
  auto spool = ResultSpool::Open(dir + "/plain", "--spool_dir");
  EXPECT_EQ(spool.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(spool.status().message(), "--spool_dir")) << spool.status();
  EXPECT_EQ(ResultSpool::Open("", "--spool_dir").status().code(),
            absl::StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

// The default folder is per program and name, with unsafe characters
// replaced.
TEST(ResultSpool, DefaultFolderIsPerProgramAndName) {
  const std::string dir = DefaultSpoolDir("worker", "host/slot 1");
  EXPECT_TRUE(absl::EndsWith(dir, "/edgenas/spool/worker-host_slot_1") ||
              absl::EndsWith(dir, "/edgenas-spool/worker-host_slot_1"))
      << dir;
}

}  // namespace
}  // namespace edgenas
