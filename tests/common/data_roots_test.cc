// Tests of the data-root rule: paths from a job spec must resolve inside
// the executor's configured folders, whatever "..", symlinks or prefixes
// they use.
#include "common/data_roots.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DataRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("data_roots_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "tables");
    fs::create_directories(base_ / "rootx");
    fs::create_directories(base_ / "elsewhere");
    std::ofstream(base_ / "root" / "tables" / "t.csv") << "a,b\n";
    std::ofstream(base_ / "elsewhere" / "secret.csv") << "a,b\n";
    fs::create_symlink(base_ / "elsewhere", base_ / "root" / "link_out");
    fs::create_symlink(base_ / "root" / "tables", base_ / "elsewhere" / "link_in");
    auto roots = ParseDataRoots((base_ / "root").string() + ", /usr/share/datasets", "--data_root");
    ASSERT_TRUE(roots.ok()) << roots.status();
    roots_ = *roots;
  }
  void TearDown() override { fs::remove_all(base_); }
  absl::Status Check(const fs::path& path) {
    return CheckUnderDataRoots(path.string(), roots_, "evaluation.table.path");
  }
  fs::path base_;
  std::vector<std::string> roots_;
};

TEST_F(DataRootsTest, AllowsPathsInsideARoot) {
  EXPECT_TRUE(Check(base_ / "root" / "tables" / "t.csv").ok());
  EXPECT_TRUE(Check(base_ / "root" / "not_yet_there.csv").ok());
  EXPECT_TRUE(Check(base_ / "root").ok());
  EXPECT_TRUE(Check("/usr/share/datasets/fashion-mnist").ok());
  // A symlink elsewhere that points back inside is judged by its target.
  EXPECT_TRUE(Check(base_ / "elsewhere" / "link_in" / "t.csv").ok());
}

TEST_F(DataRootsTest, RefusesEscapesNamingTheFieldAndTheRoots) {
  for (const fs::path& path :
       {base_ / "root" / ".." / "elsewhere" / "secret.csv",  // dot-dot
        base_ / "root" / "link_out" / "secret.csv",          // a symlink out
        base_ / "rootx" / "t.csv",                           // a sibling sharing the prefix
        fs::path("/etc/passwd"), fs::path("/usr/share/datasets/../../../etc/passwd")}) {
    absl::Status s = Check(path);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_THAT(s.message(), HasSubstr("evaluation.table.path"));
    EXPECT_THAT(s.message(), HasSubstr("outside this worker's data roots"));
    EXPECT_THAT(s.message(), HasSubstr("--data_root"));
  }
  absl::Status relative = Check("tables/t.csv");
  EXPECT_EQ(relative.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(relative.message(), HasSubstr("not an absolute path"));
}

TEST(ParseDataRoots, RefusesRelativeAndEmptyLists) {
  EXPECT_EQ(ParseDataRoots("", "--data_root").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto relative = ParseDataRoots("/usr/share/datasets,data", "--data_root");
  EXPECT_EQ(relative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(relative.status().message(), HasSubstr("--data_root"));
  auto everything = ParseDataRoots("/", "--data_root");
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(CheckUnderDataRoots("/etc/passwd", *everything, "dataset.path").ok());
}

}  // namespace
}  // namespace edgenas
