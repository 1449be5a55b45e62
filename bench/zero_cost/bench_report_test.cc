// zero_cost_bench's rows: the correlations of a score list, the printed
// line (with its source) and the JSON fields.
#include "bench/zero_cost/bench_report.h"

#include "gtest/gtest.h"

namespace edgenas {
namespace {

TEST(ZeroCostReportTest, MonotoneScoresCorrelatePerfectly) {
  auto row = CorrelateProxy("synflow", "acc", {1, 2, 3, 4}, {10, 20, 30, 40}, 0.5);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_DOUBLE_EQ(row->spearman_rho, 1.0);
  EXPECT_DOUBLE_EQ(row->kendall_tau, 1.0);
  EXPECT_EQ(row->cells, 4);
  auto reversed = CorrelateProxy("snip", "acc", {4, 3, 2, 1}, {10, 20, 30, 40}, 0.5);
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  EXPECT_DOUBLE_EQ(reversed->spearman_rho, -1.0);
}

TEST(ZeroCostReportTest, LineAndJsonNameEveryField) {
  ZeroCostRow row{"synflow", "cifar100_test_acc_200ep", 0.78, 0.59, 1000, 0.0879};
  const std::string line = FormatRow(row, 1);
  EXPECT_NE(line.find("cells=1000"), std::string::npos) << line;
  EXPECT_NE(line.find("measured here, seed 1"), std::string::npos) << line;
  const std::string json = RowsToJson({row});
  for (const char* field : {"\"proxy\": \"synflow\"", "\"column\": \"cifar100_test_acc_200ep\"",
                            "\"spearman_rho\"", "\"kendall_tau\"", "\"cells\": 1000",
                            "\"seconds_per_cell\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  EXPECT_NE(PublishedFigure("synflow").find("0.76"), std::string::npos);
  EXPECT_EQ(PublishedFigure("params"), "");
}

}  // namespace
}  // namespace edgenas
