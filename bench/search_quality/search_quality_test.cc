// Tests of the search-quality benchmark's scoring (TableProblem), its
// reports, and the runtime path it drives (RunSearch).
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/search_quality/report.h"
#include "bench/search_quality/runtime_driver.h"
#include "bench/search_quality/table_problem.h"
#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// a and d share the pair (90, 1); c is dominated by a; b is the fast end.
std::string SmallTable() {
  return WriteFile("small.csv",
                   "arch,acc,lat\n"
                   "a,90,1\n"
                   "b,80,0.5\n"
                   "c,70,2\n"
                   "d,90,1\n");
}

TEST(TableProblem, TrueFrontCountsDistinctPairs) {
  auto p = TableProblem::Load(SmallTable(), "arch", "acc", "lat");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->multi_objective());
  EXPECT_EQ(p->true_front_size(), 2);
  EXPECT_DOUBLE_EQ(p->accuracy_scale(), 0.01);
  // Normalised: a = (1/3, 0), b = (0, 0.5); reference (1.1, 1.1).
  EXPECT_NEAR(p->true_hypervolume(), 1.1 * 0.6 + (1.1 - 1.0 / 3) * 0.5, 1e-12);
}

TEST(TableProblem, ScoresRecallAndHypervolumeRatioPerEvaluation) {
  auto p = TableProblem::Load(SmallTable(), "arch", "acc", "lat");
  ASSERT_TRUE(p.ok()) << p.status();
  const TableProblem::Curve c = p->Score({2, 3, 1});  // c, d, b
  ASSERT_EQ(c.hv_ratio.size(), 3u);
  EXPECT_LT(c.hv_ratio[0], 1.0);
  EXPECT_DOUBLE_EQ(c.front_recall[0], 0.0);
  EXPECT_DOUBLE_EQ(c.front_recall[1], 0.5);  // d has a's pair
  EXPECT_DOUBLE_EQ(c.front_recall[2], 1.0);
  EXPECT_NEAR(c.hv_ratio[2], 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(c.best_accuracy[0], 70);
  EXPECT_DOUBLE_EQ(c.best_accuracy[2], 90);
}

TEST(TableProblem, SingleObjectiveFindsTheOptimumIndex) {
  auto p = TableProblem::Load(SmallTable(), "arch", "acc", "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->multi_objective());
  EXPECT_DOUBLE_EQ(p->optimum(), 90);
  EXPECT_EQ(p->Score({2, 1, 3}).evals_to_optimum, 3);
  EXPECT_FALSE(p->Score({2, 1}).evals_to_optimum.has_value());
  const std::string json = JsonRecords(*p, {Trace{"x", 4, p->Score({2, 1, 3}), 0.0}}, {2, 3});
  EXPECT_THAT(json, HasSubstr("\"budget\": 2, \"hv_ratio\": null, \"front_recall\": null, "
                              "\"best_accuracy\": 80.0000, \"reached_optimum\": false"));
  EXPECT_THAT(json, HasSubstr("\"reached_optimum\": true, \"evals_to_optimum\": 3"));
}

TEST(TableProblem, RefusesUnknownColumnsNamingThem) {
  auto p = TableProblem::Load(SmallTable(), "arch", "accuracy", "");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("accuracy"));
}

// Every NB201 string with synthetic values: accuracy from the genes.
std::string FullNb201Table() {
  Nb201Space space;
  std::string text = "arch,acc,lat\n";
  for (int i = 0; i < 15625; ++i) {
    const Architecture a = Nb201Space::FromIndex(i);
    int convs = 0;
    for (int g : a.genes) convs += g == 3 ? 1 : 0;
    absl::StrAppend(&text, space.Print(a), ",", 50 + 5 * convs + (i % 7) * 0.1, ",",
                    1 + convs + (i % 5) * 0.01, "\n");
  }
  return WriteFile("nb201_synthetic.csv", text);
}

TEST(RunSearch, EvaluatesDistinctCanonicalKeysThroughTheJobRuntime) {
  const std::string path = FullNb201Table();
  auto p = TableProblem::Load(path, "arch", "acc", "lat");
  ASSERT_TRUE(p.ok()) << p.status();
  Nb201Space space;
  for (const char* strategy : {"random", "nsga2", "bayesian"}) {
    SearchRun run{strategy, {}, 3, 25, path, "arch", "acc", "lat"};
    auto rows = RunSearch(*p, run);
    ASSERT_TRUE(rows.ok()) << strategy << ": " << rows.status();
    EXPECT_EQ(rows->size(), 25u) << strategy;
    std::set<std::string> keys;
    for (int r : *rows) {
      auto arch = space.Parse(p->table().Keys()[r]);
      ASSERT_TRUE(arch.ok());
      keys.insert(space.CanonicalKey(*arch));
    }
    EXPECT_EQ(keys.size(), rows->size()) << strategy << " evaluated a canonical duplicate";
    // Deterministic per seed.
    auto again = RunSearch(*p, run);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *rows) << strategy;
  }
}

TEST(RunSearch, RefusesABadStrategySettingNamingIt) {
  const std::string path = FullNb201Table();
  auto p = TableProblem::Load(path, "arch", "acc", "");
  ASSERT_TRUE(p.ok()) << p.status();
  SearchRun run{"bayesian", {{"acquisition", "foo"}}, 1, 10, path, "arch", "acc", ""};
  auto rows = RunSearch(*p, run);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(std::string(rows.status().message()), HasSubstr("strategy.params.acquisition"));
}

}  // namespace
}  // namespace edgenas
