// The SVG plot of `edgenas pareto --plot`: axes labelled with metric,
// device class and unit; every candidate drawn, the front highlighted; a
// finalist's full-training value drawn apart from its proxy value.
#include "cli/front_plot.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Metric M(const std::string& name, double value, const std::string& source,
             const std::string& device = "") {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source(source);
  m.set_device_class(device);
  return m;
}

v1::Candidate C(int i, double accuracy, double latency) {
  v1::Candidate c;
  c.set_id(absl::StrCat("job-1-", i));
  c.set_state(v1::CANDIDATE_DONE);
  *c.add_metrics() = M("accuracy", accuracy, "worker:flash_distill:cpu");
  *c.add_metrics() = M("latency_ms", latency, "agent:libtorch-cpu", "rpi5");
  return c;
}

v1::ParetoFront Front() {
  v1::ParetoFront front;
  front.set_job_id("job-1");
  front.set_hypervolume(0.25);
  auto* acc = front.add_objectives();
  acc->set_metric("accuracy");
  auto* lat = front.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_device_class("rpi5");
  return front;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Axis labels name metric, device class and unit.
TEST(AxisLabel, NamesMetricDeviceAndUnit) {
  EXPECT_EQ(AxisLabel("latency_ms", "rpi5"), "latency_ms on rpi5 (ms)");
  EXPECT_EQ(AxisLabel("accuracy", ""), "accuracy (%)");
  EXPECT_EQ(AxisLabel("energy_mj", "jetson"), "energy_mj on jetson (mJ)");
}

// Four candidates, two on the front: two grey points, two front points, a
// polyline joining the front, both axis labels, the proxy kind in the legend.
TEST(RenderFrontSvg, DrawsAllCandidatesAndHighlightsTheFront) {
  v1::ParetoFront front = Front();
  std::vector<v1::Candidate> all = {C(0, 0.80, 2.0), C(1, 0.90, 4.0), C(2, 0.70, 3.0),
                                    C(3, 0.75, 5.0)};
  *front.add_candidates() = all[0];
  *front.add_candidates() = all[1];
  auto svg = RenderFrontSvg(front, all);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(Count(*svg, "class=\"candidate\""), 2);
  EXPECT_EQ(Count(*svg, "class=\"front\""), 2);
  EXPECT_EQ(Count(*svg, "<polyline"), 1);
  EXPECT_THAT(*svg, HasSubstr(">latency_ms on rpi5 (ms)</text>"));
  EXPECT_THAT(*svg, HasSubstr(">accuracy (%)</text>"));
  EXPECT_THAT(*svg, HasSubstr("Pareto front (flash_distill)"));
  EXPECT_THAT(*svg, Not(HasSubstr("full training")));
  EXPECT_THAT(*svg, HasSubstr("</svg>"));
}

// A finalist with a full-training accuracy gets its own marker, joined to
// its proxy point, and a legend entry.
TEST(RenderFrontSvg, MarksFullTrainingOfFinalistsApart) {
  v1::ParetoFront front = Front();
  v1::Candidate finalist = C(0, 0.80, 2.0);
  *finalist.add_metrics() = M("accuracy", 0.88, "worker:full_train:cpu");
  *front.add_candidates() = finalist;
  auto svg = RenderFrontSvg(front, {C(0, 0.80, 2.0), C(1, 0.6, 3.0)});
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "class=\"full-train\""), 1);
  EXPECT_THAT(*svg, HasSubstr("full training (finalist)"));
  EXPECT_THAT(*svg, HasSubstr("stroke-dasharray"));
}

// A table source is named by its kind, not its (long) column name.
TEST(RenderFrontSvg, NamesTableSourcesByKind) {
  v1::Candidate c = C(0, 0.7, 1.0);
  c.mutable_metrics(0)->set_source("table:cifar100_test_acc_200ep");
  v1::ParetoFront front = Front();
  *front.add_candidates() = c;
  auto svg = RenderFrontSvg(front, {c});
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("Pareto front (table)"));
}

// Text from the job is escaped.
TEST(RenderFrontSvg, EscapesText) {
  v1::ParetoFront front = Front();
  front.set_job_id("job<&>");
  auto svg = RenderFrontSvg(front, {C(0, 0.5, 1.0)});
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("job&lt;&amp;&gt;"));
  EXPECT_THAT(*svg, Not(HasSubstr("job<&>")));
}

// Nothing to plot is an error, not an empty picture.
TEST(RenderFrontSvg, NoValuesIsAnError) {
  v1::Candidate pending;
  pending.set_id("job-1-0");
  pending.set_state(v1::CANDIDATE_PENDING);
  EXPECT_FALSE(RenderFrontSvg(Front(), {pending}).ok());
}

// Ticks are round numbers covering the range.
TEST(NiceTicks, RoundStepsCoverTheRange) {
  EXPECT_THAT(NiceTicks(0, 10, 5), ::testing::ElementsAre(0, 2, 4, 6, 8, 10));
  EXPECT_THAT(NiceTicks(0.3, 1.2, 4), ::testing::ElementsAre(0.5, 1.0));
}

}  // namespace
}  // namespace edgenas
