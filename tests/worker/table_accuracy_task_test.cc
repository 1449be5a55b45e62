// Tests of the worker's table evaluation: lookup by exact architecture,
// scaling, labelling, caching, and clear non-retryable failures.
#include "worker/table_accuracy_task.h"

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

constexpr char kArchA[] =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~"
    "2|";
constexpr char kArchB[] =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~"
    "2|";

class TableAccuracyTaskTest : public ::testing::Test {
 protected:
  TableAccuracyTaskTest()
      : path_((std::filesystem::temp_directory_path() /
               absl::StrCat("table_accuracy_task_test_", ::getpid(), ".csv"))
                  .string()) {
    Write(absl::StrCat("arch,pct,frac,bad\n", kArchA, ",70.25,0.7025,x\n", kArchB,
                       ",52.5,0.525,0.1\n"));
  }
  ~TableAccuracyTaskTest() override { std::remove(path_.c_str()); }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  v1::Task Task(const std::string& arch, const std::string& column, double scale = 0) {
    v1::Task task;
    task.set_task_id("c1.accuracy");
    task.set_kind(v1::TASK_ACCURACY);
    task.set_space("nb201");
    task.set_arch(arch);
    auto* eval = task.mutable_spec()->mutable_evaluation();
    eval->set_mode("table");
    eval->mutable_table()->set_path(path_);
    eval->mutable_table()->set_accuracy_column(column);
    eval->mutable_table()->set_arch_column("arch");
    eval->mutable_table()->set_accuracy_scale(scale);
    return task;
  }

  std::string path_;
  TableAccuracyTasks tasks_;
};

// Percentages are scaled to a fraction automatically; the metric says where
// it came from and the note that nothing was trained.
TEST_F(TableAccuracyTaskTest, LooksUpExactArchAndScalesPercentages) {
  absl::StatusOr<TaskOutcome> out = tasks_.Run(Task(kArchA, "pct"));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->metrics.size(), 1u);
  EXPECT_EQ(out->metrics[0].name(), "accuracy");
  EXPECT_DOUBLE_EQ(out->metrics[0].value(), 0.7025);
  EXPECT_EQ(out->metrics[0].source(), "table:pct");
  ASSERT_EQ(out->notes.size(), 1u);
  EXPECT_THAT(out->notes[0], HasSubstr(absl::StrCat("looked up in ", path_, ", column pct")));
  EXPECT_THAT(out->notes[0], HasSubstr("not trained"));
}

// Fractions stay as they are; an explicit scale wins over the automatic one.
TEST_F(TableAccuracyTaskTest, FractionsUnscaledAndExplicitScaleWins) {
  absl::StatusOr<TaskOutcome> frac = tasks_.Run(Task(kArchB, "frac"));
  ASSERT_TRUE(frac.ok()) << frac.status();
  EXPECT_DOUBLE_EQ(frac->metrics[0].value(), 0.525);
  absl::StatusOr<TaskOutcome> half = tasks_.Run(Task(kArchB, "frac", 0.5));
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_DOUBLE_EQ(half->metrics[0].value(), 0.2625);
  EXPECT_EQ(AutomaticAccuracyScale({0.5, 1.0}), 1.0);
  EXPECT_EQ(AutomaticAccuracyScale({0.5, 73.5}), 0.01);
}

// An architecture missing from the table fails clearly and is not retried
// (INVALID_ARGUMENT), naming the arch and the file.
TEST_F(TableAccuracyTaskTest, MissingArchFailsClearly) {
  const std::string missing = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
  absl::StatusOr<TaskOutcome> out = tasks_.Run(Task(missing, "pct"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("task.arch"));
  EXPECT_THAT(out.status().message(), HasSubstr(path_));
  EXPECT_THAT(out.status().message(), HasSubstr(missing));
}

// Unknown or non-numeric columns, a missing file and an explicit scale that
// gives no fraction are refused naming the spec field; none is retryable.
TEST_F(TableAccuracyTaskTest, BadSpecFailsNamingTheField) {
  absl::StatusOr<TaskOutcome> out = tasks_.Run(Task(kArchA, "cifar"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("evaluation.table.accuracy_column"));
  EXPECT_THAT(out.status().message(), HasSubstr("columns: arch, pct, frac, bad"));

  out = tasks_.Run(Task(kArchA, "bad"));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("\"x\" is not a finite number"));

  out = tasks_.Run(Task(kArchA, "pct", 1.0));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("evaluation.table.accuracy_scale"));

  v1::Task gone = Task(kArchA, "pct");
  gone.mutable_spec()->mutable_evaluation()->mutable_table()->set_path(path_ + ".missing");
  out = tasks_.Run(gone);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("evaluation.table.path"));
  EXPECT_THAT(out.status().message(), HasSubstr(".missing"));

  v1::Task key = Task(kArchA, "pct");
  key.mutable_spec()->mutable_evaluation()->mutable_table()->set_arch_column("cell");
  out = tasks_.Run(key);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("unknown column \"cell\""));
}

// A table rewritten on disk is read again (the cache follows the file).
TEST_F(TableAccuracyTaskTest, ReloadsWhenTheFileChanges) {
  ASSERT_TRUE(tasks_.Run(Task(kArchA, "frac")).ok());
  Write(absl::StrCat("arch,frac\n", kArchA, ",0.125000\n"));  // a different size
  absl::StatusOr<TaskOutcome> out = tasks_.Run(Task(kArchA, "frac"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_DOUBLE_EQ(out->metrics[0].value(), 0.125);
}

// Only accuracy tasks of "table" jobs are table tasks.
TEST_F(TableAccuracyTaskTest, RecognisesTableTasks) {
  v1::Task task = Task(kArchA, "pct");
  EXPECT_TRUE(IsTableAccuracyTask(task));
  task.mutable_spec()->mutable_evaluation()->set_mode("full_train");
  EXPECT_FALSE(IsTableAccuracyTask(task));
  task = Task(kArchA, "pct");
  task.set_kind(v1::TASK_LATENCY);
  EXPECT_FALSE(IsTableAccuracyTask(task));
}

}  // namespace
}  // namespace edgenas
