// Every test CTest runs sees the three variables cmake/edgenas_helpers.cmake
// gives it (issue 23: only the first of them used to arrive). Run by hand,
// outside CTest, the test has nothing to check and says so.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace {

TEST(TestEnvironment, CTestPassesBinDirAndLogLevel) {
  if (std::getenv("EDGENAS_SHARED_DIR") == nullptr) {
    GTEST_SKIP() << "not run by CTest (EDGENAS_SHARED_DIR unset)";
  }
  const char* bin_dir = std::getenv("EDGENAS_BIN_DIR");
  ASSERT_NE(bin_dir, nullptr) << "EDGENAS_BIN_DIR did not arrive";
  EXPECT_TRUE(std::filesystem::exists(std::string(bin_dir) + "/test_environment_test"))
      << bin_dir;
  const char* level = std::getenv("EDGENAS_LOG_LEVEL");
  ASSERT_NE(level, nullptr) << "EDGENAS_LOG_LEVEL did not arrive";
  EXPECT_EQ(std::string(level), "warning");
}

}  // namespace
