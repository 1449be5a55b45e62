// Shared helpers for the energy-meter tests: a temporary directory tree for
// fake sysfs files and recorded outputs, a fake clock, and the path of the
// recorded test data (fake tools included).
#ifndef EDGENAS_TESTS_DEVICE_AGENT_ENERGY_ENERGY_TEST_UTIL_H_
#define EDGENAS_TESTS_DEVICE_AGENT_ENERGY_ENERGY_TEST_UTIL_H_

#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace edgenas::testing_energy {

// tests/device_agent/energy/testdata in the source tree.
inline std::string TestData(const std::string& name) {
  return std::string(EDGENAS_ENERGY_TESTDATA) + "/" + name;
}

// A fresh directory under the test's temp dir, removed at destruction.
class TempTree {
 public:
  TempTree() {
    std::string tmpl = ::testing::TempDir() + "/energy_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    root_ = tmpl;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }
  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }
  // Writes `<root>/<rel>` (creating directories) holding `content` + "\n".
  void Write(const std::string& rel, const std::string& content) const {
    const std::filesystem::path p(Path(rel));
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content << "\n";
  }

 private:
  std::string root_;
};

// A clock that advances `step_ns` at every reading (starting at 0).
class SteppingClock {
 public:
  explicit SteppingClock(int64_t step_ns) : step_ns_(step_ns) {}
  int64_t Now() { return next_.fetch_add(step_ns_); }
  std::function<int64_t()> Fn() {
    return [this] { return Now(); };
  }

 private:
  const int64_t step_ns_;
  std::atomic<int64_t> next_{0};
};

}  // namespace edgenas::testing_energy

#endif  // EDGENAS_TESTS_DEVICE_AGENT_ENERGY_ENERGY_TEST_UTIL_H_
