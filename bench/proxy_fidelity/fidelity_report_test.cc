// Pins proxy_fidelity's summary arithmetic (which results count, the
// amortised cost) and its JSON/CSV forms.
#include "bench/proxy_fidelity/fidelity_report.h"

#include <string>
#include <vector>

#include "common/csv_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

Measurement M(double accuracy, double cost) {
  Measurement m;
  m.present = true;
  m.accuracy = accuracy;
  m.cost_seconds = cost;
  m.wall_seconds = cost + 1.0;
  m.steps = 10;
  return m;
}

std::vector<ArchResult> ThreeArchs() {
  std::vector<ArchResult> r(3);
  r[0].arch = "a";
  r[0].full = M(0.90, 100);
  r[0].flash = M(0.80, 10);
  r[1].arch = "b";
  r[1].full = M(0.85, 80);
  r[1].flash = M(0.82, 12);
  r[2].arch = "c";
  r[2].full = M(0.70, 60);
  r[2].flash = M(0.60, 8);
  return r;
}

// Own cost is the mean cost_seconds; amortised adds the one-off over the
// candidates; tau/rho compare the proxy with full training.
TEST(SummarizeMode, AveragesCostsAndAmortisesOneOff) {
  OneOffCost teacher;
  teacher.present = true;
  teacher.cost_seconds = 270;
  teacher.extra_seconds = 30;
  teacher.steps = 500;
  absl::StatusOr<ModeSummary> s = SummarizeMode(kModeFlash, ThreeArchs(), teacher);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->archs, 3);
  EXPECT_THAT(s->seconds_per_candidate, DoubleNear(10.0, 1e-9));
  EXPECT_THAT(s->wall_seconds_per_candidate, DoubleNear(11.0, 1e-9));
  EXPECT_THAT(s->full_seconds_per_candidate, DoubleNear(80.0, 1e-9));
  EXPECT_THAT(s->one_off_seconds, DoubleNear(300.0, 1e-9));
  EXPECT_THAT(s->amortized_seconds_per_candidate, DoubleNear(110.0, 1e-9));
  EXPECT_THAT(s->kendall_tau, DoubleNear(1.0 / 3.0, 1e-9));  // 2 concordant, 1 discordant
  EXPECT_THAT(s->spearman_rho, DoubleNear(0.5, 1e-9));       // sum d^2 = 2
  EXPECT_EQ(s->one_off_steps, 500);
}

// Results without the proxy are left out; fewer than 2 left is an error.
TEST(SummarizeMode, SkipsMissingAndNeedsTwo) {
  std::vector<ArchResult> r = ThreeArchs();
  r[1].flash.present = false;
  absl::StatusOr<ModeSummary> s = SummarizeMode(kModeFlash, r, OneOffCost());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->archs, 2);
  EXPECT_THAT(s->amortized_seconds_per_candidate, DoubleNear(9.0, 1e-9));
  EXPECT_FALSE(SummarizeMode(kModeSupernet, r, OneOffCost()).ok());  // no supernet results
  EXPECT_FALSE(SummarizeMode("full_train", r, OneOffCost()).ok());
}

// JSON carries the documented keys, NaN as null; CSV leaves skipped modes empty.
TEST(FidelityReport, JsonAndCsvForms) {
  std::vector<ArchResult> r = ThreeArchs();
  for (ArchResult& a : r) a.flash.accuracy = 0.5;  // constant proxy: tau undefined
  absl::StatusOr<ModeSummary> s = SummarizeMode(kModeFlash, r, OneOffCost());
  ASSERT_TRUE(s.ok()) << s.status();
  RunInfo info;
  info.seed = 7;
  info.full_steps = 600;
  const std::string json = SummaryJson({*s}, info);
  EXPECT_THAT(json, HasSubstr("\"mode\": \"flash_distill\", \"kendall_tau\": null"));
  EXPECT_THAT(json, HasSubstr("\"seed\": 7, \"full_steps\": 600, \"steps\": 10"));
  EXPECT_THAT(json, HasSubstr("\"amortized_seconds_per_candidate\": 10"));
  const std::string csv = ResultsCsv(r);
  EXPECT_THAT(csv, HasSubstr("\na,0.9000,0.0000,100.000,101.000,0.5000,0.0000,10.000,11.000,,,,\n"));
  EXPECT_THAT(FormatSummaryTable({*s}, info), HasSubstr("n/a"));
}

// Architectures with commas (mbv3's text form) are quoted, and the CSV reads
// back through CsvTable (--reference_csv) keyed by the architecture.
TEST(FidelityReport, CsvQuotesArchitecturesWithCommas) {
  std::vector<ArchResult> r = ThreeArchs();
  r[0].arch = "r28-w75|d2-se-hs:k3e4,k5e6";
  const std::string csv = ResultsCsv(r);
  EXPECT_THAT(csv, HasSubstr("\n\"r28-w75|d2-se-hs:k3e4,k5e6\",0.9000,"));
  absl::StatusOr<CsvTable> table = CsvTable::Parse(csv, "test", "arch");
  ASSERT_TRUE(table.ok()) << table.status();
  absl::StatusOr<double> full = table->Value("r28-w75|d2-se-hs:k3e4,k5e6", "full_accuracy");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_DOUBLE_EQ(*full, 0.9);
  RunInfo info;
  info.space = "mbv3";
  info.space_options = "stages=2";
  absl::StatusOr<ModeSummary> s = SummarizeMode(kModeFlash, r, OneOffCost());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(SummaryJson({*s}, info),
              HasSubstr("\"space\": \"mbv3\", \"space_options\": \"stages=2\""));
  EXPECT_THAT(FormatSummaryTable({*s}, info), HasSubstr("mbv3 architectures"));
}

}  // namespace
}  // namespace edgenas
