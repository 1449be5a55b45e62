// Tests of the agent's replay runner: answers from the table only, labelled
// as replayed, and refuses bad flags and unknown architectures clearly.
#include "device_agent/runners/replay_runner.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr char kArch[] =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~"
    "2|";

class ReplayRunnerTest : public ::testing::Test {
 protected:
  ReplayRunnerTest()
      : path_((std::filesystem::temp_directory_path() /
               absl::StrCat("replay_runner_test_", ::getpid(), ".csv"))
                  .string()) {
    std::ofstream(path_) << "arch_index,arch,lat_ms,energy_mj,neg\n"
                         << "1," << kArch << ",7.403538,12.08262,-1\n"
                         << "2,|x|,1.5,2.5,0\n";
  }
  ~ReplayRunnerTest() override { std::remove(path_.c_str()); }

  ReplayOptions Options() {
    ReplayOptions o;
    o.table = path_;
    o.latency_column = "lat_ms";
    o.device_class = "rpi5";
    return o;
  }

  static v1::Task LatencyTask(const std::string& arch) {
    v1::Task task;
    task.set_kind(v1::TASK_LATENCY);
    task.set_arch(arch);
    task.set_device_class("rpi5");
    return task;
  }

  std::string path_;
};

// Latency and energy come from the table, labelled "replay:<column>", with
// a note that they were not measured here.
TEST_F(ReplayRunnerTest, AnswersLatencyAndEnergyFromTheTable) {
  ReplayOptions o = Options();
  o.energy_column = "energy_mj";
  absl::StatusOr<std::unique_ptr<ReplayRunner>> runner = ReplayRunner::Create(o);
  ASSERT_TRUE(runner.ok()) << runner.status();
  EXPECT_TRUE((*runner)->has_energy());
  absl::StatusOr<TaskOutcome> out = (*runner)->Run(LatencyTask(kArch), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->metrics.size(), 2u);
  EXPECT_EQ(out->metrics[0].name(), "latency_ms");
  EXPECT_EQ(out->metrics[0].value(), 7.403538);
  EXPECT_EQ(out->metrics[0].source(), "replay:lat_ms");
  EXPECT_EQ(out->metrics[0].device_class(), "rpi5");
  EXPECT_EQ(out->metrics[1].name(), "energy_mj");
  EXPECT_EQ(out->metrics[1].value(), 12.08262);
  EXPECT_EQ(out->metrics[1].source(), "replay:energy_mj");
  ASSERT_EQ(out->notes.size(), 1u);
  EXPECT_THAT(out->notes[0], HasSubstr(absl::StrCat("replayed board measurements from ", path_)));
  EXPECT_THAT(out->notes[0], HasSubstr("not measured on this machine"));
}

// Without an energy column no energy is reported, and the note says so.
TEST_F(ReplayRunnerTest, NoEnergyColumnMeansNoEnergy) {
  absl::StatusOr<std::unique_ptr<ReplayRunner>> runner = ReplayRunner::Create(Options());
  ASSERT_TRUE(runner.ok()) << runner.status();
  EXPECT_FALSE((*runner)->has_energy());
  absl::StatusOr<TaskOutcome> out = (*runner)->Run(LatencyTask("|x|"), nullptr);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->metrics.size(), 1u);
  EXPECT_EQ(out->metrics[0].value(), 1.5);
  EXPECT_THAT(out->notes[0], HasSubstr("energy_mj unavailable"));
}

// An architecture the table does not hold fails (not retryable); nothing is
// invented.
TEST_F(ReplayRunnerTest, MissingArchFailsClearly) {
  absl::StatusOr<std::unique_ptr<ReplayRunner>> runner = ReplayRunner::Create(Options());
  ASSERT_TRUE(runner.ok()) << runner.status();
  absl::StatusOr<TaskOutcome> out = (*runner)->Run(LatencyTask("|y|"), nullptr);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("task.arch"));
  EXPECT_THAT(out.status().message(), HasSubstr("no row with arch \"|y|\""));
  v1::Task accuracy = LatencyTask(kArch);
  accuracy.set_kind(v1::TASK_ACCURACY);
  EXPECT_EQ((*runner)->Run(accuracy, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

// Missing or bad flags are refused naming the flag.
TEST_F(ReplayRunnerTest, BadFlagsAreRefusedNamingTheFlag) {
  auto message = [](const ReplayOptions& o) {
    absl::StatusOr<std::unique_ptr<ReplayRunner>> r = ReplayRunner::Create(o);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  ReplayOptions o = Options();
  o.table = "";
  EXPECT_THAT(message(o), HasSubstr("--replay_table: required"));
  o = Options();
  o.latency_column = "";
  EXPECT_THAT(message(o), HasSubstr("--replay_latency_column: required"));
  o = Options();
  o.table = path_ + ".missing";
  EXPECT_THAT(message(o), HasSubstr("--replay_table: cannot open table"));
  o = Options();
  o.latency_column = "pi5_ms";
  EXPECT_THAT(message(o), HasSubstr("--replay_latency_column"));
  EXPECT_THAT(message(o), HasSubstr("unknown column \"pi5_ms\""));
  o = Options();
  o.energy_column = "arch";
  EXPECT_THAT(message(o), HasSubstr("--replay_energy_column"));
  EXPECT_THAT(message(o), HasSubstr("is not a finite number"));
  o = Options();
  o.energy_column = "neg";
  EXPECT_THAT(message(o), HasSubstr("negative"));
  o = Options();
  o.arch_column = "cell";
  EXPECT_THAT(message(o), HasSubstr("--replay_arch_column=cell"));
}

}  // namespace
}  // namespace edgenas
